import { describe, expect, it } from 'vitest';
import { runImpactsDemo } from '../../../src/scenarios/impacts/demo.js';
import { renderImpactsDemo } from '../../../src/report/impacts-demo-text.js';

describe('racelab demo impacts --scenario bank', () => {
  it('measures money created by the vulnerable variant, none by the fixes, and names the deadlock the explorer found', async () => {
    const report = await runImpactsDemo({ scenario: 'bank', delayMs: 60, count: 5, exploreTimeLimitMs: 2000 });
    const runs = Object.fromEntries(report.scenarios[0]!.runs.map((r) => [r.variant, r]));
    expect(runs.vulnerable?.verdict).toBe('race');
    expect(runs.vulnerable?.impact.unit).toBe('money created');
    expect(runs.vulnerable?.impact.amount).toBeGreaterThan(0);
    for (const v of ['mutex-ordered', 'actor', 'cas', 'txn']) expect(runs[v]?.verdict).toBe('exact');
    expect(runs['mutex-unordered']?.explored?.verdict).toBe('deadlock-found');
    expect(runs['mutex-ordered']?.explored?.verdict).toBe('proved');
    const text = renderImpactsDemo(report);
    // The explanation quotes this run's figure, not a canned one.
    expect(text).toContain(`${runs.vulnerable!.impact.amount} money created`);
    expect(text).toMatch(/t2 waits for "wait for account\(bob\)"; t3 waits for "wait for account\(alice\)"/);
  }, 120_000);
});
