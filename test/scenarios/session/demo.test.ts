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
    expect(renderImpactsDemo(report)).toContain(`${runs.vulnerable!.impact.amount} slots leaked`);
  }, 180_000);
});
