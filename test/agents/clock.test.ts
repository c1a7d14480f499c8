import { describe, expect, it } from 'vitest';
import { calibrateWallClock, clockSample, estimateOffset, wallMicros } from '../../src/agents/clock.js';

describe('the agents\' wall clock', () => {
  it('reads the wall clock Date.now() reads, to within the calibration it states', () => {
    const { uncertaintyMicros } = calibrateWallClock();
    // A host this loaded gives wide brackets; the bound below still has to hold, with the width it stated.
    expect(uncertaintyMicros).toBeLessThanOrEqual(1000);
    let worst = 0;
    for (let i = 0; i < 2000; i++) {
      const before = wallMicros();
      const dateMs = Date.now();
      const after = wallMicros();
      // Date.now() is the wall clock floored to the millisecond, read between the two.
      expect(after + uncertaintyMicros + 1).toBeGreaterThanOrEqual(dateMs * 1000);
      expect(before - uncertaintyMicros - 1).toBeLessThan((dateMs + 1) * 1000);
      worst = Math.max(worst, dateMs * 1000 - after, before - (dateMs + 1) * 1000);
    }
    expect(worst).toBeLessThanOrEqual(uncertaintyMicros + 1);
  });

  it('adds each side\'s own clock uncertainty to half the best round trip', () => {
    const off = estimateOffset(
      [
        { sentMicros: 0, agentMicros: 5_100, receivedMicros: 400, clockUncertaintyMicros: 7 },
        { sentMicros: 1_000, agentMicros: 6_100, receivedMicros: 1_200, clockUncertaintyMicros: 3 },
      ],
      11,
    );
    expect(off).toEqual({ offsetMicros: 5_000, uncertaintyMicros: 100 + 3 + 11, rttMicros: 200, samples: 2 });
  });

  it('takes an agent\'s reading only when its time is finite and its stated uncertainty finite and not negative', () => {
    expect(clockSample(1, 9, { agent: 'a1', agentMicros: 5 })).toEqual({ sentMicros: 1, receivedMicros: 9, agentMicros: 5 });
    expect(clockSample(1, 9, { agent: 'a1', agentMicros: 5, clockUncertaintyMicros: 0 })).toEqual({ sentMicros: 1, receivedMicros: 9, agentMicros: 5, clockUncertaintyMicros: 0 });
    for (const bad of [null, 7, 'x', {}, { agentMicros: '5' }, { agentMicros: Number.NaN }, { agentMicros: 5, clockUncertaintyMicros: -1 }, { agentMicros: 5, clockUncertaintyMicros: Number.POSITIVE_INFINITY }, { agentMicros: 5, clockUncertaintyMicros: '3' }]) {
      expect(clockSample(1, 9, bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
