import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runImpactsDemo, type ImpactsDemoReport } from '../../src/scenarios/impacts/demo.js';
import { impactsDemoPage, renderImpactsDemo, renderReportPage } from '../../src/report/index.js';
import { chromiumAvailable, withPage } from './browser.js';

// Screenshots are kept as CI artifacts under test-results/ (gitignored).
const OUT = join(import.meta.dirname, '..', '..', 'test-results');
mkdirSync(OUT, { recursive: true });

// One run of the bank demo, watched by the monitor and keeping every call: the page and the monitor's counts are
// both read from it. A 50 ms window between check and write: five Withdraws sent at once all read before any writes.
let report: ImpactsDemoReport;
beforeAll(async () => {
  report = await runImpactsDemo({ scenario: 'bank', count: 5, delayMs: 50, exploreTimeLimitMs: 2000, monitor: true, keepCalls: true });
}, 120_000);

const run = (variant: string) => {
  const r = report.scenarios[0]!.runs.find((x) => x.variant === variant);
  if (!r) throw new Error(`no ${variant} run`);
  return r;
};

describe('demo impacts --monitor', () => {
  it("flags the bank's vulnerable variant, stays at 0 on the fixes it can see, and says which it cannot see", () => {
    const vulnerable = run('vulnerable');
    expect(vulnerable.verdict).toBe('race');
    expect(vulnerable.monitor?.visible).toBe(true);
    expect(vulnerable.monitor!.suspectedLostUpdates).toBeGreaterThan(0);
    for (const fixed of ['mutex-ordered', 'mutex-unordered', 'cas']) {
      expect(run(fixed).verdict).toBe('exact');
      expect(run(fixed).monitor).toMatchObject({ visible: true, suspectedLostUpdates: 0 });
      expect(run(fixed).monitor!.writesSeen).toBeGreaterThan(0);
    }
    // txn writes inside store transactions, which the monitor passes through unpaired: no claim, and the reason.
    expect(run('txn').monitor).toMatchObject({ visible: false });
    expect(run('txn').monitor!.reason).toMatch(/transactions/);
    // An actor keeps the context of the request that started it: its writes cannot be paired with their calls.
    expect(run('actor').monitor).toMatchObject({ visible: false, why: 'writes in actors' });
    const text = renderImpactsDemo(report);
    expect(text).toMatch(new RegExp(`vulnerable .*monitor: ${vulnerable.monitor!.suspectedLostUpdates} suspected lost updates`));
    expect(text).toMatch(/txn .*monitor: not visible \(writes in transactions\)/);
    expect(text).toMatch(/txn: the race monitor counted \d+ requests but could not pair their writes with them: its writes are inside store transactions/);
  });

  it('joins every burst call with its handler on the server by request id', () => {
    const calls = run('vulnerable').callLog!;
    expect(calls).toHaveLength(run('vulnerable').calls);
    expect(calls.every((c) => c.handlerStartMicros !== undefined && c.handlerStartMicros >= c.sentMicros - 1000)).toBe(true);
    // Each suspect names the write that went over an update; the page marks those calls.
    expect(calls.filter((c) => c.overwrote).length).toBeGreaterThan(0);
    expect(run('cas').callLog!.some((c) => c.overwrote)).toBe(false);
  });
});

describe.skipIf(!chromiumAvailable())('demo impacts page in Chromium', () => {
  it('per scenario: the variants side by side, the verdicts, every burst call on a timeline', async () => {
    const html = renderReportPage(impactsDemoPage(report, 'racelab demo impacts --scenario bank --count 5 --monitor --html x.html'));
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)|<link|\ssrc=/);
    const file = join(OUT, 'demo-impacts.html');
    writeFileSync(file, html);
    const runs = report.scenarios[0]!.runs;
    await withPage(async (page, errors) => {
      await page.goto(`file://${file}`);
      expect(await page.locator('#verdict').textContent()).toMatch(/^invariant broken by the vulnerable variants \(1\); every fix held/);
      const table = page.locator('#scenario-bank table.scenario-table');
      expect(await table.locator('th').allTextContents()).toEqual(['', ...runs.map((r) => r.variant)]);
      expect(await table.locator('td.design').allTextContents()).toEqual(runs.map((r) => (r.safe ? 'a fix' : 'not safe')));
      expect(await table.locator('td.burst-verdict').allTextContents()).toEqual(runs.map((r) => r.verdict.toUpperCase()));
      expect(await table.locator('td.burst-verdict.bad').count()).toBe(1);
      // The explorer's verdict per variant: a race on vulnerable, the deadlock on mutex-unordered, proofs on the rest it finished.
      const explorer = await table.locator('td.explorer-verdict').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-verdict')));
      expect(explorer).toEqual(runs.map((r) => r.explored?.verdict ?? 'not-explored'));
      expect(explorer[0]).toBe('race-found');
      expect(explorer[runs.findIndex((r) => r.variant === 'mutex-unordered')]).toBe('deadlock-found');
      expect(await table.locator('td.impact.bad').textContent()).toMatch(/^\d+ money created$/);
      expect(await table.locator('td.monitor').allTextContents()).toContain('not visible (writes in transactions)');
      expect(await table.locator('td.monitor').allTextContents()).toContain('not visible (writes in actors)');
      // Every call of every burst is drawn; the writes over unread updates are red.
      expect(await page.locator('#scenario-bank g.call').count()).toBe(runs.reduce((n, r) => n + r.calls, 0));
      expect(await page.locator('#scenario-bank g.call.lost').count()).toBe(run('vulnerable').callLog!.filter((c) => c.overwrote).length);
      // The burst spread of each variant's one round, red where it broke the invariant, and each variant's latencies.
      expect(await page.locator('#scenario-bank svg.bars g.bar').count()).toBe(runs.length);
      expect(await page.locator('#scenario-bank svg.bars g.bar.bad').count()).toBe(runs.filter((r) => r.verdict === 'race').length);
      expect(runs.every((r) => r.burstSpread?.server !== undefined && r.burstSpread.server.samples === r.calls)).toBe(true);
      expect(await page.locator('#scenario-bank svg.histogram').count()).toBe(runs.length);
      expect(await page.locator('#scenario-bank svg.histogram g.bin').count()).toBeGreaterThanOrEqual(runs.length);
      expect(await page.locator('#explanation p').count()).toBeGreaterThan(2);
      expect(await page.locator('#reproduce code').textContent()).toContain('racelab demo impacts');
      await page.locator('#scenario-bank g.call').first().click({ force: true });
      expect(await page.locator('#details').textContent()).toMatch(/call \d+, request b\d+-\d+: (Withdraw|Transfer) -> OK/);
      await page.screenshot({ path: join(OUT, 'demo-impacts.png'), fullPage: true });
      expect(errors).toEqual([]);
    });
    expect(statSync(join(OUT, 'demo-impacts.png')).size).toBeGreaterThan(10_000);
  }, 120_000);
});
