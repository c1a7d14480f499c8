import { describe, expect, it } from 'vitest';
import { runImpactsDemo } from '../../../src/scenarios/impacts/demo.js';
import { renderImpactsDemo } from '../../../src/report/impacts-demo-text.js';

describe('racelab demo impacts --scenario checkout', () => {
  it('measures money charged twice by the vulnerable variant, none by the fixes, and proves the fixes by dfs', async () => {
    const report = await runImpactsDemo({ scenario: 'checkout', delayMs: 60, count: 8, exploreTimeLimitMs: 5000 });
    const runs = Object.fromEntries(report.scenarios[0]!.runs.map((r) => [r.variant, r]));
    expect(runs.vulnerable?.verdict).toBe('race');
    expect(runs.vulnerable?.impact.unit).toBe('money charged twice');
    expect(runs.vulnerable?.impact.amount).toBeGreaterThan(0);
    expect((runs.vulnerable?.impact.amount ?? 1) % 30).toBe(0);
    expect(runs.vulnerable?.explored?.verdict).toBe('race-found');
    for (const v of ['mutex', 'txn']) {
      expect(runs[v]?.verdict).toBe('exact');
      expect(runs[v]?.accepted.Checkout).toBe(8);
      expect(runs[v]?.explored?.verdict).toBe('proved');
    }
    // The explanation quotes this run's figure, not a canned one.
    expect(renderImpactsDemo(report)).toContain(`${runs.vulnerable!.impact.amount} money charged twice`);
  }, 60_000);
});
