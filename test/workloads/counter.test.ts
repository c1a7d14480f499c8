import { describe, expect, it } from 'vitest';
import { explore, replay } from '../../src/explore/index.js';
import { counterWorkload } from '../../src/workloads/index.js';

describe('explore counter: the lost update', () => {
  it('dfs finds it with 2 clients, and the shrunk trace is its 4 store operations', async () => {
    const r = await explore(counterWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'dfs', seed: 1 });
    const f = r.firstFailure;
    expect(r.stopReason).toBe('first-failure');
    expect(f?.kind).toBe('invariant');
    expect(f?.message).toBe('final counter = 1, expected 2 (1 update lost)');
    expect(f?.shrunk.steps).toBe(4);
    expect(f?.shrunk.preemptions).toBe(1);
    expect(f?.shrunk.trace).toBe('c1 get counter->0 . c2 get counter->0 . c2 set counter=1 . c1 set counter=1');
    expect(f?.shrunk.traceLines[1]).toMatch(/c2 +get counter->0 +<- preempts c1$/);
    // The token replays exactly that schedule.
    const again = await replay(counterWorkload({ variant: 'vulnerable', clients: 2 }), f!.replayToken);
    expect(again.status).toBe('failed');
    expect(again.schedule.trace).toBe(f?.shrunk.trace);
  });

  it('shrinking removes preemptions: a 3-client failure found by random shrinks to 1 preemption', async () => {
    const r = await explore(counterWorkload({ variant: 'vulnerable', clients: 3, increments: 2 }), { strategy: 'random', seed: 11 });
    const f = r.firstFailure!;
    expect(f.found.preemptions).toBeGreaterThan(1);
    expect(f.shrunk.preemptions).toBe(1);
    expect(f.shrunk.steps).toBeLessThanOrEqual(f.found.steps);
    expect(f.shrinkRuns).toBeGreaterThan(0);
    expect((await replay(counterWorkload({ variant: 'vulnerable', clients: 3, increments: 2 }), f.replayToken)).status).toBe('failed');
  });

  it('with a virtual 500 ms window the race is found at no real cost, and the sleeps are steps', async () => {
    const started = performance.now();
    const r = await explore(counterWorkload({ variant: 'vulnerable', clients: 2, delayMs: 500 }), { strategy: 'dfs', seed: 1 });
    // Real sleeps would cost 500 ms a run; the virtual ones cost far less (a bound from the workload, not the machine).
    const runs = r.runs + (r.firstFailure?.shrinkRuns ?? 0);
    expect(runs).toBeGreaterThan(10);
    expect(performance.now() - started).toBeLessThan(500 * runs);
    // While c1 sleeps, c2 is the only one that can run: with the seed's window the race needs no preemption at all.
    expect(r.firstFailure?.shrunk.trace).toBe('c1 get counter->0 . c2 get counter->0 . c2 wake +500ms . c2 set counter=1 . c1 wake +500ms . c1 set counter=1');
    expect(r.firstFailure?.shrunk.preemptions).toBe(0);
    expect(r.firstFailure?.shrunk.virtualMs).toBe(500);
  });
});

describe('explore counter: the fixes, proved by dfs', () => {
  for (const variant of ['mutex', 'atomic', 'cas', 'txn']) {
    it(`${variant}: no failing schedule for 2, 3 and 4 clients; explored and pruned counts reported`, async () => {
      for (const clients of [2, 3, 4]) {
        const r = await explore(counterWorkload({ variant, clients }), { strategy: 'dfs', seed: 1, runs: 1_000_000 });
        expect(r.failures, `${variant} ${clients} clients`).toBe(0);
        expect(r.stopReason).toBe('exhausted');
        expect(r.dfs?.exhausted).toBe(true);
        expect(r.dfs?.schedulesExplored).toBe(r.runs);
        expect(r.dfs?.schedulesExplored).toBeGreaterThanOrEqual(clients === 2 ? 2 : 6);
        expect(r.dfs?.prunedByPor).toBeGreaterThanOrEqual(0);
        // atomic is one update per client, all on one key: nothing commutes, nothing to prune.
        if (variant !== 'atomic' && clients >= 3) expect(r.dfs?.prunedByPor).toBeGreaterThan(0);
      }
    });
  }

  it('partial-order reduction reaches every outcome plain dfs reaches (final value, stale reads, CAS conflicts)', async () => {
    // An outcome: what the run observed, from its trace notes. Equivalent interleavings observe the same things.
    const outcomes = async (variant: string, por: boolean): Promise<string[]> => {
      const seen = new Set<string>();
      await explore(counterWorkload({ variant, clients: 3 }), {
        strategy: 'dfs',
        seed: 1,
        por,
        runs: 1_000_000,
        stopOnFailure: false,
        shrink: false,
        onRun: (_run, r) => {
          if (r.status === 'abandoned') return;
          const reads = r.steps.filter((s) => /^(get|read) /.test(s.label)).map((s) => s.note).sort();
          const stale = r.steps.filter((s) => s.note === '->stale').length;
          seen.add(`${r.status} reads=${reads.join(',')} stale=${stale}`);
        },
      });
      return [...seen].sort();
    };
    for (const variant of ['vulnerable', 'mutex', 'cas', 'txn']) {
      const reduced = await outcomes(variant, true);
      // vulnerable: 4 outcomes (0 to 2 updates lost); cas: 6 (how many reads went stale); the locks: 1.
      expect(reduced.length, variant).toBe({ vulnerable: 4, cas: 6, mutex: 1, txn: 1 }[variant]);
      expect(reduced, variant).toEqual(await outcomes(variant, false));
    }
  });

  it('partial-order reduction explores fewer schedules than plain dfs and reaches the same verdicts', async () => {
    for (const variant of ['vulnerable', 'mutex', 'cas', 'txn']) {
      const withPor = await explore(counterWorkload({ variant, clients: 3 }), { strategy: 'dfs', seed: 1, runs: 1_000_000, stopOnFailure: false, shrink: false });
      const without = await explore(counterWorkload({ variant, clients: 3 }), { strategy: 'dfs', seed: 1, runs: 1_000_000, stopOnFailure: false, shrink: false, por: false });
      expect(without.dfs?.prunedByPor).toBe(0);
      expect(withPor.dfs?.exhausted && without.dfs?.exhausted).toBe(true);
      expect(withPor.runs, variant).toBeLessThan(without.runs);
      expect(withPor.failures > 0, variant).toBe(without.failures > 0);
      expect(withPor.failures > 0).toBe(variant === 'vulnerable');
    }
  });
});

describe('explore counter: linearizability decides each run', () => {
  it('the vulnerable history is not linearizable; the fixes are, in every schedule', async () => {
    const bad = await explore(counterWorkload({ variant: 'vulnerable', clients: 2, linearizability: true }), { strategy: 'dfs', seed: 1 });
    expect(bad.firstFailure?.kind).toBe('linearizability');
    expect(bad.firstFailure?.message).toContain('get → 1 is impossible when the counter is 2');
    expect(bad.firstFailure?.shrunk.steps).toBe(4);
    for (const variant of ['mutex', 'cas']) {
      const ok = await explore(counterWorkload({ variant, clients: 3, linearizability: true }), { strategy: 'dfs', seed: 1 });
      expect(ok.failures).toBe(0);
      expect(ok.dfs?.exhausted).toBe(true);
      expect(ok.linearizability).toEqual({ checked: ok.runs, unknown: 0 });
    }
  });
});
