import { describe, expect, it } from 'vitest';
import { explore } from '../../src/explore/index.js';
import { depth3Workload } from '../../src/workloads/index.js';

// Deterministic: fixed seeds, fixed budget. bench/explore.bench.mjs measures the same thing over more seeds.
describe('a depth-3 bug: pct against random', () => {
  it('pct (depth 3) finds it within 1000 runs for seeds 1..5; random finds it for none of them', async () => {
    const pct: Array<number | undefined> = [];
    const random: Array<number | undefined> = [];
    for (let seed = 1; seed <= 5; seed++) {
      pct.push((await explore(depth3Workload(), { strategy: 'pct', depth: 3, seed, runs: 1000, shrink: false })).firstFailure?.runsToFailure);
      random.push((await explore(depth3Workload(), { strategy: 'random', seed, runs: 1000, shrink: false })).firstFailure?.runsToFailure);
    }
    expect(pct.every((n) => n !== undefined && n <= 1000), `pct: ${pct.join(' ')}`).toBe(true);
    expect(random.every((n) => n === undefined), `random: ${random.join(' ')}`).toBe(true);
  });

  it('the failure is the deep order: all three clients read before any writes', async () => {
    const r = await explore(depth3Workload({ work: 2 }), { strategy: 'pct', seed: 1, runs: 2000 });
    const f = r.firstFailure!;
    expect(f.message).toContain('all three clients read counter = 0 before any of them wrote it');
    const gets = f.shrunk.traceLines.filter((l) => l.includes('get counter'));
    const firstSet = f.shrunk.traceLines.findIndex((l) => l.includes('set counter'));
    expect(gets).toHaveLength(3);
    expect(gets.every((l) => l.endsWith('get counter->0') || l.includes('get counter->0 '))).toBe(true);
    expect(f.shrunk.traceLines.findIndex((l) => l.includes('get counter')) < firstSet).toBe(true);
    expect(f.shrunk.preemptions).toBe(2);
  });
});
