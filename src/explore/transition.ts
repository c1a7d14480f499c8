import type { Operation } from '../sched/scheduler.js';

/**
 * What can happen next in a run: a task paused at a scheduling point continues (`point`), a task whose
 * `waitFor` promise has settled resumes (`wake`), a virtual timer fires (`timer`), or, with `ambient`, a task not
 * started yet starts (`start`: its code up to its first stop runs as a step). The strategy picks one.
 */
export type TransitionKind = 'point' | 'wake' | 'timer' | 'start';

export interface Transition {
  /**
   * Identifies this transition across re-executions of the same schedule: the task's spawn index in base 36,
   * plus `w<n>`/`t<n>` for its n-th wait or timer. A task's next transition keeps its key until it happens,
   * which is what sleep sets need. Keys are also the letters of a replay token's schedule.
   */
  readonly key: string;
  /** Spawn order index of the task it belongs to. */
  readonly task: number;
  readonly taskName: string;
  readonly kind: TransitionKind;
  /** For a point, the operation the task is about to do; for wakes and timers, a synthetic one. */
  readonly op: Operation;
}

// Made once: every run makes a key per task.
const POINT_KEYS = Array.from({ length: 64 }, (_, i) => i.toString(36));

export function pointKey(task: number): string {
  return POINT_KEYS[task] ?? task.toString(36);
}

export function handleKey(task: number, kind: 'wake' | 'timer', seq: number): string {
  return `${task.toString(36)}${kind === 'wake' ? 'w' : 't'}${seq.toString(36)}`;
}

/** The key of a task's start (`1s`): it happens once, so it needs no sequence number. */
export function startKey(task: number): string {
  return `${task.toString(36)}s`;
}

export const KEY_PATTERN = /^[0-9a-z]+(?:[wt][0-9a-z]+|s)?$/;

/**
 * Whether two transitions may be reordered without changing anything either of them, or anyone after them,
 * can observe. This is the independence relation of partial-order reduction, and it must err towards
 * "dependent": pruning a dependent pair would silently skip real interleavings.
 *
 * - Two steps of the same task never commute (program order).
 * - A start runs whatever the task's code does before its first stop (a lock taken in library code, a cache
 *   read), so it is dependent on everything.
 * - A timer firing conflicts with everything, unless it ends a sleep declared local (SleepOptions.local): that
 *   end carries an object of its own. The timers offered together all end at the same virtual time (the clock
 *   moves to the earliest deadline only when nothing else can run, and the timers due then are offered
 *   together), so firing one leaves the clock where firing another would, and a local sleeper's code runs up to
 *   its next point touching nothing shared. A timer that runs a callback (a timer of the run's code, a call
 *   timeout failing a call) never has an object.
 * - A wake runs code that the waker's step made possible (a lock handed over, a message delivered), up to the
 *   task's next stop. It is dependent on everything unless its wait named the one object that code touches
 *   (waitFor's `object`: an actor process resuming in its receive or its call touches only its own mailbox and
 *   exit state before its next point); then it is treated like a point on that object. An instrumented await's
 *   resumption runs the program's code, whatever it touches, so it has no object and conflicts with everything.
 * - Two points commute when they touch different objects, or when both only read. A point without an object
 *   (an explicit `yieldPoint()`) conflicts with everything, as the Operation port documents.
 *
 * Like every scheduling-point model, this assumes a task touches shared state only in the operation right
 * after a point. One known, harmless exception: `Mutex` releases the lock inside the step that follows the
 * holder's last point. A release and another task's `lock` step are treated as independent; the two orders
 * differ only in whether the other task finds the lock free or is handed it by the release a step later, which
 * leads to the same states (see dfs-strategy.ts).
 */
export function independent(a: Transition, b: Transition): boolean {
  if (a.task === b.task) return false;
  if (a.kind === 'start' || b.kind === 'start') return false;
  const x = a.op;
  const y = b.op;
  if (x.object === undefined || y.object === undefined) return false;
  if (x.object !== y.object) return true;
  return x.kind === 'read' && y.kind === 'read';
}
