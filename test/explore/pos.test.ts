import { describe, expect, it } from 'vitest';
import { counterWorkload, depth3Workload, explore } from '../../src/index.js';

describe('pos: partial-order sampling', () => {
  it('finds the depth-3 bug for 4 of seeds 1..5 within 1000 runs (random finds it for none: see depth3.test.ts)', async () => {
    const found: Array<number | undefined> = [];
    for (let seed = 1; seed <= 5; seed++) found.push((await explore(depth3Workload(), { strategy: 'pos', seed, runs: 1000, shrink: false })).firstFailure?.runsToFailure);
    expect(found.filter((n) => n !== undefined).length, `pos: ${found.join(' ')}`).toBeGreaterThanOrEqual(4);
  });

  it('the same seed gives the same runs; its tokens replay', async () => {
    const a = await explore(counterWorkload({ variant: 'vulnerable', clients: 3 }), { strategy: 'pos', seed: 9, runs: 50 });
    const b = await explore(counterWorkload({ variant: 'vulnerable', clients: 3 }), { strategy: 'pos', seed: 9, runs: 50 });
    expect(a.firstFailure?.found.schedule).toEqual(b.firstFailure?.found.schedule);
    expect(a.firstFailure?.replayToken).toMatch(/^rl1\/counter\/\S+\/pos\//);
    const replayed = await explore(counterWorkload({ variant: 'vulnerable', clients: 3 }), { strategy: 'replay', replay: a.firstFailure!.replayToken });
    expect(replayed.firstFailure).toBeDefined();
  });
});

describe('portfolio: pct and pos on alternating runs', () => {
  it('finds the depth-3 bug for every seed 1..5 within 1000 runs, and its token replays', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = await explore(depth3Workload(), { strategy: 'portfolio', seed, runs: 1000, shrink: false });
      expect(r.firstFailure, `seed ${seed}`).toBeDefined();
      expect(r.firstFailure!.replayToken).toMatch(/\/portfolio\//);
    }
  });
});
