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

describe('portfolio: random, pct and pos in rotation', () => {
  it('finds the depth-3 bug for every seed 1..5 within 1000 runs, and its token replays', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = await explore(depth3Workload(), { strategy: 'portfolio', seed, runs: 1000, shrink: false });
      expect(r.firstFailure, `seed ${seed}`).toBeDefined();
      expect(r.firstFailure!.replayToken).toMatch(/\/portfolio\//);
    }
  });

  it("its runs are random's, pct's and pos's own, in turn: run 3k+i is member i's run k", async () => {
    const schedules = async (strategy: 'portfolio' | 'random' | 'pct' | 'pos', seed: number, runs: number): Promise<string[]> => {
      const seen: string[] = [];
      await explore(counterWorkload({ variant: 'vulnerable', clients: 3 }), { strategy, seed, runs, shrink: false, stopOnFailure: false, onRun: (_run, record) => void seen.push(record.steps.map((s) => s.key).join('')) });
      return seen;
    };
    const portfolio = await schedules('portfolio', 7, 9);
    const members = await Promise.all((['random', 'pct', 'pos'] as const).map((s) => schedules(s, 7, 3)));
    for (let run = 0; run < 9; run++) expect(portfolio[run], `run ${run}`).toBe(members[run % 3]![Math.floor(run / 3)]);
  });
});
