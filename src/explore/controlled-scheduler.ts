import { RacelabError, messageOf } from '../core/errors.js';
import type { AwaitSite } from '../sched/await-site.js';
import { SleepOperation, watchRealScheduler, withScheduler, type BlockedWait, type Operation, type Scheduler } from '../sched/scheduler.js';
import { laterStepReactions, ownBegin, ownEnd, ownPromise, sameStepReactions, stepBegin, takeGluedCall, taskPromise, uninstrumentedReactions, watchPromises, type AwaitingCode } from '../sched/promise-watch.js';
import { plural } from '../core/units.js';
import { shortValue } from '../core/short-value.js';
import { describeSite, formatValue, siteLabel, stackFile } from './await-label.js';
import { handleKey, pointKey, startKey, type Transition, type TransitionKind } from './transition.js';
import { heartbeat } from './heartbeat.js';
import { realTimers } from './real-timers.js';
import { endsAtAwait } from './glue-tail.js';
import { RunTimers, type RunTimer } from './run-timers.js';
import { VirtualClock, sleepDuration, type VirtualTimer } from './virtual-clock.js';

/** One executed step of a run, as the trace shows it. */
export interface StepRecord {
  readonly key: string;
  readonly task: number;
  readonly taskName: string;
  readonly kind: TransitionKind;
  readonly label: string;
  /** What the workload noted during the step (`->0` for a read that returned 0). */
  note: string;
  /** Virtual time at which the step ran. */
  readonly atMs: number;
  /** The previous step's task could have continued, and the strategy switched to another one. */
  readonly preemption: boolean;
}

/**
 * The policy hook: which of the enabled transitions runs next. A negative answer abandons the run. `enabled` is
 * the scheduler's own list, refilled at the next decision: a chooser that keeps it (dfs does) keeps a copy.
 */
export interface Chooser {
  choose(enabled: readonly Transition[], step: number, previous: StepRecord | undefined): number;
}

/** How the scheduling part of a run ended (the invariant is checked afterwards, by the run). */
export type DriveEnd =
  | { readonly kind: 'complete' }
  | { readonly kind: 'deadlock'; readonly message: string }
  | { readonly kind: 'exception'; readonly message: string; readonly error: unknown }
  | { readonly kind: 'step-limit'; readonly message: string }
  | { readonly kind: 'abandoned' };

/** What the driver does next when something it waits for happens: one of its own methods, called on it. */
type Continuation = (this: ControlledScheduler) => void;

/** Told how a drive ended: exactly one of the two, once. */
export interface DriveListener {
  end(end: DriveEnd): void;
  /** The workload escaped the scheduler (a RacelabError), or the strategy failed. */
  error(error: unknown): void;
}

/** How a controlled scheduler treats what it does not control. */
export interface ControlledSchedulerOptions {
  /** Run every task inside `withScheduler(this, …)` (see ExploreOptions.ambient). */
  readonly ambient?: boolean;
  /**
   * An instrumented await of something nothing in the run settles (a socket, a file, a `pg` query):
   * `report` (default) lets it complete once every other task is stuck and counts it as uncontrolled (the
   * verdict is then inconclusive); `atomic` lets it complete right after the step that started it, while no
   * other task moves, as one atomic step.
   */
  readonly io?: 'report' | 'atomic';
  /** Most real time to wait for such an await before taking it for a wait on something else (default 250 ms). */
  readonly ioWaitMs?: number;
  /** false: instrumented awaits are ignored (points free, values as they are), as if the code were not instrumented. */
  readonly instrumentation?: boolean;
  /**
   * Virtual time for the run's own code (see RunTimers, installed by the exploration): setTimeout, setInterval,
   * setImmediate, Date, performance.now and timers/promises use the run's virtual clock, each firing a step.
   */
  readonly timers?: RunTimers;
}

/** What a run did that the scheduler did not control: how many such events, and the first, as a sentence. */
export interface UncontrolledReport {
  count: number;
  readonly first: string;
}

/** An instrumented await blocked on a pending promise, watched from then until it settles or the next step starts. */
interface AwaitWindow {
  readonly site: AwaitSite;
  readonly task: string;
  /** uninstrumentedReactions() when it blocked. */
  readonly mark: number;
  open: boolean;
}

const COMPLETE: DriveEnd = { kind: 'complete' };
/** The constructor of native async functions (not a global): tells the workload's async task functions apart. */
const AsyncFunction = (async () => undefined).constructor;

/** The file of an await counted for resuming glued to a step, for a report. */
const gluedFile = (code: AwaitingCode): string => (code.file ? stackFile(code.file) : 'unknown file');
/** The operation of every start step (see ControlledScheduler.startSteps). */
const START: Operation = Object.freeze({ kind: 'yield', label: 'start' });
const ABANDONED: DriveEnd = { kind: 'abandoned' };

/**
 * Something a task can do next, ready for the strategy to pick: a task paused at a point continues (`point`), a
 * task whose wait has ended resumes (`wake`), or a sleep ends (`timer`). The one picked becomes the record of
 * that step (its time, whether it preempted, what the workload noted), so a step costs one object. One class for
 * all three kinds, so that every place that reads offers sees one shape. Its label is read only when a trace or a
 * test asks: most runs pass, and nobody ever reads their labels.
 */
class Offer implements Transition, StepRecord {
  atMs = 0;
  preemption = false;
  /** A timer's firing time: the step's time is when it fires, not the time before the clock moved. */
  fireAt = -1;

  constructor(
    readonly kind: TransitionKind,
    readonly key: string,
    readonly owner: Task,
    readonly op: Operation,
    /** Makes it happen: resolves the point's promise, settles the wait, or fires the timer. */
    private readonly resume: () => void,
    /** What the trace adds after the label (an await's value: ` -> {balance:100}`); the workload may append. */
    public note = '',
  ) {}

  get task(): number {
    return this.owner.index;
  }

  get taskName(): string {
    return this.owner.name;
  }

  get label(): string {
    return this.op.label;
  }

  run(): void {
    const owner = this.owner;
    if (this.kind === 'point') owner.point = undefined;
    else if (this.kind === 'wake') {
      const wakes = owner.wakes as Offer[];
      wakes.splice(wakes.indexOf(this), 1);
    }
    owner.lastPoint = this.op;
    this.resume();
  }

  toJSON(): StepRecord {
    const { key, task, taskName, kind, label, note, atMs, preemption } = this;
    return { key, task, taskName, kind, label, note, atMs, preemption };
  }
}

/**
 * A wake's operation: its label (`wake (wait for counter.mutex)`) is formatted only when read. Its object, when
 * the waiting code named one (waitFor's `object`), is the only thing the resumed code touches before its next
 * point; without one the wake conflicts with everything.
 */
class WakeOperation implements Operation {
  readonly kind = 'yield';
  constructor(
    private readonly waitLabel: string,
    readonly object?: string,
  ) {}
  get label(): string {
    return `wake (${this.waitLabel})`;
  }
}

// `new Promise(capture)` hands the resolver back without allocating an executor closure per promise: every
// point makes one, so this is on the hot path. (The executor runs synchronously.)
let captured: (() => void) | undefined;
const capture = (resolve: () => void): void => {
  captured = resolve;
};
const settled = ownPromise(Promise.resolve());

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

class Task {
  started = false;
  done = false;
  /** Forks made from this task (`w1.1`, `w1.2`, … in order). */
  forks = 0;
  /**
   * Its body has returned while another line of work still ran as this task (a fire-and-forget call it made
   * first): the task then ends when that line does, as a fork would.
   */
  bodySettled = false;
  /** A Scheduler.timer task: its sleep's end runs a callback that touches what it was set for (a call's slot). */
  firesCallback = false;
  /** Its next sleep was declared local (SleepOptions.local). */
  localSleep = false;
  /** The instrumented awaits this task is blocked in, by wait seq: their sites, for a stall's report. */
  awaits: Map<number, AwaitSite> | undefined;
  /** Paused at a scheduling point. */
  point: Offer | undefined;
  /** waitFor handles whose promise has settled: the task may resume from each (usually at most one). */
  wakes: Offer[] | undefined;
  /** waitFor handles whose promise has not settled yet: seq -> label. */
  blocked: Map<number, string> | undefined;
  timers = 0;
  handleSeq = 0;
  /** What the task did last (its label is read only for an error message). */
  lastPoint: { readonly label: string } | undefined;
  /** Its start, as a step (made when first offered: see ControlledScheduler.startSteps). */
  startOffer: Offer | undefined;
  /** Made on demand: only a spawner that wants to await the task gets (and pays for) a promise. */
  private completion: { promise: Promise<void>; settle: (error?: unknown) => void } | undefined;
  private outcome: { error?: unknown } | undefined;

  readonly pointKey: string;
  /**
   * The task this line of work was forked from, at the top (its own index for a task the workload started): what
   * promise-watch compares to tell a call's result from a promise another task settled.
   */
  root: number;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly body: (() => Promise<void>) | undefined,
  ) {
    this.pointKey = pointKey(index);
    this.root = index;
  }

  whenDone(): Promise<void> {
    if (!this.completion) {
      let settle!: (error?: unknown) => void;
      ownBegin();
      const promise = new Promise<void>((resolve, reject) => {
        settle = (error?: unknown) => (error === undefined ? resolve() : reject(error));
      });
      // Whoever spawned the task may not await it; its failure is reported by the run, not as an unhandled rejection.
      promise.catch(() => undefined);
      ownEnd();
      this.completion = { promise, settle };
      if (this.outcome) settle(this.outcome.error);
    }
    return this.completion.promise;
  }

  /** Someone holds a promise for this task's end (a spawner): it is not interchangeable with a task of the same body. */
  get observed(): boolean {
    return this.completion !== undefined;
  }

  settleCompletion(error?: unknown): void {
    this.outcome = { error };
    this.completion?.settle(error);
  }

  /** At a point, blocked, waiting to wake, sleeping, or done. */
  get waiting(): boolean {
    return this.done || this.point !== undefined || (this.blocked?.size ?? 0) > 0 || (this.wakes?.length ?? 0) > 0 || this.timers > 0;
  }



  describeWait(): string {
    const waits = [...(this.blocked?.values() ?? [])];
    return waits.length > 0 ? waits.map((w) => `"${w}"`).join(' and ') : 'nothing';
  }
}

/**
 * The explorer's scheduler: implements the Scheduler port so that the same code that runs on the real
 * scheduler runs here, one task at a time. Every scheduling point pauses the calling task; the run's driver
 * asks a chooser (the strategy) which paused task continues. Tasks are told apart by who is running: only the
 * task the driver resumed runs, until it reaches its next point, blocks in `waitFor`, sleeps, or finishes.
 *
 * Outside a run (during setup and when the invariant is checked) it behaves like the real scheduler: points
 * are free and sleeps end at once, so setup and invariants may use the same store API.
 *
 * A `timer` point is not a decision: it only announces a sleep (see `sleep()` in src/sched), and starting a sleep
 * touches no shared state, so switching tasks there is the same as switching at the task's next point. What
 * matters is when the sleep *ends*: a sleep of more than 0 ms on the virtual clock becomes a `timer` transition
 * (`wake +500ms` in a trace), offered once virtual time reaches its deadline, and time moves only when nothing
 * else can run (see VirtualClock). A 0 ms sleep therefore costs neither time nor a step.
 */
export class ControlledScheduler implements Scheduler {
  readonly clock: VirtualClock;
  /** The offers taken, in order: each is the record of its step. */
  readonly steps: Offer[] = [];
  private phase: 'setup' | 'running' | 'finished' | 'aborted' = 'setup';
  private readonly tasks: Task[] = [];
  private nextToStart = 0;
  private current: Task | undefined;
  /** Called (once) when the task the driver is waiting for stops: at a point, blocked, asleep or done. */
  private stopWaiter: Continuation | undefined;
  /** A step was taken and the driver waits for its task to stop: `decideNext` goes on from there. */
  private driverWaiting = false;
  /** Hears how the run ends. */
  private listener: DriveListener | undefined;
  private chooser: Chooser | undefined;
  private maxSteps = 0;
  /** startNext's task stopped before its body returned. */
  private startedToStop = false;
  /** What to do once the promise job queue has drained. */
  private drainWaiter: Continuation | undefined;
  /** waitFor promises not settled yet, over all tasks: while there are none, no wake can be on its way. */
  private blockedCount = 0;
  private fatal: RacelabError | undefined;
  private taskFailure: { task: Task; error: unknown } | undefined;
  private timerOffers: Map<VirtualTimer, Offer> | undefined;
  /** What offers() returns, refilled at every decision (a chooser copies what it keeps; see Chooser). */
  private readonly enabled: Offer[] = [];
  /** This run has reached an instrumented await: lines of work may fork and end (see Task.idle). */
  private instrumented = false;
  /** What this run did that the scheduler did not control; any of it makes a passing verdict inconclusive. */
  uncontrolled: UncontrolledReport | undefined;
  /** The driver let the event loop run, waiting for real I/O to settle an await (see waitForWorld). */
  private worldWait: { readonly timer: NodeJS.Timeout; readonly then: Continuation } | undefined;
  /** The last world wait ended with something settled: a stall after it may wait again. */
  private worldMoved = false;
  private unwatchReal: (() => void) | undefined;
  /** A step-less run has let pending promise jobs land before its end (see end()). */
  private drainedAtEnd = false;
  /** Awaits that blocked on a pending promise during the current step (see closeWindow). */
  private readonly windows: AwaitWindow[] = [];
  private unwatchPromises: (() => void) | undefined;
  /** sameStepReactions() when the current step began (see closeStep). */
  private stepMark = 0;
  /** laterStepReactions() when the current step began (see closeStep). */
  private laterMark = 0;
  /** A window closed in the current step was reported already: its reactions are not reported twice. */
  private windowReported = false;

  private endComplete(): void {
    this.end(COMPLETE);
  }

  /** Atomic I/O: the step after which the run was last held for a task's real I/O (once per step). */
  private heldAtStep = -1;
  /** The faked timers of the run's code, while it is driven. */
  private runTimers: RunTimers | undefined;
  /** Offers for those timers, by timer id: one object per timer, so its key is the same at every decision. */
  private codeTimerOffers: Map<number, Offer> | undefined;
  /**
   * Starting a task is a step (`w2 start`), offered beside every other transition until the task has started, so
   * the strategy places the code each task runs before its first stop. Without this, tasks started one after
   * another in spawn order before the first decision: right for code written against the ports (a task touches
   * shared state only in the operation after a point), wrong for ambient and instrumented code, whose first stop
   * may come after a lock taken in library code, a cache read or a whole synchronous body, so dfs would prove a
   * workload over one start order only. On with `ambient`. Tasks with the same body function that nobody awaits by
   * name (the workload's `tasks`) are interchangeable: only the first of them not started yet is offered, so two
   * identical clients cost one start order, not two.
   */
  private readonly startSteps: boolean;

  /**
   * `ambient`: run every task inside `withScheduler(this, …)`, so code that reaches the scheduler implicitly
   * (`yieldPoint()`, `sleep(ms)` without a scheduler, a `MemoryStore` or `Mutex` made without one) is controlled
   * too. Off by default: it costs an AsyncLocalStorage context on every promise of the run.
   */
  constructor(private readonly options: ControlledSchedulerOptions = {}) {
    this.clock = new VirtualClock(this);
    this.startSteps = options.ambient === true;
  }

  // ---- the Scheduler port -------------------------------------------------------------------------------

  point(op: Operation): void | Promise<void> {
    if (this.phase !== 'running') return this.phase === 'aborted' ? new Promise<void>(() => undefined) : undefined;
    let task = this.current;
    if (op.kind === 'await' || op.site) {
      if (this.options.instrumentation === false && op.kind === 'await') return undefined;
      if (!task) {
        this.noteUncontrolled(`the await at ${op.site ? describeSite(op.site) : `"${op.label}"`} ran outside any task`);
        return undefined;
      }
      if (!this.instrumented) this.reachedInstrumented();
      // Another line of work of the same task (an async call it did not await yet): a task of its own.
      if (task.waiting) task = this.fork(task);
    }
    if (!task) {
      this.abort(new RacelabError('UNCONTROLLED_ASYNC', `the scheduling point "${op.label}" was reached outside any task: start concurrent work with scheduler.spawn`));
      return new Promise<void>(() => undefined);
    }
    if (op.kind === 'timer') {
      task.lastPoint = op;
      // The clock's sleep follows at once (see sleep()): its timer is told to onTimer, which reads this. A sleep
      // that makes no timer (0 ms) must not leave the flag to the next timer (a sleep straight on the clock).
      task.localSleep = op instanceof SleepOperation && op.local && sleepDuration(op.ms) > 0;
      return undefined;
    }
    if (task.point || task.done) {
      this.abort(
        new RacelabError(
          'UNCONTROLLED_ASYNC',
          `task "${task.name}" reached "${op.label}" while it was already paused at "${task.point?.op.label ?? 'its end'}": a task must await each scheduling point before the next; run concurrent work as separate tasks with scheduler.spawn`,
        ),
      );
      return new Promise<void>(() => undefined);
    }
    const paused = new Promise<void>(capture);
    // Racelab's own (see promise-watch.ts), marked only once the run counts reactions: a WeakSet add per step.
    if (this.unwatchPromises !== undefined) void ownPromise(paused);
    task.point = new Offer('point', task.pointKey, task, op, captured as () => void);
    captured = undefined;
    this.signalStop(task);
    return paused;
  }

  spawn(name: string, body: () => Promise<void>): Promise<void> {
    if (this.phase === 'finished') return body();
    if (this.phase === 'aborted') return new Promise<void>(() => undefined);
    const task = new Task(this.tasks.length, name, body);
    this.tasks.push(task);
    return task.whenDone();
  }

  /**
   * Scheduler.timer: a task that sleeps `ms` on the virtual clock, then calls `fire`. Cancelled before its sleep
   * ends (or before it starts), the task is done at once: its timer is discarded, so no step is ever offered for
   * it, and nothing of it runs again. Cancelled while it fires (a call timeout failing its own slot), it just ends.
   */
  timer(ms: number, label: string, fire: () => void | Promise<void>): () => void {
    let fired = false;
    const body = async (): Promise<void> => {
      await this.clock.sleep(ms);
      fired = true;
      await fire();
    };
    if (this.phase === 'finished' || this.phase === 'aborted') {
      void this.spawn(label, body).catch(() => undefined);
      return () => undefined;
    }
    const task = new Task(this.tasks.length, label, body);
    task.firesCallback = true;
    this.tasks.push(task);
    return () => {
      if (!fired) this.drop(task);
    };
  }

  /** A timer task cancelled before its sleep ended: done, with nothing left to offer. */
  private drop(task: Task): void {
    if (task.done || task.point || (task.blocked?.size ?? 0) > 0 || (task.wakes?.length ?? 0) > 0) return;
    task.started = true;
    task.done = true;
    this.discardTimers(task);
    task.settleCompletion();
  }

  /** A task that ended with sleeps still pending: they are no longer offered as steps. */
  private discardTimers(task: Task): void {
    if (task.timers === 0) return;
    this.clock.discard((t) => t.owner === task);
    for (const timer of [...(this.timerOffers?.keys() ?? [])]) if (timer.owner === task) this.timerOffers?.delete(timer);
    task.timers = 0;
  }

  /** Registers a task without making a promise for its end (the explorer starts the workload's tasks this way). */
  addTask(name: string, body: () => Promise<void>): void {
    this.tasks.push(new Task(this.tasks.length, name, body));
  }

  waitFor<T>(promise: Promise<T>, label: string, object?: string): Promise<T> {
    if (this.phase === 'setup' || this.phase === 'finished') return promise;
    if (this.phase === 'aborted') return new Promise<T>(() => undefined);
    const task = this.current;
    if (!task) {
      this.abort(new RacelabError('UNCONTROLLED_ASYNC', `waitFor("${label}") was called outside any task: start concurrent work with scheduler.spawn`));
      return new Promise<T>(() => undefined);
    }
    const seq = task.handleSeq++;
    (task.blocked ??= new Map()).set(seq, label);
    this.blockedCount++;
    ownBegin();
    const result = new Promise<T>((resolve, reject) => {
      const onSettled = (settle: () => void): void => {
        if (this.phase !== 'running') {
          if (this.phase === 'finished') settle();
          return;
        }
        this.blockedCount--;
        this.offerWake(task, seq, label, settle, object);
      };
      promise.then(
        (value) => onSettled(() => resolve(value)),
        (error: unknown) => onSettled(() => reject(error)),
      );
    });
    ownEnd();
    this.signalStop(task);
    return result;
  }

  block(label: string): BlockedWait {
    if (this.phase === 'aborted') return { promise: new Promise<void>(() => undefined), wake: () => undefined };
    const promise = new Promise<void>(capture);
    const resolve = captured as () => void;
    captured = undefined;
    // Racelab's own, marked only once the run counts reactions, as a point's is: a WeakSet add per lock handover.
    if (this.unwatchPromises !== undefined || this.phase !== 'running') void ownPromise(promise);
    if (this.phase === 'setup' || this.phase === 'finished') return { promise, wake: resolve };
    const task = this.current;
    if (!task) {
      this.abort(new RacelabError('UNCONTROLLED_ASYNC', `a wait for "${label}" began outside any task: start concurrent work with scheduler.spawn`));
      return { promise: new Promise<void>(() => undefined), wake: () => undefined };
    }
    // Numbered like a waitFor, so the wake keeps the same key (and replay tokens their meaning). Not counted in
    // blockedCount: its wake is offered right when wake() is called, so no step has to wait for reactions to find it.
    const seq = task.handleSeq++;
    (task.blocked ??= new Map()).set(seq, label);
    let woken = false;
    const wake = (): void => {
      if (woken) return;
      woken = true;
      if (this.phase !== 'running') {
        if (this.phase === 'finished') resolve();
        return;
      }
      this.offerWake(task, seq, label, resolve);
    };
    this.signalStop(task);
    return { promise, wake };
  }

  /** The wait `seq` of `task` has ended: its resumption becomes a transition the strategy may pick. */
  private offerWake(task: Task, seq: number, label: string, settle: () => void, object?: string): void {
    task.blocked?.delete(seq);
    (task.wakes ??= []).push(new Offer('wake', handleKey(task.index, 'wake', seq), task, new WakeOperation(label, object), settle));
    if (this.worldWait) this.worldProgress();
  }

  /**
   * An instrumented `await` (src/sched/await-site.ts): the calling task stops here, and the awaited value comes
   * back only when the strategy picks the task's resumption (a `wake` step, labelled with the site and noted with
   * the value when it is short). A promise still pending blocks the task until it settles, as `waitFor` does:
   * a memoized connect, a promise-chain lock, an async-mutex or a `Promise.all` of other tasks' calls is settled
   * by another task's step, and the wake is offered from the first step after it. A promise that nothing in the
   * run settles (real I/O) is left to the stall handling (waitForWorld), which lets it complete and counts it.
   */
  awaited<T>(value: T, site: AwaitSite, call?: string, opaque?: string): T | Promise<Awaited<T>> {
    if (this.phase === 'setup' || this.phase === 'finished' || (this.options.instrumentation === false && site.line !== 0)) return value;
    if (this.phase === 'aborted') return new Promise<Awaited<T>>(() => undefined);
    let task = this.current;
    if (!task) {
      this.noteUncontrolled(`the await at ${describeSite(site)} ran outside any task`);
      return value;
    }
    if (!this.instrumented) this.reachedInstrumented();
    // The caller of an async call awaiting it, while the callee's line of work is paused inside it (the callee's
    // `b` came first): the same request, so the same name, but a task of its own (it resumes on its own).
    if (task.waiting) task = this.fork(task, true);
    const owner = task;
    const seq = owner.handleSeq++;
    const key = handleKey(owner.index, 'wake', seq);
    // A thenable that is not a promise (a query builder's lazy query: knex, mongoose, Prisma) runs the program's
    // code in its `then`, which is called here, not later by V8: called outside racelab's own region, so that the
    // promises it makes and the async code it starts (an uninstrumented read, await, write) are seen as the
    // program's, as they would be had the value been that code's promise.
    if (isThenable(value) && Object.getPrototypeOf(value) !== Promise.prototype) {
      const thenable = value as PromiseLike<unknown>;
      value = new Promise((resolve, reject) => {
        thenable.then(resolve, reject);
      }) as T;
    }
    ownBegin();
    const result = new Promise<Awaited<T>>((resolve, reject) => {
      const respond = (settle: () => void, note: string): void => {
        (owner.wakes ??= []).push(new Offer('wake', key, owner, { kind: 'await', label: siteLabel(site, 'returns', call), site }, settle, note));
      };
      if (!isThenable(value)) {
        respond(() => resolve(value as Awaited<T>), formatValue(value));
        return;
      }
      (owner.blocked ??= new Map()).set(seq, siteLabel(site, 'pending', call));
      (owner.awaits ??= new Map()).set(seq, site);
      this.blockedCount++;
      // Watched until it settles or the next step starts: code racelab did not instrument that resumes meanwhile
      // runs inside this step (see closeWindow). An async function it knows to be such is reported below instead.
      const window: AwaitWindow | undefined =
        opaque === undefined && this.options.io !== 'atomic' ? { site, task: owner.name, mark: uninstrumentedReactions(), open: true } : undefined;
      if (window) this.windows.push(window);
      const onSettled = (settle: () => void, note: string): void => {
        // Settled by the world while the driver waited for it: reported below as real I/O, not as a window.
        if (window?.open) {
          if (this.worldWait) window.open = false;
          else this.closeWindow(window);
        }
        if (this.phase !== 'running') {
          if (this.phase === 'finished') settle();
          return;
        }
        this.blockedCount--;
        owner.blocked?.delete(seq);
        owner.awaits?.delete(seq);
        if (this.worldWait && this.options.io !== 'atomic') {
          this.noteUncontrolled(`the await at ${describeSite(site)} (task "${owner.name}") was settled by something outside the run (real I/O or a real timer)`);
        }
        respond(settle, note);
        if (this.worldWait) this.worldProgress();
      };
      let settled = false;
      (value as PromiseLike<Awaited<T>>).then(
        (v) => ((settled = true), onSettled(() => resolve(v), formatValue(v))),
        (error: unknown) => ((settled = true), onSettled(() => reject(error), ` -> throws ${shortValue(error)}`)),
      );
      // An async function racelab did not instrument, still pending after its first synchronous part: it went on
      // through awaits of its own, none a point, so whatever another task could do between them goes untried.
      // (A promise settled already has its reaction queued before this marker.)
      if (opaque !== undefined && this.options.io !== 'atomic') {
        realTimers.queueMicrotask(() => {
          if (settled || this.phase !== 'running') return;
          this.noteUncontrolled(
            `the await at ${describeSite(site)} (task "${owner.name}") awaits ${call ?? opaque}, an async function racelab did not instrument: its own awaits are not scheduling points; instrument its module (racelab/register or the racelab/vite include) or explore with io: 'atomic'`,
          );
        });
      }
    });
    ownEnd();
    this.signalStop(owner);
    return result;
  }

  /**
   * The end of an await's window: its promise settled, or the next step starts. Code racelab did not instrument
   * that resumed meanwhile (a dependency's read, await, write, reached through a wrapper, an async function that
   * returns its promise, or generator-compiled code) ran its awaits inside this step, with no point between them,
   * so what another task could do there went untried. One resumption is enough: a dependency that reads, awaits
   * once and writes loses an update through that one await. (A lock library resumes once too, async-mutex's
   * acquire: instrument it, `**\/node_modules/async-mutex/**`, and its resumptions are points.)
   */
  private closeWindow(window: AwaitWindow): void {
    window.open = false;
    const resumed = uninstrumentedReactions() - window.mark;
    if (resumed === 0 || this.phase !== 'running') return;
    this.windowReported = true;
    this.noteUncontrolled(
      `the await at ${describeSite(window.site)} (task "${window.task}") waited for code racelab did not instrument, which resumed ${plural(resumed, 'time')} without a scheduling point (an await in a dependency reached through a plain function, an async function that returns its promise, or async code compiled to generators): instrument that code (racelab/register or the racelab/vite include) or explore with io: 'atomic'`,
    );
  }

  /**
   * The end of a step (the next one starts, or the run ends). Code racelab did not instrument that awaited and
   * resumed within this step, no instrumented await waiting on it, ran past an await that was no point: a
   * dependency's promise an instrumented function returned without awaiting it, a `.then` chain on it, or a call
   * nobody awaits (fire and forget), whose read, await, write then ran as one step.
   */
  private closeStep(): void {
    const now = sameStepReactions();
    const unseen = now - this.stepMark;
    this.stepMark = now;
    const later = laterStepReactions();
    const unseenLater = later - this.laterMark;
    this.laterMark = later;
    const glued = takeGluedCall();
    const reported = this.windowReported;
    this.windowReported = false;
    if ((unseen === 0 && unseenLater === 0) || reported || this.phase !== 'running') return;
    const step = this.steps[this.steps.length - 1];
    const where = step ? `in the step of task "${step.owner.name}" after ${step.op.label}` : 'before the first step';
    if (unseen > 0) {
      this.noteUncontrolled(
        `code racelab did not instrument awaited and resumed ${where} (${plural(unseen, 'time')}) with no scheduling point between (a dependency's promise returned or chained with .then, not awaited in instrumented code, or a call nobody awaits${this.glueNote()}): instrument that code (racelab/register or the racelab/vite include${this.glueFiles()}) or explore with io: 'atomic'`,
      );
    }
    if (unseenLater > 0 && glued?.workload) {
      // The workload's own code after an await of a call: its next call started inside this step.
      const note = this.codeAfterAwaitNote();
      this.noteUncontrolled(
        `the workload's own code (${gluedFile(glued)}, the file of its task functions, not instrumented) resumed ${where} after an await of a call that returned in that step (${plural(unseenLater, 'time')}${note ? `; ${note}` : ''}): it ran glued to that step, with the synchronous start of the next call it made, where a task that step woke runs first in the program as written: instrument that file too (the racelab/vite include or racelab/register), or end each task function at its only await`,
      );
    } else if (unseenLater > 0) {
      // Its resumption ran glued to this step: a task waiting on what this step settled could not run first.
      this.noteUncontrolled(
        `code racelab did not instrument${glued ? ` (${gluedFile(glued)})` : ''} resumed ${where}, having awaited in an earlier step, with no scheduling point at its resumption (${plural(unseenLater, 'time')}) (a dependency called and not awaited, or awaited only later, waiting on something this step settled; or code after an await of a call, run glued to the step that call returned in${this.glueNote()}): instrument that code (racelab/register or the racelab/vite include${this.glueFiles()}) or explore with io: 'atomic'`,
      );
    }
  }

  /** Closes every await window still open (a step starts, or the run ends). */
  private closeWindows(): void {
    const windows = this.windows;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as AwaitWindow;
      if (w.open) this.closeWindow(w);
    }
    while (windows.length > 0) windows.pop();
  }

  /**
   * A new task for another line of work of `parent`, already started: named after it (`w1.1`) when it is new work
   * (a second call of a `Promise.all`, a fire-and-forget call), or by the same name when it is the caller
   * waiting for its own callee.
   */
  private fork(parent: Task, caller = false): Task {
    const child = new Task(this.tasks.length, caller ? parent.name : `${parent.name}.${++parent.forks}`, undefined);
    child.root = parent.root;
    child.started = true;
    this.tasks.push(child);
    return child;
  }

  /**
   * The run's first instrumented await: from here on, reactions of code racelab did not instrument are counted
   * (see closeWindow). Code written against the ports alone never pays for the promise hooks.
   */
  private reachedInstrumented(): void {
    this.instrumented = true;
    this.unwatchPromises ??= watchPromises();
    this.stepMark = sameStepReactions();
    this.laterMark = laterStepReactions();
  }

  /** Counts something the run did outside the scheduler's control; the first one is the verdict's reason. */
  private noteUncontrolled(what: string): void {
    if (this.uncontrolled) this.uncontrolled.count++;
    else this.uncontrolled = { count: 1, first: what };
  }

  uncontrolledAwait(site: AwaitSite, what: string): void {
    if (this.phase !== 'running' || (this.options.instrumentation === false && site.line !== 0)) return;
    this.noteUncontrolled(`${what} at ${describeSite(site)}${this.current ? ` (task "${this.current.name}")` : ''} is an await racelab does not control`);
  }

  /** RealSchedulerWatch: code of this run reached the real scheduler (a forgotten `ambient`). */
  reached(op: Operation): void {
    if (this.phase !== 'running') return;
    this.noteUncontrolled(`"${op.label}" reached the real scheduler during the run, uncontrolled: explore with ambient: true for code that finds its scheduler implicitly`);
  }

  // ---- for workloads ------------------------------------------------------------------------------------

  /** Scheduler.windDown: the steps from this index on wound the run down; undefined until a task says so. */
  windDownFrom: number | undefined;

  /** Scheduler.windDown, once per run: the step being executed is the workload's last. */
  windDown(): void {
    if (this.phase === 'running' && this.windDownFrom === undefined) this.windDownFrom = this.steps.length;
  }

  /** Appends to the trace entry of the step being executed (ignored outside a step). */
  note(text: string): void {
    if (this.phase !== 'running') return;
    const last = this.steps[this.steps.length - 1];
    if (last && this.current && last.task === this.current.index) last.note += text;
  }

  // ---- the driver ---------------------------------------------------------------------------------------
  //
  // The driver is a loop written as a state machine: every stage either moves on to the next one at once or
  // leaves a continuation for the event that lets it go on (a task stopping, the promise job queue draining).
  // No stage awaits, so a run costs no async frame of the explorer's own; the run ends by calling the listener
  // given to `start`, and `explore` starts the next run right there. In one iteration of the loop:
  //
  //   startTasks: start every spawned task not started yet, each to its first stop (draining the promise job
  //               queue after each while any task is blocked, so that its wake is registered)
  //   decide:     fail on an escape or a task's exception; with nothing to offer, end the run (all done), or let
  //               pending reactions land and look again (decideWhenIdle: a late wake, or a deadlock)
  //   step:       end the run at the step limit; else ask the chooser and run its pick. While nothing needs the
  //               loop's care, decideNext takes the steps that follow as each task stops; otherwise
  //   afterStepSlow: let reactions land while any task is blocked, then go round again.
  //
  // Every stage that runs as a promise job (decideNext, and whatever `later` or `drain` runs) turns an error of its
  // own into the run's error, so the caller of explore hears of it rather than the process.

  /**
   * Runs every spawned task to its end, one step at a time, asking `chooser` at each step. Resolves with how
   * the run ended; rejects with a RacelabError when the workload escaped the scheduler's control.
   */
  drive(chooser: Chooser, options: { maxSteps: number }): Promise<DriveEnd> {
    return new Promise<DriveEnd>((resolve, reject) => this.start(chooser, options, { end: resolve, error: reject }));
  }

  /** `drive` without a promise: the listener hears how the run ended (once), possibly before `start` returns. */
  start(chooser: Chooser, options: { maxSteps: number }, listener: DriveListener): void {
    this.phase = 'running';
    this.chooser = chooser;
    this.maxSteps = options.maxSteps;
    this.listener = listener;
    heartbeat.watch(this);
    this.unwatchReal = watchRealScheduler(this);
    if (this.options.timers) {
      this.runTimers = this.options.timers;
      // With atomic I/O, what code racelab does not control defers stays glued to its step, as its I/O is; with
      // instrumentation off, too (its awaits are no points, so a deferred step would be all a run could prove on).
      const defers = this.options.io !== 'atomic' && this.options.instrumentation !== false;
      this.runTimers.attach(() => this.timerOwner(), defers ? () => this.phase === 'running' && this.current !== undefined : undefined);
    }
    this.startTasks();
  }

  private startTasks(): void {
    // Start steps: every task not started yet is offered (collect); none starts before the strategy says so.
    if (this.startSteps) {
      this.nextToStart = this.tasks.length;
      return this.decide();
    }
    while (this.nextToStart < this.tasks.length && !this.fatal) {
      // Most tasks reach their first stop inside startNext; one that does not calls back afterStarted.
      if (!this.startNext()) return;
      if (this.blockedCount > 0) return this.drain(this.startTasks);
    }
    this.decide();
  }

  /** The stopWaiter of a task being started that did not stop at once: carry on a promise job later. */
  private startedLate(): void {
    this.later(this.afterStarted);
  }

  private afterStarted(): void {
    if (this.blockedCount > 0) this.drain(this.startTasks);
    else this.startTasks();
  }

  private decide(): void {
    if (this.fatal) return this.fail(this.fatal);
    if (this.taskFailure) return this.end(this.exceptionEnd(this.taskFailure));
    const offers = this.offers();
    if (offers.length > 0) return this.step(offers);
    if (this.allDone()) return this.end(COMPLETE);
    // Before calling it a deadlock, let every pending promise reaction land: a wake may be on its way.
    this.drain(this.decideWhenIdle);
  }

  private decideWhenIdle(): void {
    if (this.fatal) return this.fail(this.fatal);
    if (this.nextToStart < this.tasks.length) return this.startTasks(); // a late reaction spawned a task: start it first
    const offers = this.offers();
    if (offers.length > 0) return this.step(offers);
    if (this.allDone()) return this.end(COMPLETE);
    // Instrumented code may be stuck on real I/O (a socket, a file): the heartbeat keeps it from completing
    // while anything else can run. Now nothing can: let the event loop run until an await settles, or give up.
    if (this.instrumented) return this.waitForWorld(this.afterStall);
    this.end(this.deadlockEnd());
  }

  /** After a stall's world wait: go on when something settled; otherwise the run is deadlocked or escaped. */
  private afterStall(): void {
    if (this.worldMoved) return this.afterStepDrained();
    if (this.fatal) return this.fail(this.fatal);
    const stuck = this.tasks.filter((t) => !t.done);
    const loose = stuck.find((t) => (t.blocked?.size ?? 0) === 0 && (t.wakes?.length ?? 0) === 0 && t.timers === 0 && !t.point);
    if (!loose) return this.end(this.deadlockEnd());
    this.fail(
      new RacelabError(
        'UNCONTROLLED_ASYNC',
        `task "${loose.name}" escaped the scheduler after ${loose.lastPoint ? `its last point "${loose.lastPoint.label}"` : 'it started (before any point)'}: it awaits something racelab does not control and that did not settle within ${this.ioWaitMs} ms (an await in code that is not instrumented, or real I/O); instrument that code, replace what it awaits with a fake, or explore with io: 'atomic'`,
      ),
    );
  }

  private get ioWaitMs(): number {
    return this.options.ioWaitMs ?? 250;
  }

  /**
   * Lets the event loop run (the heartbeat stops holding it) until an await of this run settles, a task finishes,
   * or `ioWaitMs` of real time has passed; then `then` runs, with `worldMoved` saying which. Only one line of work
   * can be waiting on the world here (every other task is stuck, or, in atomic I/O mode, held still by the
   * driver), so whatever completes is one atomic step of real I/O.
   */
  private waitForWorld(then: Continuation): void {
    this.worldMoved = false;
    const timer = realTimers.setTimeout(() => this.worldDone(false), this.ioWaitMs);
    this.worldWait = { timer, then };
  }

  /** Something settled during a world wait: take the loop back a promise job later and go on. */
  private worldProgress(): void {
    this.worldDone(true);
  }

  private worldDone(moved: boolean): void {
    const wait = this.worldWait;
    if (!wait) return;
    this.worldWait = undefined;
    realTimers.clearTimeout(wait.timer);
    this.worldMoved = moved;
    heartbeat.arm();
    // Reactions of whatever settled may still be on their way (more wakes): let them land before deciding.
    this.drain(wait.then);
  }

  private step(offers: Offer[]): void {
    if (this.steps.length >= this.maxSteps) return this.end(this.stepLimitEnd());
    let end: DriveEnd | undefined;
    try {
      end = this.take(offers);
    } catch (error) {
      return this.fail(error);
    }
    if (end) return this.end(end);
    this.driverWaiting = true;
  }

  /**
   * Asks the chooser for the next step among `offers`, records it and starts it; the driver hears when its task
   * stops (stopWaiter = afterStep). Returns how the run ends instead when the chooser abandons it.
   */
  private take(offers: Offer[]): DriveEnd | undefined {
    const previous = this.steps[this.steps.length - 1];
    const choice = (this.chooser as Chooser).choose(offers, this.steps.length, previous);
    if (choice < 0) return ABANDONED;
    const offer = offers[choice];
    if (!offer) throw new RangeError(`strategy chose transition ${choice} of ${offers.length}`);
    let preemption = false;
    if (previous !== undefined && previous.owner !== offer.owner) {
      for (let i = 0; i < offers.length; i++) if ((offers[i] as Offer).owner === previous.owner) preemption = true;
    }
    if (this.windows.length > 0) this.closeWindows();
    if (this.instrumented && this.options.io !== 'atomic') this.closeStep();
    stepBegin(offer.owner.root);
    offer.atMs = offer.fireAt >= 0 ? offer.fireAt : this.clock.now();
    offer.preemption = preemption;
    this.steps.push(offer);
    this.current = offer.owner;
    this.stopWaiter = this.afterStep;
    offer.run();
    return undefined;
  }

  /**
   * The stopWaiter of a step. It defers the decision to a microtask rather than deciding inside the task's own
   * call to point(): code the stopped task runs right after that call (a second point it did not await, which
   * must be reported) still counts as that task's.
   */
  private afterStep(): void {
    // A promise reaction, not queueMicrotask: Node wraps each queueMicrotask callback in an AsyncResource.
    void settled.then(this.decideNext);
  }

  /**
   * After a step's task stopped: in the common case (every task started, none blocked, nothing failed, a
   * transition to take, steps left) takes the next step right here, and when every task has finished ends the
   * run; otherwise goes on with the loop a promise job later (afterStepSlow).
   */
  private readonly decideNext = (): void => {
    if (!this.driverWaiting) return;
    try {
      this.decideNextStep();
    } catch (error) {
      this.fail(error);
    }
  };

  private decideNextStep(): void {
    if (
      this.phase === 'running' &&
      !this.fatal &&
      !this.taskFailure &&
      this.blockedCount === 0 &&
      this.nextToStart >= this.tasks.length &&
      this.steps.length < this.maxSteps
    ) {
      const offers = this.offers();
      if (offers.length > 0) return this.step(offers);
      // The usual end of a run: every task has finished, nothing is left to start or to wake.
      if (this.allDone()) return this.end(COMPLETE);
    }
    this.driverWaiting = false;
    this.later(this.afterStepSlow);
  }

  /**
   * A step that released a lock or delivered a message settled another task's waitFor promise; its wake is
   * registered by a promise reaction, possibly through a chain of them. While any task is blocked, decide only
   * once every reaction has run, so each wake is offered at exactly the first step it can happen.
   */
  private afterStepSlow(): void {
    if (this.blockedCount > 0) this.drain(this.afterStepDrained);
    else this.afterStepDrained();
  }

  private afterStepDrained(): void {
    if (this.fatal) return this.fail(this.fatal);
    if (this.taskFailure) return this.end(this.exceptionEnd(this.taskFailure));
    // Atomic I/O: the step's task awaits something still pending once every reaction has run, so nothing in the
    // run settles it: real I/O. Hold every other task still until it completes (or ioWaitMs: a wait in the world,
    // such as a row lock another task holds, then lets the others go on).
    const task = this.current;
    if (this.options.io === 'atomic' && this.heldAtStep !== this.steps.length && task && (task.awaits?.size ?? 0) > 0) {
      this.heldAtStep = this.steps.length;
      return this.waitForWorld(this.afterStepDrained);
    }
    this.startTasks();
  }

  /** Runs `then` a promise job from now (off the hot path: it makes a closure). */
  private later(then: Continuation): void {
    void settled.then(() => {
      try {
        then.call(this);
      } catch (error) {
        this.fail(error);
      }
    });
  }

  /** The run is over: clean up, then tell the listener (once). */
  private end(end: DriveEnd): void {
    // A run without a step ran its code as plain promise jobs: work it started and nobody awaits (a fire-and-forget
    // call) may still be on its way. Let it land before the run is judged (rare, and cheap: one drain).
    if (end.kind === 'complete' && !this.steppedInside() && !this.drainedAtEnd) {
      this.drainedAtEnd = true;
      return this.drain(this.endComplete);
    }
    // No step at all: whatever ran concurrently (two tasks, or a Promise.all inside one) ran in one fixed order,
    // so nothing was explored, and a pass proves nothing.
    if (end.kind === 'complete' && !this.steppedInside() && this.tasks.length > 0) {
      const spawned = this.tasks.length;
      this.noteUncontrolled(
        `the run's ${spawned === 1 ? 'task' : `${spawned} tasks`} reached no scheduling point, so no interleaving was tried (instrument the code under test, explore with ambient: true, or pass ctx.scheduler to its stores and locks)`,
      );
    }
    if (this.windows.length > 0) this.closeWindows();
    if (this.instrumented && this.options.io !== 'atomic') this.closeStep();
    const listener = this.stopDriving();
    listener?.end(end);
  }

  /** Whether the run took a step inside a task (a point, a wake, a timer), not only the tasks' starts. */
  private steppedInside(): boolean {
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) if ((steps[i] as Offer).kind !== 'start') return true;
    return false;
  }

  private fail(error: unknown): void {
    const listener = this.stopDriving();
    listener?.error(error);
  }

  private stopDriving(): DriveListener | undefined {
    const listener = this.listener;
    heartbeat.unwatch(this);
    this.unwatchReal?.();
    this.unwatchReal = undefined;
    this.unwatchPromises?.();
    this.unwatchPromises = undefined;
    while (this.windows.length > 0) this.windows.pop();
    this.runTimers?.detach();
    this.runTimers = undefined;
    if (this.worldWait) realTimers.clearTimeout(this.worldWait.timer);
    this.worldWait = undefined;
    this.listener = undefined;
    this.stopWaiter = undefined;
    this.driverWaiting = false;
    this.chooser = undefined;
    this.drainWaiter = undefined;
    this.phase = this.fatal ? 'aborted' : 'finished';
    return listener;
  }

  /** Ends the run's controlled phase without driving it (setup failed, or the run is being discarded). */
  close(): void {
    this.runTimers?.detach();
    this.runTimers = undefined;
    if (this.phase === 'setup' || this.phase === 'running') this.phase = 'finished';
  }

  /**
   * Calls `then` (a promise job later) once the promise job queue has drained, as told by the heartbeat: every
   * pending reaction has run.
   */
  private drain(then: Continuation): void {
    this.drainWaiter = then;
    heartbeat.arm();
  }

  /**
   * Starts the next spawned task: it runs to its first stop (a task's code before its first point touches
   * nothing shared, so starting it needs no decision). True when it stopped at once; otherwise the driver
   * carries on when it does (startedLate).
   */
  private startNext(): boolean {
    const task = this.tasks[this.nextToStart++] as Task;
    if (task.started || !task.body) return true; // a fork: it started as a line of work of its parent
    this.current = task;
    this.startedToStop = false;
    this.stopWaiter = this.markStartedToStop;
    this.runBody(task);
    // Most tasks reach their first point synchronously, inside body(): then there is nothing to wait for.
    if (this.startedToStop) return true;
    this.stopWaiter = this.startedLate;
    return false;
  }

  /** For an uncontrolled resumption's report: the task functions that run code after their last await, if any. */
  private glueNote(): string {
    const note = this.codeAfterAwaitNote();
    return note ? `, or ${note}` : '';
  }

  /** The task functions that run code after their last await, named for a report: `the function of task "a", …`. */
  private codeAfterAwaitNote(): string {
    const names = this.tasks.filter(codeAfterAwait).map((t) => `"${t.name}"`);
    if (names.length === 0) return '';
    return names.length === 1 ? `the function of task ${names[0]}, which runs code of its own after its last await` : `the functions of tasks ${names.join(', ')}, which run code of their own after their last await`;
  }

  private glueFiles(): string {
    return this.tasks.some(codeAfterAwait) ? `; a task function's own file too, or make it end at its last await` : '';
  }

  /** Runs a task's body (as a start step, or from startNext), to its first stop; its end finishes the task. */
  private runBody(task: Task): void {
    task.started = true;
    const run = task.body as () => Promise<void>;
    let body: Promise<void>;
    try {
      body = this.options.ambient ? withScheduler(this, run) : run();
    } catch (e) {
      body = Promise.reject(e);
    }
    // The workload's own async function: its last resumption is not code under test (see taskPromise), when
    // nothing of its own code runs after its last await (see endsAtAwait, asked only when it matters).
    if (run instanceof AsyncFunction) taskPromise(body, () => endsAtAwait(run));
    ownBegin();
    body.then(
      () => this.finish(task),
      (e: unknown) => this.finish(task, e ?? new Error('task rejected without a reason')),
    );
    ownEnd();
  }

  private markStartedToStop(): void {
    this.startedToStop = true;
  }

  /**
   * Called by the heartbeat when the promise job queue has drained during this run. A healthy run never lets
   * it drain (every step and the driver itself move by promise jobs), so if the driver is still waiting for
   * its task to stop, that task either resumed nothing that runs (a timer nobody awaits any more: carry on) or
   * awaits something the scheduler does not control. The heartbeat keeps Node from running any timer or I/O
   * callback during a run, so such an escape cannot slip through by luck of timing: it is reported, always.
   */
  onDrained(): boolean {
    // Waiting for real I/O: let the event loop run (returning false stops the heartbeat holding it).
    if (this.worldWait) return false;
    const drain = this.drainWaiter;
    if (drain) {
      this.drainWaiter = undefined;
      this.later(drain);
      return true;
    }
    const waiter = this.stopWaiter;
    if (!waiter) return false;
    const task = this.current;
    if (task && !task.waiting && (this.instrumented || !task.body || (this.runTimers?.next() ?? undefined) !== undefined)) {
      // Instrumented code: every await of the task's own code is a point or a wait, so a line of work that ran out
      // without one has ended (its async function returned). A fork is then done; a spawned task waits for its
      // body, which other tasks' steps settle (or, if nothing does, the stall handling finds it).
      if (!task.body || task.bodySettled) task.done = true;
    } else if (task && !task.waiting) {
      this.fatal ??= new RacelabError(
        'UNCONTROLLED_ASYNC',
        `task "${task.name}" escaped the scheduler after ${task.lastPoint ? `its last point "${task.lastPoint.label}"` : 'it started (before any point)'}: it is not at a scheduling point, not blocked in scheduler.waitFor and not done, so it awaits something racelab does not control (a real timer, socket or file, or a promise settled by another task without waitFor); route that wait through the scheduler (waitFor, its clock) or replace it with a controlled fake${this.options.ambient ? '' : '; code that finds its scheduler implicitly (yieldPoint(), sleep() without a scheduler) needs explore\'s ambient: true'}`,
      );
    }
    this.stopWaiter = undefined;
    waiter.call(this);
    return true;
  }

  private finish(task: Task, error?: unknown): void {
    if (this.worldWait) this.worldProgress();
    if (task.point || (task.blocked?.size ?? 0) > 0 || (task.wakes?.length ?? 0) > 0) {
      // Another line of work runs as this task (see bodySettled): the body's end is not the task's.
      task.bodySettled = true;
      if (error !== undefined && !this.taskFailure && this.phase === 'running') this.taskFailure = { task, error };
      task.settleCompletion(error);
      return;
    }
    task.done = true;
    if (error !== undefined && !this.taskFailure && this.phase === 'running') this.taskFailure = { task, error };
    task.settleCompletion(error);
    this.discardTimers(task);
    this.signalStop(task);
  }

  /** VirtualClock hook: the task a sleep belongs to (none outside a run: the clock then runs free). */
  owner(): unknown {
    return this.phase === 'running' ? this.current : undefined;
  }

  /** VirtualClock hook: a task went to sleep until `timer`. */
  onTimer(timer: VirtualTimer): void {
    const task = timer.owner as Task;
    const seq = task.handleSeq++;
    task.timers++;
    const pending = (this.timerOffers ??= new Map());
    const fire = (): void => {
      pending.delete(timer);
      task.timers--;
      task.lastPoint = { label: `sleep ${timer.ms}ms` };
      timer.fire();
      this.runTimers?.setNow(this.clock.now());
    };
    const key = handleKey(task.index, 'timer', seq);
    // A sleep's end moves the clock at most to its deadline, which every other timer offered with it shares (see
    // offers). A sleep declared local resumes code that touches shared state only after its next point: an object
    // of its own, so its end commutes with other tasks' steps. Any other sleep's end, and a timer task's callback
    // (a call timeout failing a slot), conflicts with everything.
    const local = task.localSleep && !task.firesCallback;
    task.localSleep = false;
    const op: Operation = local ? { kind: 'timer', object: `sleep ${key}`, label: `wake +${timer.ms}ms` } : { kind: 'timer', label: `wake +${timer.ms}ms` };
    const offer = new Offer('timer', key, task, op, fire);
    offer.fireAt = timer.deadline;
    pending.set(timer, offer);
    this.signalStop(task);
  }

  /** The running task reached a point, blocked, slept or finished: the driver may decide the next step. */
  private signalStop(task: Task): void {
    if (task !== this.current) return;
    const waiter = this.stopWaiter;
    if (!waiter) return;
    this.stopWaiter = undefined;
    waiter.call(this);
  }

  private abort(error: RacelabError): void {
    this.fatal ??= error;
    const waiter = this.stopWaiter;
    this.stopWaiter = undefined;
    waiter?.call(this);
  }

  /**
   * What may happen next, in task order (a task's point, then its wakes, then its timers). Running code takes
   * no virtual time, so a timer is offered only once virtual time has reached its deadline; when nothing else
   * can run, time moves to the earliest deadline and the timers due then are offered (several when they tie).
   */
  private offers(): Offer[] {
    const offers = this.enabled;
    // Emptied by pops: `length = 0` is a runtime call, a pop is inlined, and the list is short.
    while (offers.length > 0) offers.pop();
    const timers = this.timerOffers !== undefined && this.timerOffers.size > 0;
    let due = timers ? this.clock.expired() : undefined;
    this.collect(offers, due);
    if (this.runTimers) return this.withCodeTimers(offers, timers);
    if (offers.length === 0 && timers) {
      due = this.clock.next();
      this.collect(offers, due);
    }
    return offers;
  }

  /**
   * offers() when the run's code has timers of its own: the next one (as @sinonjs/fake-timers orders them) joins
   * the offers when it is due; when nothing else can run, time moves to the earliest deadline of either kind.
   * Once every task is done, intervals are dropped (they would fire forever) and one-shot timers still fire.
   */
  private withCodeTimers(offers: Offer[], portTimers: boolean): Offer[] {
    const runTimers = this.runTimers as RunTimers;
    if (this.tasks.every((t) => t.done)) runTimers.clearIntervals();
    // Timers due at the same time are each offered: their order is a choice (see RunTimers.earliest).
    const code = runTimers.earliest();
    const codeAt = code[0]?.callAt ?? Infinity;
    if (codeAt <= this.clock.now()) for (const timer of code) offers.push(this.codeTimerOffer(timer));
    if (offers.length > 0) return offers;
    const portNext = portTimers ? this.clock.next() : [];
    const portAt = portNext[0]?.deadline ?? Infinity;
    if (codeAt <= portAt) for (const timer of code) offers.push(this.codeTimerOffer(timer));
    if (portNext.length > 0 && portAt <= codeAt) this.collect(offers, portNext);
    return offers;
  }

  /** The step that fires a timer of the run's code: its callback runs as the task that made it, or a fork of it. */
  private codeTimerOffer(timer: RunTimer): Offer {
    const offers = (this.codeTimerOffers ??= new Map());
    let offer = offers.get(timer.id);
    if (offer) return offer;
    const made = timer.owner as { task: Task; seq: number } | undefined;
    const owner = made?.task ?? (this.tasks[0] as Task);
    const seq = made?.seq ?? owner.handleSeq++;
    const fire = (): void => {
      offers.delete(timer.id);
      const runner = owner.waiting ? this.fork(owner) : owner;
      this.current = runner;
      runner.lastPoint = { label: timer.label };
      // With ambient, inside the run's scheduler as the task's own code is: the callback runs from the driver,
      // whose async context is whichever task's reaction it runs in, or none; outside it, an instrumented await
      // of the callback (a debounced flush) would be no point, and its resumption unseen code.
      this.clock.moveTo((this.options.ambient ? withScheduler(this, () => this.fireTimer(timer)) : this.fireTimer(timer)) ?? timer.callAt);
    };
    offer = new Offer('timer', handleKey(owner.index, 'timer', seq), owner, { kind: 'timer', label: `${timer.label} fires` }, fire);
    offer.fireAt = timer.callAt;
    offers.set(timer.id, offer);
    return offer;
  }

  private readonly fireTimer = (timer: RunTimer): number | undefined => this.runTimers?.fire(timer.id);

  /** RunTimers hook: who makes a timer now (the running task and its next handle number), if anyone. */
  private timerOwner(): { task: Task; seq: number } | undefined {
    const task = this.phase === 'running' ? this.current : undefined;
    return task ? { task, seq: task.handleSeq++ } : undefined;
  }

  private collect(offers: Offer[], due: readonly VirtualTimer[] | undefined): void {
    const tasks = this.tasks;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i] as Task;
      if (!task.started) {
        if (this.startSteps && task.body && !this.twinBefore(i)) offers.push((task.startOffer ??= this.startOffer(task)));
        continue;
      }
      if (task.done) continue;
      if (task.point) offers.push(task.point);
      if (task.wakes) for (const w of task.wakes) offers.push(w);
      if (due && due.length > 0 && task.timers > 0) {
        for (const timer of due) {
          const offer = this.timerOffers?.get(timer);
          if (offer && offer.owner === task) offers.push(offer);
        }
      }
    }
  }

  private startOffer(task: Task): Offer {
    return new Offer('start', startKey(task.index), task, START, () => this.runBody(task));
  }

  /**
   * Whether an earlier task not started yet has the same body as task `i` and neither is awaited by name: the two
   * are interchangeable (same code, same closure), so starting the later one first leads to the same states with
   * the names swapped, and only the earlier one is offered (symmetry reduction).
   */
  private twinBefore(i: number): boolean {
    const tasks = this.tasks;
    const task = tasks[i] as Task;
    if (task.observed) return false;
    for (let k = 0; k < i; k++) {
      const other = tasks[k] as Task;
      if (!other.started && other.body === task.body && !other.observed) return true;
    }
    return false;
  }

  private allDone(): boolean {
    return this.tasks.every((t) => t.done) && !(this.runTimers && this.runTimers.pendingOnce > 0);
  }

  private stepLimitEnd(): DriveEnd {
    return { kind: 'step-limit', message: `the run did not finish within ${this.maxSteps} steps (a livelock, or raise maxSteps)` };
  }

  private exceptionEnd(failure: { task: Task; error: unknown }): DriveEnd {
    return {
      kind: 'exception',
      message: `task "${failure.task.name}" threw${failure.task.lastPoint ? ` after "${failure.task.lastPoint.label}"` : ''}: ${messageOf(failure.error)}`,
      error: failure.error,
    };
  }

  private deadlockEnd(): DriveEnd {
    const stuck = this.tasks.filter((t) => !t.done);
    return {
      kind: 'deadlock',
      message: `deadlock: every unfinished task is blocked (${stuck.map((t) => `${t.name} waits for ${t.describeWait()}`).join('; ')}) and nothing the scheduler controls can wake them${
        stuck.some((t) => (t.awaits?.size ?? 0) > 0) ? ` (nor did anything outside the run within ${this.ioWaitMs} ms: if one of them awaits slow real I/O, raise ioWaitMs)` : ''
      }`,
    };
  }
}

/** Its function is async and runs code of its own after its last await (see endsAtAwait): named in reports. */
function codeAfterAwait(task: Task): boolean {
  return task.started && task.body instanceof AsyncFunction && !endsAtAwait(task.body as () => Promise<void>);
}
