import { describe, expect, it } from 'vitest';
import { runImpactsDemo } from '../../../src/scenarios/impacts/demo.js';
import { renderImpactsDemo } from '../../../src/report/impacts-demo-text.js';

describe('racelab demo impacts --scenario privilege', () => {
  it('prints admin actions after an acknowledged revoke per sync mode over 20 rounds: none sequentially, some at once', async () => {
    const report = await runImpactsDemo({ scenario: 'privilege', delayMs: 60, count: 3, exploreTimeLimitMs: 2000 });
    const detection = Object.fromEntries((report.scenarios[0]!.detection ?? []).map((d) => [d.sync, d]));
    expect(Object.keys(detection)).toEqual(['sequential', 'parallel', 'connections', 'last-frame']);
    for (const d of Object.values(detection)) expect(d.rounds).toBe(20);
    // Sequential calls finish each action before the revoke is sent: nothing to detect.
    expect(detection.sequential).toMatchObject({ detected: 0, impact: 0 });
    expect(detection['last-frame']!.detected).toBeGreaterThan(0);
    expect(detection['last-frame']!.impact).toBeGreaterThanOrEqual(detection['last-frame']!.detected);
    const text = renderImpactsDemo(report);
    expect(text).toContain(`last-frame   ${detection['last-frame']!.detected}/20 rounds`);
  }, 180_000);
});
