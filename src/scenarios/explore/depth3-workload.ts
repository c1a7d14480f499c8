import { RacelabError } from '../../core/errors.js';
import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import { tracedStore } from './traced-store.js';

export interface Depth3WorkloadOptions {
  /**
   * Store operations on its own key each client makes before its check-then-act (its own work: parsing,
   * authorizing, logging). Default 6. More work makes the deep order rarer for a random scheduler.
   */
  readonly work?: number;
}

const SHARED_KEY = 'counter';

/**
 * A bug that needs a deep ordering, to compare strategies. Three clients each do some work of their own, then
 * a check-then-act across two messages: read the shared counter, then write read+1. Losing one update needs
 * one preemption at the right step (bug depth 2) and is not what this workload checks. It fails only on the
 * deep order: all three clients read before any of them writes, so two of the three updates are lost and the
 * counter ends at 1. That needs two preemptions, each at one exact step (depth 3): after the first client's
 * read and after the second's. PCT at depth 3 hits it with probability about 1/(n·k²) per run; a uniformly
 * random scheduler must keep every reader from writing while the others catch up through all their work.
 */
export function depth3Workload(options: Depth3WorkloadOptions = {}): Workload {
  const work = options.work ?? 6;
  if (!Number.isInteger(work) || work < 0 || work > 1000) throw new RacelabError('BAD_COUNT', `--work: "${work}" must be a whole number from 0 to 1000`);
  return {
    name: 'depth3',
    params: { work },
    setup(ctx) {
      const memory = new MemoryStore(ctx.scheduler);
      const store = tracedStore(memory, ctx.note);
      const client = (name: string) => async () => {
        for (let i = 0; i < work; i++) await store.increment(`work.${name}`);
        const seen = await store.get(SHARED_KEY);
        await store.set(SHARED_KEY, seen + 1);
      };
      return {
        tasks: [
          ['c1', client('c1')],
          ['c2', client('c2')],
          ['c3', client('c3')],
        ],
        invariant: async () => {
          const final = await memory.get(SHARED_KEY);
          return final !== 1 || `final ${SHARED_KEY} = 1 after 3 increments: all three clients read before any wrote (the depth-3 order)`;
        },
      };
    },
  };
}
