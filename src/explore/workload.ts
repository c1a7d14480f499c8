import type { Model } from '../check/model.js';
import type { Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import type { History } from '../history/event.js';
import type { Scheduler } from '../sched/scheduler.js';

/**
 * What a workload gets for one run: a fresh controlled scheduler (with its virtual clock) and the run's seeded
 * randomness. Everything concurrent in the workload must go through `scheduler` (spawn, point, waitFor, clock):
 * that is what lets the explorer choose every interleaving and replay it. Pass it explicitly (to a MemoryStore,
 * a Mutex, an ActorSystem), or explore with `ambient: true` for code that uses the ambient scheduler.
 */
export interface WorkloadContext {
  readonly scheduler: Scheduler;
  /** The scheduler's virtual clock: sleeping costs no real time. */
  readonly clock: Clock;
  /** The workload's seed: the same in every run of one exploration, so a replay rebuilds the same workload. */
  readonly seed: number;
  /** Seeded from `seed`; use it (never Math.random) for any randomness the workload needs. */
  readonly random: Random;
  /**
   * Adds `text` to the trace entry of the step being executed, e.g. the value a read returned (`->0`), so a
   * failing trace reads `c1 get counter->0 . c2 get counter->0 . …`.
   */
  note(text: string): void;
}

/**
 * The verdict of an invariant: `true` (or nothing) when it holds; `false`, or a sentence saying what is wrong,
 * when it does not. Throwing counts as "does not hold", with the error's message.
 */
export type InvariantVerdict = boolean | string | void;

export type TaskBody = () => Promise<void>;

/**
 * A linearizability check of the run, after the invariant holds: the history of the run's operations (invoke,
 * then ok / fail / info, in the order they happened) must be explainable by some sequential order of them that
 * respects real time, for `model` (racelab check's Wing–Gong–Lowe search).
 */
export interface LinearizabilityCheck {
  /** The run's history; events appended in the order they happened (only one task runs at a time). */
  history(): History;
  /** A model (src/check) or the name of a built-in one: `register`, `counter`, `kv`. */
  readonly model: Model<any, any, any> | string; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Search budget per run, ms (default 1000). A verdict of `unknown` (it ran out) does not fail the run; it is counted. */
  readonly budgetMs?: number;
}

/** One run's instance of a workload: the tasks to start and what must hold once they are all done. */
export interface WorkloadInstance {
  /** Started in this order with `scheduler.spawn(name, body)`. Setup may also spawn tasks itself. */
  readonly tasks?: ReadonlyArray<readonly [name: string, body: TaskBody]>;
  /** Checked after every run in which every task finished. */
  invariant?(): InvariantVerdict | Promise<InvariantVerdict>;
  /** Checked after the invariant holds: an `illegal` verdict fails the run. */
  readonly linearizability?: LinearizabilityCheck;
  /** Called after the run, whatever its outcome. */
  teardown?(): void | Promise<void>;
}

export interface Workload {
  /** Names the workload in reports and replay tokens (`counter`, `actors`, or your own). */
  readonly name: string;
  /**
   * What distinguishes this workload from others of the same name (`variant`, `clients`, …). Recorded in the
   * replay token, so `racelab replay` can rebuild a built-in workload and a library replay can refuse a token
   * that was made for a different one.
   */
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  /** Builds a fresh instance: called once per run, so no state leaks from one run to the next. */
  setup(ctx: WorkloadContext): WorkloadInstance | Promise<WorkloadInstance>;
}
