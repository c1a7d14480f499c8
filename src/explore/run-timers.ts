import { createRequire, syncBuiltinESMExports } from 'node:module';
import FakeTimers from '@sinonjs/fake-timers';
import { callSitesBelow, isRacelabFile } from '../sched/promise-watch.js';

type InstalledClock = ReturnType<ReturnType<typeof FakeTimers.withGlobal>['install']>;
type FakeMethod = NonNullable<Parameters<ReturnType<typeof FakeTimers.withGlobal>['install']>[0]>['toFake'] extends (infer M)[] | undefined ? M : never;

/** A timer of the run's code (setTimeout, setInterval, setImmediate, timers/promises), as the scheduler offers it. */
export interface RunTimer {
  readonly id: number;
  /** Virtual time at which it fires. */
  readonly callAt: number;
  /** What the code asked for: `setTimeout 30000ms`. */
  readonly label: string;
  readonly interval: boolean;
  /** Whatever the scheduler attached when it was made (the task that made it, and that task's handle number). */
  readonly owner: unknown;
}

/** The part of @sinonjs/fake-timers' clock this file reads: its timer heap is how `next()` picks a timer. */
interface SinonTimer {
  readonly id: number;
  readonly callAt: number;
  readonly delay?: number;
  readonly interval?: number;
  readonly immediate?: boolean;
}
interface ClockInternals {
  now: number;
  readonly timerHeap?: { peek(): SinonTimer | undefined; pop(): SinonTimer | undefined; push(timer: SinonTimer): void; readonly timers: readonly SinonTimer[] };
  /** The timers still registered, by id (a cleared one is gone from here). */
  readonly timers?: ReadonlyMap<number, unknown>;
}

let context: ReturnType<typeof FakeTimers.withGlobal> | undefined;
/** Made once: withGlobal probes the global (and starts a real 0 ms timer to do it). */
const withGlobal = (): ReturnType<typeof FakeTimers.withGlobal> => (context ??= FakeTimers.withGlobal(globalThis));

const FAKED: FakeMethod[] = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance'];

/** The methods of node:timers and node:timers/promises that @sinonjs/fake-timers replaces on their CommonJS exports. */
const MODULE_METHODS: readonly (readonly [string, readonly string[]])[] = [
  ['node:timers', ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate']],
  ['node:timers/promises', ['setTimeout', 'setImmediate', 'setInterval']],
];
let forwarding = false;

/**
 * ES modules that import node:timers or node:timers/promises hold a copy of their exports, which only
 * `syncBuiltinESMExports()` refreshes, and it refreshes every built-in module (in a process with many loaded, it
 * cost about a third of a short exploration, twice per exploration). Instead, once per process, each such export
 * becomes a function that calls whatever the module's CommonJS export is at call time (the real function, or
 * whichever fake clock is installed over it: ours in a run, Vitest's under `vi.useFakeTimers()`), and the copies
 * are refreshed that one time. Outside an exploration it calls the real function, with the same arguments and
 * result; its other properties (`util.promisify.custom`) are the real function's.
 */
function forwardTimerModules(): void {
  if (forwarding) return;
  forwarding = true;
  const require = createRequire(import.meta.url);
  for (const [name, methods] of MODULE_METHODS) {
    const exports = require(name) as Record<string, unknown>;
    for (const method of methods) {
      // What is there now: the real function, or a fake clock installed before (Vitest's, whose uninstall puts the
      // real one back on the CommonJS export, which the forwarder then calls).
      const first = exports[method];
      if (typeof first !== 'function') continue;
      const forward = function (this: unknown, ...args: unknown[]): unknown {
        const now = exports[method];
        return (now === forward ? first : (now as (...a: unknown[]) => unknown)).apply(this, args);
      };
      for (const key of Reflect.ownKeys(first)) {
        if (key === 'length' || key === 'name' || key === 'prototype') continue;
        Object.defineProperty(forward, key, Object.getOwnPropertyDescriptor(first, key) as PropertyDescriptor);
      }
      Object.defineProperty(forward, 'name', { value: method });
      exports[method] = forward;
    }
  }
  syncBuiltinESMExports();
}

/**
 * The run's code sees virtual time: while an exploration runs, @sinonjs/fake-timers (the library Vitest's fake
 * timers are made of) replaces setTimeout, setInterval, setImmediate, Date and performance.now, and the `timers`
 * and `timers/promises` modules, with a clock whose time is the run's virtual clock. Nothing fires by itself: the
 * scheduler offers the next timer as a step (when it is due, or when nothing else can run and time moves to it)
 * and fires it with `fire()`, so a 30 s backoff costs one step and no real time.
 *
 * Installed once per exploration (installing costs about 0.1 ms, more than a short run) and reset for every run: each
 * run starts at virtual time 0 with no timer pending. Installed over whatever is there, Vitest's own fake timers
 * after `vi.useFakeTimers()` included, and uninstalled at the end, which puts that back. process.nextTick and
 * queueMicrotask called by a task during a run defer as steps (see the constructor); racelab's heartbeat and
 * Node's own internals (which call Node's internal nextTick, not the global) stay real.
 */
export class RunTimers {
  private readonly clock: InstalledClock;
  private readonly owners = new Map<number, unknown>();
  private owner: (() => unknown) | undefined;
  /** Whether a callback deferred now (process.nextTick, queueMicrotask) is the run's: a step, not glued to this one. */
  private defers: (() => boolean) | undefined;
  /** The timers that stand for a deferred callback, and what deferred it. */
  private readonly deferred = new Map<number, 'process.nextTick' | 'queueMicrotask'>();
  private readonly realNextTick = process.nextTick;
  private readonly realQueueMicrotask = globalThis.queueMicrotask;
  /** Vitest's faked Date, set aside while ours is installed (fake-timers refuses to install over a fake Date). */
  private readonly outerDate: DateConstructor | undefined;

  constructor() {
    const date = globalThis.Date as DateConstructor & { isFake?: boolean; clock?: { _Date?: DateConstructor } };
    if (date.isFake === true && date.clock?._Date) {
      this.outerDate = date;
      globalThis.Date = date.clock._Date;
    }
    forwardTimerModules();
    this.clock = withGlobal().install({ now: 0, toFake: FAKED, loopLimit: 1_000_000 });
    // Every faked global calls the clock's method at call time, and so does timers/promises: wrapping the clock's
    // methods sees every timer made, and records who made it.
    const clock = this.clock as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of ['setTimeout', 'setInterval', 'setImmediate'] as const) {
      const make = clock[method] as (...args: unknown[]) => unknown;
      const wrapped = (...args: unknown[]): unknown => {
        const handle = make.apply(this.clock, args);
        this.owners.set(idOf(handle), this.owner?.());
        return handle;
      };
      // The flags install() put on the method (whether the global had it as its own) tell uninstall() what to restore.
      clock[method] = Object.assign(wrapped, make);
    }
    // Work a task defers with process.nextTick or queueMicrotask runs, for real, once the task's synchronous code
    // is done: after another task's call may have read the same state (a callback API that never calls back
    // synchronously, promisified). Run at once, it would be glued to the step that deferred it, and a lost update
    // between the read and the deferred write would go unseen. So during a run it is a step of its own, like a
    // setImmediate (an immediate of the fake clock, offered in a list of its own: see earliest()).
    const immediate = clock['setImmediate'] as (...args: unknown[]) => number;
    const defer = (what: 'process.nextTick' | 'queueMicrotask', fn: () => void): void => {
      this.deferred.set(idOf(immediate.call(this.clock, fn)), what);
    };
    const defersNow = (): boolean => this.defers?.() === true;
    // Vitest swaps process.nextTick for a moment around its RPC calls and puts back, a tick later, what it found:
    // an accessor keeps ours in place through that, and what is set meanwhile is what ours calls outside a run.
    let underlying = this.realNextTick;
    const nextTick = Object.assign(function nextTick(callback: (...args: unknown[]) => void, ...args: unknown[]): void {
      if (!defersNow() || !calledByProgram(nextTick)) return underlying(callback, ...args);
      defer('process.nextTick', () => callback(...args));
    }, this.realNextTick);
    Object.defineProperty(process, 'nextTick', {
      configurable: true,
      enumerable: true,
      get: () => nextTick,
      set: (f: typeof process.nextTick) => {
        if (f !== nextTick) underlying = f;
      },
    });
    const realQueueMicrotask = this.realQueueMicrotask;
    globalThis.queueMicrotask = function queueMicrotask(callback: () => void): void {
      if (!defersNow() || !calledByProgram(queueMicrotask)) return realQueueMicrotask(callback);
      defer('queueMicrotask', callback);
    };
  }

  /**
   * A run starts: time 0, no timer pending; `owner` says who makes each timer from now on, and `defers` whether a
   * callback deferred now is a step (a task of the run is running); without it, deferred callbacks stay real.
   */
  attach(owner: () => unknown, defers?: () => boolean): void {
    this.clock.reset();
    this.owners.clear();
    this.deferred.clear();
    this.owner = owner;
    this.defers = defers;
  }

  /** The run stopped driving: its timers are dropped (none fires in the next run). */
  detach(): void {
    this.owner = undefined;
    this.defers = undefined;
    this.clock.reset();
    this.owners.clear();
    this.deferred.clear();
  }

  /** The timer `fireNext` fires, if any. */
  next(): RunTimer | undefined {
    const timer = (this.clock as unknown as ClockInternals).timerHeap?.peek();
    return timer ? this.describe(timer) : undefined;
  }

  /**
   * The timers due at the earliest deadline that may fire next, in the order @sinonjs/fake-timers would fire
   * them. Two timers due at the same virtual time are a choice when they were armed at different times (a 100 ms
   * timeout armed at 0 and a 50 ms one armed at 50; setTimeout 0 against setImmediate): virtual time makes exact
   * what a real event loop only approximates, so either may come first there. Timers of the same kind and delay
   * due together were armed at the same virtual time, in the order the run armed them, and Node fires those in
   * that order (one list per duration): only the first of them is offered.
   */
  earliest(): RunTimer[] {
    const heap = (this.clock as unknown as ClockInternals).timerHeap;
    const first = heap?.peek();
    if (!heap || !first) return [];
    let ties = 0;
    for (const t of heap.timers) if (t.callAt === first.callAt) ties++;
    if (ties === 1) return [this.describe(first)];
    // Popping takes them in firing order; every one goes back.
    const taken: SinonTimer[] = [];
    while (taken.length < ties) taken.push(heap.pop() as SinonTimer);
    for (const t of taken) heap.push(t);
    const seen = new Set<string>();
    const offered: RunTimer[] = [];
    for (const t of taken) {
      const list = t.immediate ? (this.deferred.get(t.id) ?? 'immediate') : `${t.interval !== undefined ? 'interval' : 'timeout'} ${t.interval ?? t.delay ?? 0}`;
      if (seen.has(list)) continue;
      seen.add(list);
      offered.push(this.describe(t));
    }
    return offered;
  }

  /**
   * Fires the pending timer `id` (its callback runs now, synchronously), even when another is due at the same time
   * first; the clock moves to its time, returned.
   */
  fire(id: number): number {
    const internals = this.clock as unknown as ClockInternals;
    const heap = internals.timerHeap;
    const ahead: SinonTimer[] = [];
    while (heap && heap.peek() !== undefined && (heap.peek() as SinonTimer).id !== id) ahead.push(heap.pop() as SinonTimer);
    try {
      return this.clock.next();
    } finally {
      // Back, unless the callback cleared it (a timer the clock no longer has must not stay in the heap).
      for (const t of ahead) if (internals.timers?.has(t.id) === true) heap?.push(t);
    }
  }

  private describe(timer: SinonTimer): RunTimer {
    const kind = timer.immediate ? 'setImmediate' : timer.interval !== undefined ? 'setInterval' : 'setTimeout';
    return {
      id: timer.id,
      callAt: timer.callAt,
      label: timer.immediate ? (this.deferred.get(timer.id) ?? kind) : `${kind} ${timer.interval ?? timer.delay ?? 0}ms`,
      interval: timer.interval !== undefined,
      owner: this.owners.get(timer.id),
    };
  }

  /** Pending timers that are not intervals (a run whose tasks are done still fires those). */
  get pendingOnce(): number {
    let n = 0;
    for (const t of (this.clock as unknown as ClockInternals).timerHeap?.timers ?? []) if (t.interval === undefined) n++;
    return n;
  }

  /** Keeps Date.now() and new timers' deadlines on the run's clock after the scheduler moved it. */
  setNow(ms: number): void {
    (this.clock as unknown as ClockInternals).now = ms;
  }

  /** Drops every interval (a run whose tasks are all done ends; an interval would fire forever). */
  clearIntervals(): void {
    for (const t of [...((this.clock as unknown as ClockInternals).timerHeap?.timers ?? [])]) if (t.interval !== undefined) this.clock.clearInterval(t.id as never);
  }

  uninstall(): void {
    Object.defineProperty(process, 'nextTick', { configurable: true, enumerable: true, writable: true, value: this.realNextTick });
    globalThis.queueMicrotask = this.realQueueMicrotask;
    this.clock.uninstall();
    if (this.outerDate) globalThis.Date = this.outerDate;
  }
}

/**
 * Whether the function `fn` was called by the program's code, not by Node's own (its streams and sockets call
 * process.nextTick too: that is the I/O machinery, not code under test) nor by racelab's.
 */
function calledByProgram(fn: (...args: never[]) => unknown): boolean {
  const file = callSitesBelow(fn, 1)[0]?.getFileName() ?? '';
  return file !== '' && !file.startsWith('node:') && !isRacelabFile(file);
}

/** A fake timer's id: its handle is a number, or (in Node) an object whose primitive value is the id. */
function idOf(handle: unknown): number {
  return Number(handle);
}
