import { RacelabError } from '../core/errors.js';
import type { Workload } from '../explore/workload.js';
import { MemoryStore } from '../store/memory.js';

export interface Depth3WorkloadOptions {
  /**
   * Store operations on its own key that client k does before its check-then-act: (k-1)·work, so c1 does none,
   * c2 `work` and c3 twice that (their own work: parsing, authorizing, logging). Default 6. More work makes the
   * deep order rarer for a random scheduler and costs PCT only a longer run.
   */
  readonly work?: number;
}

const SHARED_KEY = 'counter';

/**
 * A bug that needs a deep ordering, to compare strategies. Three clients each do some work of their own, then
 * a check-then-act across two messages: read the shared counter, then write read+1. Losing one update needs
 * one preemption at the right step (bug depth 2) and is not what this workload checks. It fails only on the
 * deep order: all three clients read the initial value before any of them writes (two of three updates lost).
 * That needs two preemptions, each at one exact step (depth 3): right before the first reader's write and right
 * before the second reader's write; then the third runs through and the other two write their stale values.
 *
 * PCT at depth 3 draws two change points among the k steps of a run, and hits the pair it needs with
 * probability about 2/k^2 per run (the bound of Burckhardt et al. is 1/(n·k^(d-1))). A uniformly random
 * scheduler must keep the first reader, whose write is enabled all along, from writing while the others get
 * through all their work: the odds fall geometrically with the work. `bench/explore.bench.mjs` measures both.
 */
export function depth3Workload(options: Depth3WorkloadOptions = {}): Workload {
  const work = options.work ?? 6;
  if (!Number.isInteger(work) || work < 0 || work > 1000) throw new RacelabError('BAD_COUNT', `"${work}" must be a whole number from 0 to 1000`, { subject: 'work' });
  return {
    name: 'depth3',
    params: { work },
    setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note });
      const seen: number[] = [];
      const client = (name: string, share: number) => async () => {
        for (let i = 0; i < work * share; i++) await store.increment(`work.${name}`);
        const value = await store.get(SHARED_KEY);
        seen.push(value);
        await store.set(SHARED_KEY, value + 1);
      };
      return {
        tasks: [
          ['c1', client('c1', 0)],
          ['c2', client('c2', 1)],
          ['c3', client('c3', 2)],
        ],
        invariant: () =>
          !(seen.length === 3 && seen.every((v) => v === 0)) ||
          `all three clients read ${SHARED_KEY} = 0 before any of them wrote it (the depth-3 order): two of three updates lost`,
      };
    },
  };
}
