import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../src/burst/call.js';
import { handlerWaves } from '../../src/burst/waves.js';

/** A burst sent at 0: each call's handler start and how long the call took, in µs. */
function burst(calls: ReadonlyArray<{ start: number; latency: number }>): CallOutcome[] {
  return calls.map((c, index) => ({ index, client: 0, path: '/Counter/Increment', sentMicros: 0, doneMicros: c.latency, code: 0, details: '', handlerStartMicros: 1_000_000 + c.start }));
}
const none = (): number => 0;
/** `n` handlers starting `gap` µs apart from `at`, each call answered `latency` µs after it was sent. */
const wave = (n: number, at: number, latency: number, gap = 50) => Array.from({ length: n }, (_, i) => ({ start: at + i * gap, latency }));

describe('handlerWaves', () => {
  it('finds two waves of 10, the second one handler run after the first', () => {
    const w = handlerWaves(burst([...wave(10, 0, 105_000), ...wave(10, 100_000, 205_000)]), none, 0);
    expect(w).toEqual({ sizes: [10, 10], intervalsMicros: [100_000], firstWaveLatencyMicros: 105_000 });
  });

  it('sees no waves in a burst that started at once, or spread evenly', () => {
    expect(handlerWaves(burst(wave(20, 0, 100_000)), none, 0)).toBeUndefined();
    expect(handlerWaves(burst(wave(20, 0, 100_000, 10_000)), none, 0)).toBeUndefined();
  });

  it('sees no waves when the client sent the calls that far apart, or the gap is not a handler run', () => {
    const calls = burst([...wave(10, 0, 105_000), ...wave(10, 100_000, 205_000)]);
    expect(handlerWaves(calls, none, 60_000)).toBeUndefined();
    // The second group began long after the first group's calls were answered: not waiting for a free slot.
    expect(handlerWaves(burst([...wave(10, 0, 20_000), ...wave(10, 100_000, 120_000)]), none, 0)).toBeUndefined();
  });

  it('sees no limit when a later group is larger than the first', () => {
    expect(handlerWaves(burst([...wave(5, 0, 105_000), ...wave(15, 100_000, 205_000)]), none, 0)).toBeUndefined();
  });

  it('takes the intended offsets out before looking', () => {
    const calls = burst([...wave(10, 0, 10_000), ...wave(10, 100_000, 10_000)]);
    expect(handlerWaves(calls, (i) => (i >= 10 ? 100_000 : 0), 0)).toBeUndefined();
  });
});
