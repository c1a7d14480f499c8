import { describe, expect, it } from 'vitest';
import { runImpactsDemo } from '../../../src/scenarios/impacts/demo.js';
import { renderImpactsDemo } from '../../../src/report/impacts-demo-text.js';

describe('racelab demo impacts --scenario session', () => {
  it('measures slots leaked by the vulnerable variant, none by the fixes, and proves the fixes by dfs', async () => {
    const report = await runImpactsDemo({ scenario: 'session', delayMs: 60, count: 10, exploreTimeLimitMs: 60_000 });
    const runs = Object.fromEntries(report.scenarios[0]!.runs.map((r) => [r.variant, r]));
    expect(runs.vulnerable?.verdict).toBe('race');
    expect(runs.vulnerable?.impact.unit).toBe('slots leaked');
    expect(runs.vulnerable?.impact.amount).toBeGreaterThan(0);
    expect(runs.vulnerable?.explored?.verdict).toBe('race-found');
    for (const v of ['mutex', 'cas', 'txn']) {
      expect(runs[v]?.verdict).toBe('exact');
      expect(runs[v]?.explored?.verdict).toBe('proved');
    }
    const text = renderImpactsDemo(report);
    expect(text).toContain(`${runs.vulnerable!.impact.amount} slots leaked`);
    // The supervisor-crash form, each variant served on loopback: the vulnerable table crashes past its restart
    // intensity and the service is down; the fixed one answers every call.
    const [vulnerable, fixed] = report.scenarios[0]!.availability ?? [];
    expect(vulnerable).toMatchObject({ form: 'crash-vulnerable', before: { calls: 6, answered: 6 }, after: { calls: 4, answered: 0 }, gaveUp: true });
    expect(vulnerable!.during.answered).toBeLessThan(vulnerable!.during.calls);
    expect(vulnerable!.afterRefusal).toMatch(/^service down/);
    expect(fixed).toEqual({ form: 'crash-fixed', before: { calls: 6, answered: 6 }, during: { calls: 12, answered: 12 }, after: { calls: 4, answered: 4 }, crashes: 0, gaveUp: false });
    const v = vulnerable!;
    expect(text).toContain(`crash-vulnerable  before 6/6  during ${v.during.answered}/12  after 0/4  ${v.crashes} crashes, the supervisor gave up: service down`);
    expect(text).toContain('crash-fixed       before 6/6  during 12/12  after 4/4  0 crashes, up');
  }, 180_000);
});
