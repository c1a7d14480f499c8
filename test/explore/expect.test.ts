import { describe, expect, it } from 'vitest';
import { expectNoRace, expectRace } from '../../src/explore/index.js';
import { counterWorkload } from '../../src/workloads/index.js';

describe('test helpers', () => {
  it('expectNoRace resolves with the result for a fixed variant', async () => {
    const r = await expectNoRace(counterWorkload({ variant: 'mutex', clients: 3 }), { strategy: 'dfs', seed: 1 });
    expect(r.dfs?.exhausted).toBe(true);
  });

  it('expectNoRace throws an Error with the failure, the trace, the seed and the replay token', async () => {
    const error = await expectNoRace(counterWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'pct', seed: 5 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain('final counter = 1, expected 2 (1 update lost)');
    expect(error?.message).toContain('with pct (seed 5)');
    expect(error?.message).toContain('trace: c');
    expect(error?.message).toMatch(/replay token: rl1\/counter\/\S+/);
  });

  it('expectRace resolves with the failure for the vulnerable variant and throws for a fixed one', async () => {
    const f = await expectRace(counterWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'random', seed: 1 });
    expect(f.shrunk.steps).toBe(4);
    await expect(expectRace(counterWorkload({ variant: 'atomic', clients: 2 }), { strategy: 'dfs', seed: 1 })).rejects.toThrow(
      /expected a failing schedule, but 2 run\(s\) with dfs \(seed 1\) all passed \(stopped: exhausted/,
    );
  });
});
