import { AsyncLocalStorage } from 'node:async_hooks';
import { realClock, type Clock } from '../core/clock.js';
import type { AwaitSite } from './await-site.js';

/**
 * What a task is about to do at a scheduling point. The explorer uses `kind` and `object` to decide which
 * operations are independent (two reads, or operations on different objects, commute), and `label` for traces.
 * `'await'` is the point instrumented user code makes before an awaited expression is evaluated (the call goes
 * out): it carries the await's `site`, and, with no `object`, conflicts with everything.
 */
export type OperationKind =
  | 'read'
  | 'write'
  | 'update'
  | 'send'
  | 'deliver'
  | 'timer'
  | 'lock'
  | 'unlock'
  | 'yield'
  | 'spawn'
  | 'await';

export interface Operation {
  readonly kind: OperationKind;
  /** The object touched: a store key, a process id, a lock name. Absent = conflicts with everything. */
  readonly object?: string;
  /** Human-readable, e.g. `get counter`. */
  readonly label: string;
  /** Where in the user's source the point is (an instrumented `await`); traces print it as `wallet.ts:35`. */
  readonly site?: AwaitSite;
}

/**
 * The scheduling-point port. Store operations, message deliveries, timers and `yieldPoint()` all call
 * `point()` before they act. The real scheduler returns at once (nothing to await); a controlled scheduler
 * returns a promise that resolves when its strategy picks this task to run next.
 */
export interface Scheduler {
  readonly clock: Clock;
  point(op: Operation): void | Promise<void>;
  /**
   * Starts `body` as a concurrent task (a client, an actor's loop). The real scheduler just calls it; a
   * controlled scheduler registers it, so it knows which task each later scheduling point belongs to and when
   * every task is at a point, blocked or done.
   */
  spawn(name: string, body: () => Promise<void>): Promise<void>;
  /**
   * The calling task waits on `promise`, which only another task of this scheduler can settle (a receive on an
   * empty mailbox, a mutex held by another task). A controlled scheduler counts such a task as blocked, not as
   * escaped into uncontrolled asynchrony, and reports a deadlock when every task is blocked.
   *
   * `object`, when given, is the one object the waiting code touches when it resumes, up to its next point (a
   * process's own mailbox and exit state): the resumption then commutes with operations on other objects, which
   * lets partial-order reduction prune their reorderings. Absent, the resumption conflicts with everything.
   */
  waitFor<T>(promise: Promise<T>, label: string, object?: string): Promise<T>;
  /**
   * Optional, for waits whose end the waiting code itself controls (a mutex hand-over): the calling task blocks
   * on `promise` until some task calls `wake()`. The same as `waitFor(new Promise(…), label)` with the resolver as
   * `wake`, but a controlled scheduler hears of the wake the moment it happens, instead of through a promise
   * reaction it must wait for every pending reaction to find. Code falls back to `waitFor` where it is absent.
   */
  block?(label: string): BlockedWait;
  /**
   * Optional, for timers that are usually cancelled (a call's timeout, a receive's): the same as spawning a task
   * that sleeps `ms` on this scheduler's clock and then calls `fire`, but the returned function cancels it, and a
   * controlled scheduler then drops the task there and then, without a step. Without it, a timeout of a call that
   * was answered still ends its sleep as a step of its own at the end of every run, and the explorer tries those
   * ends in every order. Code falls back to a spawned sleeping task where it is absent.
   */
  timer?(ms: number, label: string, fire: () => void | Promise<void>): () => void;
  /**
   * Optional, for instrumented user code (src/sched/await-site.ts): the value an `await` at `site` is about to
   * await, after the expression was evaluated. The real scheduler has no such method (the value is awaited as
   * it is). A controlled scheduler returns a promise that settles with the value's outcome only when its
   * strategy picks the calling task to resume (the response comes back); while the value is a promise another
   * task of the run will settle, the task is blocked (as with `waitFor`), not escaped. A value that settles
   * through nothing the run controls (real I/O) is reported, or, in atomic I/O mode, awaited as one step.
   * `call`, when the site is a call whose arguments were seen, is the call with their values: `findById("acc1")`.
   * `opaque`, when the callee is an async function racelab did not instrument (its own awaits are no points), is
   * its name: a pending value then means steps ran unseen inside it, and a controlled scheduler counts that as
   * uncontrolled unless I/O is declared atomic.
   */
  awaited?<T>(value: T, site: AwaitSite, call?: string, opaque?: string): T | Promise<Awaited<T>>;
  /**
   * Optional, for instrumented user code: the code at `site` will await something no point can be put before
   * (the disposal an `await using` declaration runs when its block ends). A controlled scheduler counts it as
   * uncontrolled: an exploration that saw it never reports a proof.
   */
  uncontrolledAwait?(site: AwaitSite, what: string): void;
  /**
   * Optional: the calling task's workload has its result, and what runs from the next step on only winds the run
   * down (an actor system shutting down its processes). A controlled scheduler still runs and records those steps
   * (the run's check comes after them), and a report lists them apart, after the steps that made the result.
   */
  windDown?(): void;
}

/** A wait made by `Scheduler.block`: await `promise`; another task ends it with `wake()` (later calls do nothing). */
export interface BlockedWait {
  readonly promise: Promise<void>;
  wake(): void;
}

/** Told when code reaches the real scheduler's `point` while a controlled run is in progress in this process. */
export interface RealSchedulerWatch {
  reached(op: Operation): void;
}

const watches: RealSchedulerWatch[] = [];

/**
 * While a controlled run is in progress, a scheduling point that reaches the real scheduler is code of the run
 * that found its scheduler implicitly without the explorer's `ambient` option: it ran uncontrolled, so the run
 * cannot prove anything. The explorer watches for it (and stops watching with the returned function); the real
 * scheduler pays one length check per point.
 */
export function watchRealScheduler(watch: RealSchedulerWatch): () => void {
  watches.push(watch);
  return () => {
    const i = watches.indexOf(watch);
    if (i >= 0) watches.splice(i, 1);
  };
}

export const realScheduler: Scheduler = {
  clock: realClock,
  point: (op) => {
    if (watches.length > 0) for (const w of watches) w.reached(op);
  },
  spawn: (_name, body) => body(),
  waitFor: (promise) => promise,
};

const ambient = new AsyncLocalStorage<Scheduler>();

/** The scheduler in force for the calling task: the one `withScheduler` installed, or the real one. */
export function currentScheduler(): Scheduler {
  return ambient.getStore() ?? realScheduler;
}

/** Whether `withScheduler` has ever installed a scheduler other than the real one (so far, none: see onAmbientEntered). */
let entered = false;
const enteredListeners: (() => void)[] = [];

/** Runs `fn` (and every task it starts) with `scheduler` as the ambient scheduler. */
export function withScheduler<T>(scheduler: Scheduler, fn: () => T): T {
  if (!entered && scheduler !== realScheduler) {
    entered = true;
    for (const listener of enteredListeners) listener();
  }
  return ambient.run(scheduler, fn);
}

/**
 * Calls `listener` once `withScheduler` first installs a scheduler other than the real one (at once if it has):
 * until then `currentScheduler()` is the real scheduler everywhere, and instrumented code need not ask it at every
 * await (see instrument/runtime.ts).
 */
export function onAmbientEntered(listener: () => void): void {
  if (entered) listener();
  else enteredListeners.push(listener);
}

/** An explicit scheduling point for user code: free under the real scheduler. */
export function yieldPoint(label = 'yield'): void | Promise<void> {
  return currentScheduler().point({ kind: 'yield', label });
}

/** How the explorer may treat a sleep's end. */
export interface SleepOptions {
  /**
   * The sleeper's code touches no shared state from the sleep's end to its next scheduling point (it goes
   * straight on to a store operation, a send, a call): the end then commutes with other tasks' steps, and dfs
   * prunes their reorderings. Default false: the end conflicts with everything, as code that updates memory
   * right after a sleep needs (`await sleep(5); balance -= 70`).
   */
  readonly local?: boolean;
}

/**
 * Sleep on the ambient scheduler's clock (virtual under the explorer), as a timer scheduling point. Not an async
 * function: when the point is free (always, for a timer point under the explorer) it returns the clock's promise
 * itself, which saves an async frame and its promise on every sleep of an explored run.
 */
export function sleep(ms: number, scheduler: Scheduler = currentScheduler(), options?: SleepOptions): Promise<void> {
  try {
    const p = scheduler.point(new SleepOperation(ms, options?.local === true));
    return p ? p.then(() => scheduler.clock.sleep(ms)) : scheduler.clock.sleep(ms);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The timer point of a sleep; its label (`sleep 500ms`) is formatted only when something reads it. */
export class SleepOperation implements Operation {
  readonly kind = 'timer';
  constructor(
    readonly ms: number,
    /** SleepOptions.local */
    readonly local = false,
  ) {}

  get label(): string {
    return `sleep ${this.ms}ms`;
  }

  toJSON(): Operation {
    return { kind: this.kind, label: this.label };
  }
}
