import { Random } from '../core/random.js';
import type { Chooser } from './controlled-scheduler.js';
import { runSeed, type Strategy } from './strategy.js';
import type { Transition } from './transition.js';

/** Uniformly random choice among the enabled transitions at every step, from a seeded generator. */
export function randomStrategy(seed: number): Strategy {
  return {
    name: 'random',
    beginRun(run) {
      const random = Random.seeded(runSeed(seed, run));
      return { choose: (enabled) => random.int(enabled.length) };
    },
    endRun() {},
  };
}

/**
 * Whether a transition sends a call out: a task's start (its code up to its first stop), or the point before an
 * awaited call is made (an instrumented `await`, a `for await`'s `next()`, a `controlled()` method call). A
 * `.then` callback's point is a result's continuation, not a call.
 */
function callsOut(t: Transition): boolean {
  return t.kind === 'start' || (t.kind === 'point' && t.op.site !== undefined && t.op.site.kind !== 'then');
}

/**
 * Random choice under fast-check's scheduling model (`fc.scheduler()` with `scheduleFunction`): calls go out as
 * soon as a task reaches them, and only the order in which results come back, timers fire and other steps run is
 * drawn at random. At every step the enabled transitions that send a call out (see callsOut) run first, one drawn
 * at random among them; only when none is enabled is the draw among all of them. A check-then-act on service code
 * (both tasks read, then both act) is then the first run's order whatever the seed, and a stale fill needs one
 * coin: the writer's result delivered before the reader's (where a uniform walk over the points before calls and
 * after results hits it in 3 runs of 32). It never puts another task's call between a task's start and its first
 * call, or between a result and the next call: pct and pos do, in the portfolio beside it.
 */
export function callsFirstStrategy(seed: number): Strategy {
  return {
    name: 'random',
    beginRun(run): Chooser {
      const random = Random.seeded(runSeed(seed, run));
      const out: number[] = [];
      return {
        choose(enabled) {
          out.length = 0;
          for (let i = 0; i < enabled.length; i++) if (callsOut(enabled[i] as Transition)) out.push(i);
          return out.length > 0 ? (out[random.int(out.length)] as number) : random.int(enabled.length);
        },
      };
    },
    endRun() {},
  };
}
