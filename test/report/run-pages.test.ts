import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceMonitor, runActorDemo, runAttack, runGrpcDemo, runReplicasDemo, startCounterServer, type AttackReport, type CounterServer } from '../../src/index.js';
import { actorDemoPage, attackPage, explorePage, grpcDemoPage, renderReportPage, replicasDemoPage } from '../../src/report/index.js';
import { runExplore } from '../../src/workloads/index.js';
import { REDIS_URL, serviceAvailable } from '../helpers/services.js';
import { chromiumAvailable, withPage } from './browser.js';

// Screenshots are kept as CI artifacts under test-results/ (gitignored).
const OUT = join(import.meta.dirname, '..', '..', 'test-results');
mkdirSync(OUT, { recursive: true });
const redis = await serviceAvailable('Redis', REDIS_URL).catch((e: unknown) => e as Error);

let vulnerable: CounterServer;
beforeAll(async () => {
  vulnerable = await startCounterServer({ variant: 'vulnerable', delayMs: 30, maxConcurrency: 100, monitor: raceMonitor() });
});
afterAll(async () => {
  await vulnerable?.close(200);
});

/** Opens the page in Chromium: no console error, no request, the verdict shown; clicking an element pins its details. */
async function look(name: string, html: string, check: (page: import('playwright-core').Page) => Promise<void>): Promise<void> {
  const file = join(OUT, `${name}.html`);
  writeFileSync(file, html);
  expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)|<link|\ssrc=/);
  await withPage(async (page, errors) => {
    await page.goto(`file://${file}`);
    expect((await page.locator('#verdict').textContent())?.length).toBeGreaterThan(3);
    expect(await page.locator('#explanation p').count()).toBeGreaterThan(0);
    await check(page);
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    expect(errors).toEqual([]);
  });
  expect(statSync(join(OUT, `${name}.png`)).size).toBeGreaterThan(10_000);
}

async function clickShowsDetails(page: import('playwright-core').Page, selector: string, text: RegExp): Promise<void> {
  expect(await page.locator('#details').isVisible()).toBe(false);
  await page.locator(selector).first().click({ force: true });
  expect(await page.locator('#details').textContent()).toMatch(text);
}

/** The page fits a 1400 px window: nothing wider than the viewport. */
async function noOverflow(page: import('playwright-core').Page): Promise<void> {
  expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(1400);
}

/** Each chart (and its marks) spans the width of its box, not a third of it. */
async function chartsFillTheirBox(page: import('playwright-core').Page, selector: string): Promise<void> {
  const spans = await page.locator(selector).evaluateAll((svgs) =>
    svgs.map((svg) => {
      const box = svg.parentElement!.getBoundingClientRect();
      const rects = [...svg.querySelectorAll('svg.plot rect')].map((r) => r.getBoundingClientRect());
      return { svg: svg.getBoundingClientRect().width / box.width, marks: (Math.max(...rects.map((r) => r.right)) - Math.min(...rects.map((r) => r.left))) / box.width };
    }),
  );
  expect(spans.length).toBeGreaterThan(0);
  for (const s of spans) expect(s.svg).toBeGreaterThan(0.95);
  // The histograms' bins share one scale, so only the widest series reaches the right edge, and its last bins may be empty: its marks span most of the box (they spanned a third to two thirds before).
  expect(Math.max(...spans.map((s) => s.marks))).toBeGreaterThan(0.7);
}

describe.skipIf(!chromiumAvailable())('run pages in Chromium', () => {
  it('demo grpc: both variants side by side, every call drawn, the lost updates marked', async () => {
    const report = await runGrpcDemo({ clients: 3, increments: 3, delayMs: 60, keepCalls: true, monitor: true });
    const [vuln, mutex] = report.runs;
    const html = renderReportPage(grpcDemoPage(report, 'racelab demo grpc --clients 3 --increments 3 --delay 60ms --html x.html'));
    await look('demo-grpc', html, async (page) => {
      expect(await page.locator('#verdict').textContent()).toBe(vuln!.lostUpdates > 0 ? 'updates lost: vulnerable' : 'no update lost');
      expect(await page.locator('#side-by-side th').allTextContents()).toEqual(['', 'vulnerable', 'mutex']);
      expect(await page.locator('g.call').count()).toBe(18);
      // Every write that went over an unseen update is drawn as one, and matches the monitor's count of such writes.
      const lostWrites = vuln!.calls!.filter((c) => c.overwrote).length;
      expect(await page.locator('g.call.lost').count()).toBe(lostWrites);
      expect(mutex!.calls!.some((c) => c.overwrote)).toBe(false);
      expect(await page.locator('svg.histogram').count()).toBe(2);
      await chartsFillTheirBox(page, 'svg.histogram');
      expect(await page.locator('#reproduce code').textContent()).toContain('racelab demo grpc');
      await clickShowsDetails(page, 'g.call', /client \d, request p\d+-\d: ok/);
    });
  }, 120_000);

  it('attack: every call of every round, the spread per round, the seed', async () => {
    const report = await runAttack({ target: vulnerable.target, scenario: 'counter', sync: 'parallel', count: 8, rounds: 3, pauseMs: 0, seed: 42, keepCalls: true });
    await look('attack', renderReportPage(attackPage(report, 'racelab attack --seed 42')), async (page) => {
      expect(await page.locator('#verdict').textContent()).toMatch(report.verdict === 'race' ? /^race: \d of 3 rounds/ : /no race/);
      expect(await page.locator('g.call').count()).toBe(24);
      expect(await page.locator('.rounds-overview rect').count()).toBe(24);
      expect(await page.locator('#spread g.bar').count()).toBe(3);
      expect(await page.locator('#spread g.bar.bad').count()).toBe(report.racesFound);
      await chartsFillTheirBox(page, '#spread svg.bars');
      await chartsFillTheirBox(page, '#latency svg.histogram');
      // Each round that lost updates has its band, drawn over its calls (under them, only its edges showed) and
      // letting clicks through to them.
      const bands = await page.locator('#timeline svg.timeline').evaluateAll((svgs) =>
        svgs.flatMap((svg) => {
          const kids = [...svg.children];
          const lastCall = Math.max(...kids.map((k, i) => (k.classList.contains('call') ? i : -1)));
          return kids.filter((k) => k.classList.contains('overlap-band')).map((b) => ({ above: kids.indexOf(b) > lastCall, events: b.getAttribute('pointer-events') }));
        }),
      );
      expect(bands).toEqual(report.rounds.filter((r) => r.verdict === 'race' && r.calls > 1).map(() => ({ above: true, events: 'none' })));
      expect(await page.locator('#reproduce').textContent()).toContain('seed 42');
      await clickShowsDetails(page, 'g.call', /round \d, call \d+: Increment -> OK/);
    });
  }, 60_000);

  it('explore: the shrunk schedule as lanes per task, the preemption marked, the state after each step', async () => {
    const report = await runExplore({ scenario: 'counter', strategy: 'pct', runs: 200, clients: 3, seed: 3 });
    const f = report.firstFailure!;
    await look('explore', renderReportPage(explorePage(report, 'racelab explore --clients 3 --seed 3')), async (page) => {
      expect(await page.locator('#verdict').textContent()).toMatch(/^race found in run \d+/);
      expect(await page.locator('g.step').count()).toBe(f.shrunk.steps);
      expect(await page.locator('g.step.preemption').count()).toBe(f.shrunk.preemptions);
      expect(await page.locator('g.state').count()).toBe(f.shrunk.steps);
      // The last write left the counter at the value the failure message reports.
      const final = /final counter = (\d+)/.exec(f.message)![1];
      expect(await page.locator('g.state').last().textContent()).toBe(`counter=${final}`);
      expect(await page.locator('#reproduce code').textContent()).toBe(report.replayCommand);
      await clickShowsDetails(page, 'g.step', /^step 1: c\d /);
    });
  }, 60_000);

  it('explore actors: no state row it cannot fill, the note says so, the lane labels stay while the schedule scrolls', async () => {
    const report = await runExplore({ scenario: 'actors', pattern: 'check-then-act', strategy: 'portfolio', runs: 200, seed: 5 });
    const f = report.firstFailure!;
    await look('explore-actors', renderReportPage(explorePage(report, 'racelab explore --scenario actors --pattern check-then-act --seed 5')), async (page) => {
      expect(await page.locator('g.step').count()).toBe(f.shrunk.steps);
      // The actors' trace has no store write: no state box, no empty "state" lane, and a note that says why.
      expect(await page.locator('g.state').count()).toBe(0);
      expect(await page.locator('.schedule-labels text').allTextContents()).not.toContain('state');
      const note = (await page.locator('#schedule .note').textContent())!;
      expect(note).toMatch(/no state row is drawn/);
      expect(note).not.toMatch(/\.\./);
      // Scrolled to its last step, the schedule still shows which lane is which.
      const scroll = page.locator('#schedule .schedule-scroll');
      expect(await scroll.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
      const before = await page.locator('.schedule-labels text').first().boundingBox();
      await scroll.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
      expect(await page.locator('g.step').last().isVisible()).toBe(true);
      expect(await page.locator('.schedule-labels text').first().boundingBox()).toEqual(before);
      await noOverflow(page);
    });
  }, 60_000);

  it('demo actors: one row per variant, the broken ones in red, every message on a timeline', async () => {
    const report = await runActorDemo({ patterns: ['counter-cast'], seed: 11, timeline: true });
    await look('demo-actors', renderReportPage(actorDemoPage(report, 'racelab demo actors --pattern counter-cast --seed 11 --html x.html')), async (page) => {
      expect(await page.locator('#side-by-side tr').count()).toBe(report.runs.length + 1);
      expect(await page.locator('#effects g.bar.bad').count()).toBe(report.runs.filter((r) => !r.ok).length);
      expect(await page.locator('#reproduce').textContent()).toContain('seed 11');
      // One timeline per variant, every recorded message drawn; the lost ones (dropped raw sends, writes over an
      // unseen update) in red, and none on the fixed variants.
      const messages = report.runs.flatMap((r) => r.timeline!.messages);
      expect(await page.locator('#timeline svg.timeline').count()).toBe(report.runs.length);
      expect(await page.locator('#timeline g.call').count()).toBe(messages.length);
      expect(await page.locator('#timeline g.call.lost').count()).toBe(messages.filter((m) => m.mark === 'lost').length);
      expect(report.runs.filter((r) => r.form === 'fixed').flatMap((r) => r.timeline!.messages).filter((m) => m.mark)).toEqual([]);
      // In a timeline of rows a few pixels high (task-per-message's 200 messages), a lost update's red fills its
      // row rather than a third of it (which read as purple).
      const thin = await page.locator('#timeline g.call.lost').evaluateAll((gs) =>
        gs.map((g) => {
          const bar = g.querySelector('rect')!.getBBox().height;
          const rmw = g.querySelector('rect.rmw')?.getBBox().height;
          return { bar, rmw };
        }),
      );
      expect(thin.some((t) => t.bar < 10)).toBe(true);
      for (const t of thin.filter((x) => x.bar < 10 && x.rmw !== undefined)) expect(t.rmw).toBe(t.bar);
      // A latency histogram per variant with a timeline, each filling its box.
      expect(await page.locator('#latency svg.histogram').count()).toBe(report.runs.filter((r) => r.timeline).length);
      await chartsFillTheirBox(page, '#latency svg.histogram');
      await clickShowsDetails(page, '#timeline g.call', /^#1 .+ → counter: (handled|DROPPED)/);
    });
  }, 60_000);

  it('demo actors: a payment charged twice is outlined in purple, on the vulnerable variant only', async () => {
    const report = await runActorDemo({ patterns: ['idempotency-key'], seed: 11, timeline: true });
    const vulnerable = report.runs.find((r) => r.form === 'vulnerable')!;
    const duplicated = vulnerable.timeline!.messages.filter((m) => m.mark === 'duplicated').length;
    expect(duplicated).toBeGreaterThan(0);
    expect(report.runs.filter((r) => r.form === 'fixed').flatMap((r) => r.timeline!.messages).filter((m) => m.mark)).toEqual([]);
    await look('demo-actors-duplicated', renderReportPage(actorDemoPage(report, 'racelab demo actors --pattern idempotency-key --seed 11 --html x.html')), async (page) => {
      const marked = page.locator('#timeline g.call.duplicated');
      expect(await marked.count()).toBe(duplicated);
      // Outlined (or its read-modify-write bar filled) in the legend's purple.
      expect(await marked.first().locator('rect[stroke="#7c3aed"], rect.rmw[fill="#7c3aed"]').count()).toBe(1);
      expect(await page.locator('#timeline').textContent()).toMatch(/outlined in purple/);
      await clickShowsDetails(page, '#timeline g.call.duplicated', /DUPLICATED EFFECT: applied .+ again; #\d+ had applied it first/);
    });
  }, 60_000);

  it.skipIf(redis !== true)('demo replicas: the variants side by side on Redis', async () => {
    // Two variants whose names begin alike (redis-lock, redis-lock-fencing): their bars must not read the same.
    const report = await runReplicasDemo({ store: 'redis', replicas: 2, calls: 24, variants: ['redis-incr', 'redis-lock', 'redis-lock-fencing'], killOne: false, keepCalls: true });
    await look('demo-replicas', renderReportPage(replicasDemoPage(report, 'racelab demo replicas --store redis')), async (page) => {
      expect(await page.locator('#side-by-side tr').count()).toBe(report.runs.length + 1);
      await noOverflow(page);
      expect(await page.locator('#lost g.bar').count()).toBe(report.runs.length);
      // Every bar labelled with its variant's whole name (wrapped, not cut).
      const labels = await page.locator('#lost text.bar-label').evaluateAll((ts) => ts.map((t) => [...t.querySelectorAll('tspan')].map((s) => s.textContent).join('').replace(/-(?=\S)/g, '-')));
      expect(labels.map((l) => l.replace(/\s+/g, ''))).toEqual(report.runs.map((r) => `${r.store} ${r.label} x${r.replicas}`.replace(/\s+/g, '')));
      await chartsFillTheirBox(page, '#lost svg.bars');
      // Which calls lost their update is not known: the runs that lost some say so instead of marking a guess.
      expect(await page.locator('#timeline g.call.lost').count()).toBe(0);
      expect(await page.locator('#timeline h3.lost-run').count()).toBe(report.runs.filter((r) => r.lostUpdates > 0).length);
      expect(await page.locator('#timeline .note').textContent()).toMatch(/how many were lost but not whose/);
      expect(await page.locator('#latency svg.histogram').count()).toBe(report.runs.length);
      // Every call of every run on the timeline, a lane per replica.
      const calls = report.runs.flatMap((r) => r.calls ?? []);
      expect(calls).toHaveLength(report.runs.reduce((n, r) => n + r.sent, 0));
      expect(await page.locator('#timeline g.call').count()).toBe(calls.length);
      expect(await page.locator('#timeline svg.timeline').count()).toBe(report.runs.length);
      expect(new Set(calls.map((c) => c.replica))).toEqual(new Set([0, 1]));
      expect(calls.every((c) => c.doneMicros >= c.sentMicros)).toBe(true);
      await clickShowsDetails(page, '#timeline g.call', /increment \d+ on replica [12]: acknowledged/);
    });
  }, 120_000);
});

describe('page size', () => {
  it('a 10,000-call attack page stays under 5 MB', () => {
    // 100 rounds of 100 calls, shaped like a real run's (the CLI run of this size measured 1.05 MB).
    const calls = [];
    const rounds = [];
    for (let round = 1; round <= 100; round++) {
      const t = round * 1_000_000;
      for (let i = 0; i < 100; i++) calls.push({ round, index: i, client: 0, method: 'Increment', sentMicros: t + i * 3, doneMicros: t + 25_000 + i * 40, code: 0, handlerStartMicros: t + 200 + i * 5 });
      rounds.push({ round, verdict: 'race' as const, calls: 100, ok: 100, failed: 0, unknown: 0, lost: 80, extra: 0, serverSpread: { rangeMicros: 495, stddevMicros: 100, samples: 100 }, wallMs: 30 });
    }
    const report = {
      kind: 'attack', target: '127.0.0.1:1', schemaSource: 'reflection', sync: 'parallel', clients: 1, seed: 1, endpoints: [{ method: '/Counter/Increment', count: 100, offsetMicros: 0 }],
      callsPerBurst: 100, roundsRequested: 100, roundsRun: 100, pauseMs: 0, scenario: 'counter', invariant: 'after.value - before.value == ok', verdict: 'race', racesFound: 100, rounds,
      statusCodes: [{ code: 0, name: 'OK', count: 10_000 }], totals: { calls: 10_000, ok: 10_000, failed: 0, unknown: 0, lost: 8000, extra: 0 }, warnings: [], wallMs: 3000, calls,
    } as unknown as AttackReport;
    const html = renderReportPage(attackPage(report, 'racelab attack'));
    expect(html.match(/<rect x="[^"]*" y="[^"]*" width="[^"]*" height="[^"]*"\/>/g)!.length).toBeGreaterThanOrEqual(10_000);
    expect(Buffer.byteLength(html)).toBeLessThan(5 * 1024 * 1024);
  });
});
