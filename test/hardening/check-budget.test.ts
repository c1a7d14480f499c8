import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterHistoryJsonl } from '../../bench/large-history.mjs';
import { checkVerbose } from '../../src/check/index.js';
import { parseHistoryJsonl } from '../../src/history/index.js';
import { renderHistoryHtml } from '../../src/report/index.js';
import { runCheckJob, type CheckJob, type CheckMessage } from '../../src/cli/check-worker.js';
import { epochNow } from '../../src/cli/interruptible.js';

// `racelab check`'s budget is the whole command's, from the process's start: start-up, reading, the search, the
// window, the page and the printing. These run the check job inline with a clock the test moves (no timing is
// asserted): each failed before, when the budget started with the job and the page was drawn after it.

const dir = mkdtempSync(join(tmpdir(), 'racelab-check-budget-'));
const lost = join(dir, 'lost-2000.jsonl');
const HISTORY = (counterHistoryJsonl as (o: object) => string)({ operations: 2000, lostUpdate: true });
beforeAll(() => writeFileSync(lost, HISTORY));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function job(fields: Partial<CheckJob> = {}): CheckJob {
  return { file: lost, format: 'auto', model: 'counter', budgetMs: 60_000, deadline: epochNow() + 60_000, interrupt: new Int32Array(new SharedArrayBuffer(4)), ...fields };
}

/** Runs the job inline, collecting its messages; `onReport` runs when the verdict is posted, before the page. */
async function run(j: CheckJob, now: () => number = epochNow, onReport: () => void = () => undefined): Promise<CheckMessage[]> {
  const messages: CheckMessage[] = [];
  await runCheckJob(
    j,
    {
      postMessage: (m) => {
        messages.push(m);
        if (m.type === 'report') onReport();
      },
    },
    now,
  );
  return messages;
}

const types = (ms: readonly CheckMessage[]): string[] => ms.filter((m) => m.type !== 'phase').map((m) => m.type);

describe('check --html under the budget', () => {
  it('a budget spent by the time the verdict is out leaves the chart out, says why, and posts the verdict first', async () => {
    const html = join(dir, 'late.html');
    // The clock jumps an hour once the verdict is posted: the page is drawn after the deadline.
    let late = 0;
    const messages = await run(job({ html, budgetMs: 60_000 }), () => epochNow() + late, () => (late = 3_600_000));
    expect(types(messages)).toEqual(['report', 'html']);
    const report = messages.find((m) => m.type === 'report')!;
    expect(report.type === 'report' && report.report.verdict).toBe('illegal');
    const page = messages.find((m) => m.type === 'html')!;
    expect(page).toMatchObject({ type: 'html', chartLeftOut: expect.stringContaining('the budget (--budget 60s) ran out before it was drawn') as string });
    expect(page).not.toHaveProperty('error');
    const text = readFileSync(html, 'utf8');
    expect(text).toMatch(/^<!doctype html>/);
    expect(text).toContain('The timeline chart was left out: the budget (--budget 60s) ran out before it was drawn');
    expect(text).not.toContain('<g class="op ');
    // What the page is for is still there: the verdict and the explanation.
    expect(text).toContain('not linearizable');
    expect(text).toContain('Not linearizable: no order of the 2000 operations');
  }, 60_000);

  it('with time left, the page is whole (the same job, the clock not moved)', async () => {
    const html = join(dir, 'whole.html');
    const messages = await run(job({ html }));
    expect(messages.find((m) => m.type === 'html')).toEqual({ type: 'html' });
    expect(readFileSync(html, 'utf8')).toContain('<g class="op ');
  }, 60_000);

  it('Ctrl+C while the page is drawn stops it: the verdict is out, no page is written', async () => {
    const html = join(dir, 'interrupted.html');
    const j = job({ html });
    const messages = await run(j, epochNow, () => Atomics.store(j.interrupt, 0, 1));
    expect(types(messages)).toEqual(['report', 'html']);
    expect(messages.find((m) => m.type === 'html')).toEqual({ type: 'html', notWritten: 'interrupted' });
    expect(existsSync(html)).toBe(false);
  }, 60_000);
});

describe("the budget counts from the process's start", () => {
  it('a deadline already passed at start-up decides nothing: verdict unknown, no search step', async () => {
    // The process started a whole budget ago (module loading, a slow disk): nothing is left for the check.
    const messages = await run(job({ budgetMs: 60_000, deadline: epochNow() - 1 }));
    const report = messages.find((m) => m.type === 'report');
    expect(report?.type === 'report' && report.report.verdict).toBe('unknown');
    expect(report?.type === 'report' && report.report.steps).toBe(0);
  }, 60_000);

  it('checkVerbose keeps reserveMs back for what follows it: a budget all reserved decides nothing', () => {
    const history = parseHistoryJsonl(HISTORY.slice(HISTORY.indexOf('\n') + 1));
    const reserved = checkVerbose(history, 'counter', { initial: { value: 0 }, budgetMs: 60_000, reserveMs: 60_000 });
    expect(reserved.verdict).toBe('unknown');
    expect(reserved.steps).toBe(0);
    expect(checkVerbose(history, 'counter', { initial: { value: 0 }, budgetMs: 60_000 }).verdict).toBe('illegal');
  }, 60_000);
});

describe('renderHistoryHtml leaveOut', () => {
  it('leaves the chart out with the reason given, keeping the verdict, explanation and linearization table', () => {
    const history = parseHistoryJsonl(HISTORY.slice(HISTORY.indexOf('\n') + 1));
    const report = checkVerbose(history, 'counter', { initial: { value: 0 } });
    const whole = renderHistoryHtml(report);
    expect(whole).toContain('<g class="op ');
    const reduced = renderHistoryHtml(report, { leaveOut: () => 'the budget ran out before it was drawn' });
    expect(reduced).not.toContain('<g class="op ');
    expect(reduced).not.toContain('class="timeline"');
    // The chart's legend goes with it.
    expect(whole).toContain('smallest failing window</span>');
    expect(reduced).not.toContain('smallest failing window</span>');
    expect(reduced).not.toContain('outcome unknown</span>');
    expect(reduced).toContain('The timeline chart was left out: the budget ran out before it was drawn.');
    expect(reduced).toContain('id="linearization"');
    expect(reduced).toContain('Not linearizable');
    // Asked before the layout and again before the drawing: a reason that comes in between still leaves it out.
    let asked = 0;
    expect(renderHistoryHtml(report, { leaveOut: () => (asked++ === 0 ? undefined : 'interrupted') })).not.toContain('<g class="op ');
    expect(asked).toBe(2);
  });
});
