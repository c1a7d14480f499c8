import { Random } from '../core/random.js';
import { runSeed, type Strategy } from './strategy.js';
import type { Transition } from './transition.js';

export interface PctOptions {
  /** The bug depth d to target: d-1 priority change points per run. Default 3. */
  readonly depth?: number;
  /** Steps per run assumed before the first run has been measured. Default 10. */
  readonly stepsEstimate?: number;
}

/**
 * Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010). Each task gets
 * a random priority when it first appears (all in a band above d); d-1 change points are drawn uniformly
 * among the k steps of a run. At every step the highest-priority enabled task runs; at the i-th change point
 * the task about to run is demoted to priority i (below every initial priority), which forces a preemption
 * exactly there. A bug that needs d ordering constraints is then hit with probability at least 1/(n·k^(d-1))
 * per run, n tasks and k steps, instead of the exponentially small odds of uniform random choice. k is the
 * longest run seen so far, as in Coyote, counted in decisions: a step where only one transition is enabled is
 * not a choice, so no change point is spent on it (k only shrinks, and the bound only improves).
 */
export function pctStrategy(seed: number, options: PctOptions = {}): Strategy {
  const depth = Math.max(1, Math.floor(options.depth ?? 3));
  let steps = Math.max(1, Math.floor(options.stepsEstimate ?? 10));
  let measured = false;
  /** Decisions (steps with a choice) of the run in progress. */
  let decisions = 0;
  return {
    name: 'pct',
    beginRun(run) {
      const random = Random.seeded(runSeed(seed, run));
      // Change point i (1..d-1) at a distinct step; a run with fewer than d-1 steps gets fewer change points.
      // Plain arrays, not Maps: a chooser is made per run and asked at every step.
      const changeSteps: number[] = [];
      const changeLevels: number[] = [];
      for (let i = 1; i < depth; i++) {
        let at = random.int(steps);
        for (let tries = 0; changeSteps.includes(at) && tries < steps; tries++) at = (at + 1) % steps;
        if (!changeSteps.includes(at)) {
          changeSteps.push(at);
          changeLevels.push(i);
        }
      }
      /** Priority by task index; a task gets one when it first appears. */
      const priority: number[] = [];
      decisions = 0;
      return {
        choose(enabled) {
          if (enabled.length < 2) return 0; // no choice: not a step a change point could use
          const step = decisions++;
          for (let i = 0; i < enabled.length; i++) {
            const task = (enabled[i] as Transition).task;
            if (priority[task] === undefined) priority[task] = depth + random.next();
          }
          const change = changeSteps.indexOf(step);
          if (change >= 0) priority[(enabled[highest(enabled, priority)] as Transition).task] = changeLevels[change] as number;
          return highest(enabled, priority);
        },
      };
    },
    endRun(_run, record) {
      if (record.status === 'abandoned') return;
      steps = measured ? Math.max(steps, decisions) : Math.max(1, decisions);
      measured = true;
    },
    state: () => ({ steps, measured }),
    setState(state) {
      ({ steps, measured } = state as { steps: number; measured: boolean });
    },
  };
}

/** The index of the enabled transition whose task has the highest priority (the first one on a tie). */
function highest(enabled: readonly Transition[], priority: readonly number[]): number {
  let best = 0;
  let bestPriority = -Infinity;
  for (let i = 0; i < enabled.length; i++) {
    const p = priority[(enabled[i] as Transition).task] as number;
    if (p > bestPriority) {
      best = i;
      bestPriority = p;
    }
  }
  return best;
}
