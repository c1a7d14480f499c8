import { Random } from '../core/random.js';
import { runSeed, type Strategy } from './strategy.js';
import { independent, type Transition } from './transition.js';

/**
 * Partial Order Sampling (Yuan, Yang, Gu: "Partial Order Aware Concurrency Sampling", CAV 2018), the basic POS
 * algorithm. Every enabled transition gets a random priority when it first appears; each step runs the enabled
 * transition with the highest priority; after a step, every enabled transition that races with it (another
 * task's, and dependent on it: the independence relation of transition.ts) draws a fresh priority, and the task
 * that moved draws one for its next transition. Transitions that do not race keep their priorities, so the
 * relative order of independent work does not waste the sampling: each partial order is hit with a probability
 * that does not shrink with the number of its linearizations, unlike uniform random choice, and without PCT's
 * guess of a bug depth and a run length.
 */
export function posStrategy(seed: number): Strategy {
  return {
    name: 'pos',
    beginRun(run) {
      const random = Random.seeded(runSeed(seed, run));
      const priority = new Map<string, number>();
      let last: Transition | undefined;
      return {
        choose(enabled) {
          if (last) {
            for (const t of enabled) if (t.task !== last.task && !independent(t, last)) priority.delete(t.key);
          }
          let best = 0;
          let bestPriority = -1;
          for (let i = 0; i < enabled.length; i++) {
            const t = enabled[i] as Transition;
            let p = priority.get(t.key);
            if (p === undefined) {
              p = random.next();
              priority.set(t.key, p);
            }
            if (p > bestPriority) {
              best = i;
              bestPriority = p;
            }
          }
          last = enabled[best] as Transition;
          // The task's next transition may reuse this key (a task's points share one): it is a new event.
          priority.delete(last.key);
          return best;
        },
      };
    },
    endRun() {},
  };
}
