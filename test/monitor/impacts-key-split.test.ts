import { describe, expect, it } from 'vitest';
import { renderImpactsDemo } from '../../src/report/impacts-demo-text.js';
import { runImpactsDemo } from '../../src/scenarios/impacts/demo.js';

describe('demo impacts --monitor on the session scenario', () => {
  it("splits the suspects by key class when one race loses an update on each key it writes, and the parts add up", async () => {
    // A leaked slot is one lost update on the session's record and one on the pool's free count: the monitor's
    // count is twice the slots leaked, which the report now says instead of leaving the reader to wonder.
    const report = await runImpactsDemo({ scenario: 'session', count: 6, delayMs: 50, exploreTimeLimitMs: 1000, monitor: true });
    const vulnerable = report.scenarios[0]!.runs.find((r) => r.variant === 'vulnerable')!;
    const m = vulnerable.monitor!;
    expect(m.suspectedLostUpdates).toBeGreaterThan(0);
    const split = m.suspectsByKeyClass!;
    expect(Object.keys(split)).toHaveLength(2);
    expect(Object.values(split).reduce((a, b) => a + b, 0)).toBe(m.suspectedLostUpdates);
    const text = renderImpactsDemo(report);
    for (const [cls, n] of Object.entries(split)) expect(text).toContain(`${n} on ${cls}`);
    // The fixed ones flag nothing, so have no split.
    for (const r of report.scenarios[0]!.runs.filter((x) => x.variant !== 'vulnerable' && x.monitor?.visible)) expect(r.monitor!.suspectsByKeyClass).toBeUndefined();
  }, 120_000);
});
