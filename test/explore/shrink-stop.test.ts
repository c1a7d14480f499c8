import { describe, expect, it } from 'vitest';
import { describeFailure, explore, type Workload } from '../../src/explore/index.js';
import { renderExploreReport } from '../../src/report/explore-text.js';
import { counterWorkload } from '../../src/workloads/index.js';
import { exploreReport } from '../../src/workloads/run-explore.js';

/** The 3-client lost update; `onFailure` runs in the run whose invariant fails first (the one found, before shrinking). */
function counterFailing(onFailure: () => void): Workload {
  const base = counterWorkload({ variant: 'vulnerable', clients: 3, increments: 2 });
  let failed = false;
  return {
    name: base.name,
    ...(base.params ? { params: base.params } : {}),
    async setup(ctx) {
      const inner = await base.setup(ctx);
      return {
        ...inner,
        async invariant() {
          const verdict = await inner.invariant?.();
          if (verdict !== true && verdict !== undefined && !failed) {
            failed = true;
            onFailure();
          }
          return verdict;
        },
      };
    },
  };
}

describe('shrinking stops with the exploration, and says its schedule is not a minimal one', () => {
  it('by default it runs its moves out: a minimal schedule', async () => {
    const r = await explore(counterFailing(() => {}), { strategy: 'random', seed: 11 });
    expect(r.firstFailure?.shrinkRuns).toBeGreaterThan(1);
    expect(r.firstFailure?.shrinkStopped).toBeUndefined();
  });

  it('its run budget spent: the smallest found so far, said so', async () => {
    const r = await explore(counterFailing(() => {}), { strategy: 'random', seed: 11, shrinkRuns: 1 });
    const f = r.firstFailure!;
    expect(f.shrinkRuns).toBe(1);
    expect(f.shrinkStopped).toBe('shrink-runs');
  });

  it('Ctrl+C while the failure is found: no shrink run, the schedule as found, not called minimal', async () => {
    const stop = new AbortController();
    const r = await explore(counterFailing(() => stop.abort()), { strategy: 'random', seed: 11, signal: stop.signal });
    expect(r.verdict).toBe('race-found');
    const f = r.firstFailure!;
    expect(f.shrinkStopped).toBe('interrupted');
    expect(f.shrinkRuns).toBe(0);
    expect(f.shrunk).toEqual(f.found);
    // Shrinking a 3-client failure found by random takes it further when nothing stops it (the test above).
    const text = renderExploreReport(exploreReport(r));
    expect(text).toMatch(/smallest schedule found: \d+ steps, \d+ preemptions \(as found: \d+ steps, \d+ preemptions; 0 shrink runs, then shrinking stopped: it was interrupted, and a smaller one may fail too\)/);
    expect(text).not.toContain('minimal schedule');
    // expectNoRace's message (describeFailure) says the same.
    expect(describeFailure(r, f)).toMatch(/^smallest schedule found: .*then shrinking stopped: it was interrupted, and a smaller one may fail too\)$/m);
    expect(describeFailure(r, f)).not.toContain('minimal schedule');
  });

  it('the time limit passed while the failing run ran: no shrink run past it', async () => {
    const r = await explore(
      counterFailing(() => {
        const until = performance.now() + 300;
        while (performance.now() < until); // the failing run itself outlasts the limit
      }),
      { strategy: 'random', seed: 11, timeLimitMs: 200 },
    );
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.shrinkStopped).toBe('time-limit');
    expect(r.firstFailure?.shrinkRuns).toBe(0);
  });
});
