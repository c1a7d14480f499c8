import * as timers from 'node:timers';
import { fileURLToPath } from 'node:url';
import { promiseHooks } from 'node:v8';

/**
 * Counts the promise reactions that run code racelab did not instrument: an `await` resuming in an async function
 * that is not instrumented, or a `.then` callback of such code (async code compiled to generators resumes that
 * way, through `__awaiter`). Installed (v8 promise hooks) only while a controlled run is driven.
 *
 * A reaction is not counted when it is racelab's own or explained by it:
 * - the promise reacting was made by racelab (`own`), or derived from one: an instrumented `await` resumes from the
 *   promise the scheduler handed it (its point or its delivery), which only a step settles;
 * - it was derived while racelab itself called `.then` (`making`), or inside V8's own work: the job that adopts a
 *   returned promise (an async function that returns one), or `Promise.all`/`allSettled`/`race`/`any` wiring up
 *   their elements: those reactions run no code of anyone's;
 * - the callback runs instrumented code that makes its point at once (`explained()`, the `.then` wrapper).
 *
 * Three readings come of it: every such reaction (uninstrumentedReactions, read while an instrumented await waits),
 * those that resumed in the same step of the scheduler as they awaited (sameStepReactions): an await with no
 * point between, wherever it was, except a task function's own last resumption (taskPromise); and those that
 * resumed in a later step than they awaited, on a promise that was no call's result (laterStepReactions).
 */

/**
 * The kind of a derived promise racelab made (or V8 did for it); any other kind is the step it was made in: `s`,
 * or `CALL - s` when the promise it derives from was made in the same stretch of code (see laterStepReactions).
 */
const OWN = -1;
const CALL = -2;
/** How many promises made in one stretch of code are remembered as possible call results (see `fresh`). */
const FRESH = 32;

/**
 * One state per process, on globalThis as the instrument runtime is (src/instrument/runtime.ts): two copies of
 * racelab must count into one counter, install the hooks once, and see each other's promises as racelab's.
 */
interface WatchState {
  readonly version: 8;
  /**
   * Derived promises (those of a `.then` or an `await`) not reacted yet: OWN when racelab's, otherwise the step
   * (see stepBegin) in which the code that made them awaited.
   */
  readonly kinds: WeakMap<object, number>;
  /** Promises racelab made: a reaction derived from one resumes instrumented code at a step. */
  readonly own: WeakSet<object>;
  /** Racelab is making promises or calling `.then` (its own machinery). */
  making: number;
  /** Inside V8's adoption of a returned promise, or a promise combinator. */
  internal: number;
  /** The reaction running now is one that counted (explained() can take it back). */
  countedNow: boolean;
  /** The job running now adopts a promise (a before hook on a promise that no reaction is pending for). */
  adopting: boolean;
  /** Reactions of code racelab did not instrument, since the process started (compare two readings). */
  count: number;
  /** Of those, the ones that reacted in the same step as they awaited: an await that was no point at all. */
  sameStep: number;
  /** The running reaction counted in sameStep (explained() takes it back too). */
  sameNow: boolean;
  /** Of those, the ones that resumed in a later step than they awaited, not on a call's result. */
  laterStep: number;
  /** The running reaction counted in laterStep (explained() and a task's end take it back). */
  laterNow: boolean;
  /** Stretches of code, numbered: a new one begins at every reaction's start and end, and at every step. */
  stretch: number;
  /** The first promises (FRESH at most) made from nothing in the current stretch, and the stretch they are of. */
  readonly fresh: object[];
  freshStretch: number;
  /** The step the scheduler is taking now (stepBegin), numbered over the process. */
  step: number;
  /** The task (its root: see stepBegin) whose step the scheduler is taking now. */
  owner: number;
  /**
   * A derived promise taken for a call's result (`await f()`): the promise it derives from, and the task whose step
   * the await was made in (see laterStepReactions).
   */
  readonly calls: WeakMap<object, { readonly parent: object; readonly owner: number; readonly code: AwaitingCode }>;
  /** The code of the first await counted by gluedCall for resuming on a returned call: read once per step. */
  glued: AwaitingCode | undefined;
  /** The running reaction's, if it is one of those (kept in `glued` unless the reaction is taken back). */
  gluedNow: AwaitingCode | undefined;
  /**
   * The stretch in which the hooks were installed: a run installs them at its first instrumented await, in the
   * middle of a step, so the promises made before in that stretch (the call whose body made that await) were not
   * seen made (see init).
   */
  installStretch: number;
  /**
   * The reactions by which V8 adopts a promise of racelab's into another (an async function returning a delivery of
   * racelab's, as controlled() does): the promise settling in one is racelab's result delivered, at a step.
   */
  readonly ownAdoptions: WeakSet<object>;
  /** The running reaction is one of those. */
  ownAdoptionNow: boolean;
  /** Promises some call-result await derives from: their settling is recorded in `settledBy`. */
  readonly callParents: WeakSet<object>;
  /** The task whose step settled each of those promises. */
  readonly settledBy: WeakMap<object, number>;
  /**
   * Of those, the ones settled by code calling their resolve function (see resolvedByCode), not by an async
   * function returning, a combinator, or the adoption of a returned promise.
   */
  readonly resolvedByCode: WeakSet<object>;
  /** Of those, the ones settled by an async function returning. */
  readonly returned: WeakSet<object>;
  /**
   * The files of the workload's task functions seen while counting (see awaitingCode); emptied when counting
   * starts afresh, so a file that was one run's workload is not taken for another's.
   */
  readonly workloadFiles: Set<string>;
  users: number;
  installed: { readonly stop: () => void; readonly restore: () => void } | undefined;
  /** The hooks' removal, due once the event loop turns with no run watching (see watchPromises). */
  removal: NodeJS.Immediate | undefined;
}

const WATCH_KEY = Symbol.for('racelab.promise-watch');

function sharedState(): WatchState {
  const global = globalThis as { [WATCH_KEY]?: WatchState };
  const found = global[WATCH_KEY];
  if (found?.version === 8) return found;
  const state: WatchState = {
    version: 8,
    kinds: new WeakMap(),
    own: new WeakSet(),
    making: 0,
    internal: 0,
    countedNow: false,
    adopting: false,
    count: 0,
    sameStep: 0,
    sameNow: false,
    laterStep: 0,
    laterNow: false,
    stretch: 0,
    fresh: [],
    freshStretch: -1,
    step: 0,
    owner: -1,
    calls: new WeakMap(),
    callParents: new WeakSet(),
    settledBy: new WeakMap(),
    resolvedByCode: new WeakSet(),
    returned: new WeakSet(),
    workloadFiles: new Set(),
    glued: undefined,
    gluedNow: undefined,
    installStretch: -1,
    ownAdoptions: new WeakSet(),
    ownAdoptionNow: false,
    users: 0,
    installed: undefined,
    removal: undefined,
  };
  Object.defineProperty(globalThis, WATCH_KEY, { value: state, configurable: true, writable: false, enumerable: false });
  return state;
}

const state = sharedState();

/** Reactions of code racelab did not instrument so far: the count between two readings is what ran meanwhile. */
export function uninstrumentedReactions(): number {
  return state.count;
}

const hooks = {
  init(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
    if (state.making > 0) {
      if (parent === undefined) state.own.add(promise);
      else state.kinds.set(promise, OWN);
      return;
    }
    if (parent === undefined) {
      // A promise made from nothing inside an adoption job: the job called a thenable's own `then` (a query
      // builder's), which runs the program's code (an async function it calls), not V8's wiring. What it goes on to
      // make is the program's, as if the thenable's promise had been awaited directly.
      if (state.adopting) {
        state.adopting = false;
        state.internal--;
      }
      const fresh = state.fresh;
      if (state.freshStretch !== state.stretch) {
        state.freshStretch = state.stretch;
        fresh.length = 0;
      }
      if (fresh.length < FRESH) fresh.push(promise);
      return;
    }
    if (state.adopting && (state.own.has(parent) || state.kinds.get(parent) === OWN)) state.ownAdoptions.add(promise);
    if (state.internal > 0 || state.own.has(parent)) state.kinds.set(promise, OWN);
    else if ((state.freshStretch === state.stretch && state.fresh.includes(parent)) || (state.installStretch === state.stretch && !state.kinds.has(parent))) {
      state.kinds.set(promise, CALL - state.step);
      state.calls.set(promise, { parent, owner: state.owner, code: awaitingCode() });
      state.callParents.add(parent);
    } else state.kinds.set(promise, state.step);
  },
  before(promise: Promise<unknown>): void {
    state.stretch++;
    state.ownAdoptionNow = state.ownAdoptions.has(promise);
    const kind = state.kinds.get(promise);
    if (kind === undefined) {
      // No reaction pending for it: the job that resolves it with a thenable (calls the thenable's `then`).
      state.adopting = true;
      state.internal++;
      return;
    }
    state.kinds.delete(promise);
    if (kind !== OWN) {
      state.count++;
      state.countedNow = true;
      const call = kind <= CALL;
      if ((call ? CALL - kind : kind) === state.step) {
        state.sameStep++;
        state.sameNow = true;
      } else if (!call || gluedCall(promise)) {
        state.laterStep++;
        state.laterNow = true;
      }
    }
  },
  settled(promise: Promise<unknown>): void {
    if (state.callParents.has(promise)) {
      state.settledBy.set(promise, state.owner);
      const how = settledHow();
      if (how === 'code') state.resolvedByCode.add(promise);
      else if (how === 'return' || (how === 'job' && !state.ownAdoptionNow)) state.returned.add(promise);
    }
    // A task function's own last resumption: the workload's glue returning, not code under test (see taskPromise).
    if (!state.sameNow && !state.laterNow) return;
    if ((promise as TaskPromise)[ENDS_AT_AWAIT]?.() === true) uncountStepResumption();
  },
  after(): void {
    state.stretch++;
    if (state.adopting) {
      state.adopting = false;
      state.internal--;
    }
    if (state.gluedNow) {
      if (state.laterNow) state.glued ??= state.gluedNow;
      state.gluedNow = undefined;
    }
    state.countedNow = false;
    state.sameNow = false;
    state.laterNow = false;
    state.ownAdoptionNow = false;
  },
};

/**
 * An await taken for a call's result that resumed in a later step than it was made in, and whose code after it
 * ran glued to that step. Its promise was settled:
 * - by an async function returning, in a step of the task the await was made in: the code after the await, and
 *   the synchronous start of whatever it calls next, ran inside that step, where another task that step woke
 *   (already due) runs first in the program as written: between the two, microtask turns pass. A dependency's
 *   `async function timed(stats, job) { const r = await job(); stats.finished++; }`, and as much the workload's own
 *   code: `async () => { await store.put('x', me); seen[me] = await store.read('x'); }` with `read` reading before
 *   its first await was `proved` (each task read its own write) while a plain `Promise.all` run reads the other's.
 *   The workload's file is named in the report (see takeGluedCall): instrumented, its awaits are points too.
 * - in a step of another task, or by the program's code calling its resolve function: not an async function's
 *   result, but a promise a plain function made for someone to settle (`new Promise((r) => waiters.push(r))`).
 * Not counted: code that is no program's (Node's, racelab's own) resuming on an async function's result, and code
 * resuming on a promise settled from a callback of Node's (a timer), which is a step.
 */
function gluedCall(promise: object): boolean {
  const call = state.calls.get(promise);
  if (!call) return false;
  state.calls.delete(promise);
  if (!call.code.none && state.returned.has(call.parent)) {
    state.gluedNow = call.code;
    return true;
  }
  const by = state.settledBy.get(call.parent);
  return (by !== undefined && by !== call.owner) || state.resolvedByCode.has(call.parent);
}

/** Who made an await of a call's result, read from the stack when it was made (see awaitingCode). */
export interface AwaitingCode {
  /** The file of the awaiting code, as the stack names it (a file: URL or a path). */
  readonly file: string | undefined;
  /** It is the workload's own: the file of a task function (code racelab called directly) or its helpers. */
  readonly workload: boolean;
  /** It is no program's: Node's or racelab's own code. */
  readonly none: boolean;
}

const WORKLOAD_FILES_MAX = 1000;
const NO_PROGRAM: AwaitingCode = { file: undefined, workload: false, none: true };

/**
 * The code making an await of a call's result (the frame below the init hook): its file, and whether that file is
 * the workload's own: the file of a task function, which racelab's code called directly (its first await is made
 * in the synchronous part of the call racelab made), with the helpers that file keeps for its tasks. Read only for
 * awaits of a call's result by code racelab did not instrument: a few microseconds each.
 */
function awaitingCode(): AwaitingCode {
  // Four frames decide the common case (the hook's caller, the awaiting code, Node's AsyncLocalStorage.run and
  // racelab's frame that called a task function): a stack capture costs more the deeper it goes, and this one is
  // taken for every such await, so the deeper one is taken only when the short one was cut before an answer.
  return codeOf(callSitesBelow(hooks.init, SHORT_STACK), true) ?? (codeOf(callSitesBelow(hooks.init, 12), false) as AwaitingCode);
}

const SHORT_STACK = 4;

/** awaitingCode from the frames below the init hook; undefined when `cut` and they were cut before an answer. */
function codeOf(sites: readonly NodeJS.CallSite[], cut: boolean): AwaitingCode | undefined {
  const truncated = cut && sites.length >= SHORT_STACK;
  // Below the hook, Node's function that calls the hooks, then the code that awaits or calls `.then` (V8's own
  // frames, such as `Promise.then`, have no file).
  let i = 0;
  for (let file = sites[i]?.getFileName(); i < sites.length && (!file || file === 'node:internal/promise_hooks'); file = sites[++i]?.getFileName());
  const file = sites[i]?.getFileName();
  if (!file) return truncated ? undefined : NO_PROGRAM;
  if (file.startsWith('node:') || isRacelabFile(file)) return NO_PROGRAM;
  if (state.workloadFiles.has(file)) return { file, workload: true, none: false };
  for (i++; i < sites.length; i++) {
    const below = sites[i]?.getFileName();
    if (!below || below.startsWith('node:') || below === file) continue;
    if (!isRacelabFile(below)) break;
    if (state.workloadFiles.size >= WORKLOAD_FILES_MAX) state.workloadFiles.clear();
    state.workloadFiles.add(file);
    return { file, workload: true, none: false };
  }
  if (i >= sites.length && truncated) return undefined;
  return { file, workload: false, none: false };
}

/**
 * The code of the first await counted for resuming glued to the step its callee returned in (see gluedCall), since
 * the last call: the scheduler names it in the step's report.
 */
export function takeGluedCall(): AwaitingCode | undefined {
  const glued = state.glued;
  state.glued = undefined;
  return glued;
}

/**
 * The stack below the frame of `fn` (the caller of a hook or a wrapper), as V8's call sites: the frames
 * unformatted, `depth` at most.
 */
export function callSitesBelow(fn: (...args: never[]) => unknown, depth: number): NodeJS.CallSite[] {
  const saved = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = depth;
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, fn);
    return holder.stack ?? [];
  } finally {
    Error.prepareStackTrace = saved;
    Error.stackTraceLimit = limit;
  }
}

/** Node's module that drains the process.nextTick queue, and the promise jobs after it. */
const TICK_QUEUE = 'node:internal/process/task_queues';

/** The stack below the settled hook. */
const settleSites = (depth: number): NodeJS.CallSite[] => callSitesBelow(hooks.settled, depth);
const SHORT_SETTLE = 3;

/** racelab's own code (its src/ and dist/ folders), as stack frames name files: URLs for ES modules, paths for CommonJS. */
const OWN_CODE = ((): string[] => {
  const root = new URL('../../', import.meta.url);
  return ['src/', 'dist/'].flatMap((dir) => {
    const url = new URL(dir, root);
    return [url.href, fileURLToPath(url)];
  });
})();

/** Whether a stack frame's file is racelab's own code. */
export function isRacelabFile(file: string): boolean {
  return OWN_CODE.some((dir) => file.startsWith(dir));
}

/**
 * How the promise settling now was settled: by code of the program calling its resolve function (`code`: a waiter
 * list's `w()`), by an async function returning (`return`: its own frame is on top), in a promise job with nobody's
 * code under it (`job`: the adoption of a returned promise, a combinator's element), or otherwise (`other`: a timer
 * firing, I/O, racelab delivering a result: no frame of the program's calls it). A promise a plain function made and
 * returned (`waitOpen() { return new Promise((r) => waiters.push(r)); }`) and that its own task resolves in a later
 * step is no call's result either: the code awaiting it resumed glued to that step. Only asked for promises some
 * call-result await derives from; V8's structured stack gives the frames without formatting them.
 */
function settledHow(): 'return' | 'job' | 'code' | 'other' {
  // On top, the resolve function (a builtin: no file). An async function returning has its own frame there: the
  // common case, told from the top frame.
  // Three frames first: a promise job's whole stack is the resolve function and the tick queue's frame under it, so
  // one short capture answers it too; a stack cut at three is taken again, deeper.
  const short = settleSites(SHORT_SETTLE);
  const first = short[0];
  if (!first) return 'other';
  if (first.getFileName()) return 'return';
  const [, ...below] = short.length < SHORT_SETTLE ? short : settleSites(32);
  // A promise job with no one's frame under it: V8 adopting the promise an async function returned (`async put(k, v)
  // { return this.write(k, v); }`, and `events.once`, an async function returning a promise), a combinator's
  // element, or a reaction whose handler is the resolve function itself (`gate.then(resolve)`): a result arriving in
  // a microtask, as when an async function returns. Found missing: code after `await store.put(…)` resumed glued
  // to the step `write` returned in, uncounted, and dfs proved a stale read absent.
  if (below.every((site) => site.isAsync() || !site.getFileName() || site.getFileName() === TICK_QUEUE)) return 'job';
  // Below it, read downwards: the program's code must have called it, directly or through Node's own functions
  // that it called (an EventEmitter's emit, a `once` wrapper), and not racelab's code (a controlled() call's
  // result delivered, a wake: settled only at a step racelab takes). Frames of Node's with no program frame below
  // them are Node calling back (a timer, an I/O callback, an event of a socket), and the fake clock's frames are a
  // timer firing: a timer is a step of its own, and real I/O is reported, or one atomic step with io: 'atomic'.
  // Promise jobs drained from process.nextTick's queue are the frames of Node's a plain call chain has below it.
  let program = false;
  /** Frames of Node's since the last frame of the program's. */
  let node = false;
  for (const site of below) {
    const file = site.getFileName();
    if (!file || file === TICK_QUEUE) continue;
    if (file.includes('/@sinonjs/fake-timers/')) return 'other';
    if (file.startsWith('node:')) {
      node = true;
    } else if (isRacelabFile(file)) {
      if (!program || node) return 'other';
    } else {
      program = true;
      node = false;
    }
  }
  if (program && !node) return 'code';
  // Node's own code alone, run from process.nextTick's queue: a callback Node deferred inside the step (a stream's
  // 'finish', which `stream/promises` `finished()` waits for), not a timer or I/O, which the event loop starts.
  // Found missing: code after `await finished(stream)` resumed glued to the step that ended the stream, uncounted.
  if (!program && node && below.filter((site) => !site.isAsync() && site.getFileName()).at(-1)?.getFileName() === TICK_QUEUE) return 'job';
  return 'other';
}

const COMBINATORS = ['all', 'allSettled', 'race', 'any'] as const;
/** The real ones, taken at load: an exploration's virtual time fakes the globals and node:timers' exports. */
const setImmediate = timers.setImmediate;
const clearImmediate = timers.clearImmediate;

/**
 * Starts counting (the first caller installs the hooks); the function returned stops this caller's counting. The
 * hooks are removed (and the combinators restored) once the event loop turns with nobody counting: the runs of an
 * exploration follow each other within promise jobs, and installing V8's promise hooks afresh for each run would
 * cost more than the run (it throws away optimized code).
 */
export function watchPromises(): () => void {
  if (state.removal) {
    clearImmediate(state.removal);
    state.removal = undefined;
  }
  if (state.users === 0) state.workloadFiles.clear();
  if (state.users++ === 0 && !state.installed) {
    const stop = promiseHooks.createHook(hooks) as () => void;
    const originals = COMBINATORS.map((name) => [name, Promise[name]] as const);
    for (const [name, original] of originals) {
      const combinator = function (this: PromiseConstructor, values: Iterable<unknown>): Promise<unknown> {
        state.internal++;
        try {
          return (original as (values: Iterable<unknown>) => Promise<unknown>).call(this, values);
        } finally {
          state.internal--;
        }
      };
      Object.defineProperty(combinator, 'name', { value: name });
      Object.defineProperty(Promise, name, { value: combinator, writable: true, configurable: true, enumerable: false });
    }
    const restore = (): void => {
      for (const [name, original] of originals) Object.defineProperty(Promise, name, { value: original, writable: true, configurable: true, enumerable: false });
    };
    state.installed = { stop, restore };
    state.installStretch = state.stretch;
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--state.users > 0 || !state.installed || state.removal) return;
    state.removal = setImmediate(removeHooks);
    state.removal.unref();
  };
}

function removeHooks(): void {
  state.removal = undefined;
  const installed = state.installed;
  if (state.users > 0 || !installed) return;
  installed.stop();
  installed.restore();
  state.installed = undefined;
  state.making = 0;
  state.internal = 0;
  state.countedNow = false;
  state.sameNow = false;
  state.laterNow = false;
  state.gluedNow = undefined;
  state.glued = undefined;
  state.fresh.length = 0;
  state.adopting = false;
}

/**
 * Racelab's own machinery starts making promises or calling `.then` (until ownEnd()): those promises, and those
 * their `.then` calls derive, are not counted. A pair of calls, not a closure: it is on the path of every step.
 */
export function ownBegin(): void {
  state.making++;
}

export function ownEnd(): void {
  state.making--;
}

/** Marks a promise racelab made as its own (a module's settled constant, made before the hooks were installed). */
export function ownPromise<T extends Promise<unknown>>(promise: T): T {
  state.own.add(promise);
  return promise;
}

/** The reaction running now, counted as a resumption within a step or in a later one, is taken back. */
function uncountStepResumption(): void {
  if (state.sameNow) {
    state.sameNow = false;
    state.sameStep--;
  }
  if (state.laterNow) {
    state.laterNow = false;
    state.laterStep--;
  }
}

/** The reaction running now resumed instrumented code that makes its point at once: it does not count. */
export function explained(): void {
  if (!state.countedNow) return;
  state.countedNow = false;
  state.count--;
  uncountStepResumption();
}

/**
 * The promise of a task's function, when that function is itself async (the workload's glue,
 * `async () => void (await service.withdraw('acc1', 70))`): the reaction in which it settles is that function's
 * last resumption, after the code under test it awaited has returned, and is not counted in sameStepReactions.
 * The glue is the test, not the code under test; counting it would make every task whose call completes without
 * a point (a cache hit, an in-flight promise already settled, a method that only starts background work)
 * inconclusive. Only a function that ends at its last await is excused (`endsAtAwait`, explore/glue-tail.ts, asked
 * only when that resumption would count: parsing the function's text each run cost a tenth of a run of the
 * counter): one that runs code of its own after it (`if (await w()) paid += 70`) runs that code in this
 * resumption, which then counts. A task function that returns another promise (`() => dep.inc()`) is not marked:
 * the promise is then the callee's, and its resumptions are the callee's.
 */
export function taskPromise(promise: Promise<unknown>, endsAtAwait: () => boolean): void {
  // On the promise itself, not in a WeakSet or WeakMap: adding to one took a tenth of a run of the counter, and a
  // WeakMap whose values hold the run's workload made every garbage collection slower (12 µs a run instead of 5).
  (promise as TaskPromise)[ENDS_AT_AWAIT] = endsAtAwait;
}

/** Shared by every copy of racelab in the process, as the state is. */
const ENDS_AT_AWAIT = Symbol.for('racelab.endsAtAwait');
type TaskPromise = Promise<unknown> & { [ENDS_AT_AWAIT]?: () => boolean };

/**
 * The scheduler takes a step: code that awaits from here on and resumes before the next step did so with no
 * scheduling point between (see sameStepReactions).
 */
export function stepBegin(owner: number): void {
  state.step++;
  state.stretch++;
  state.owner = owner;
}

/**
 * Reactions of code racelab did not instrument that resumed in the same step as they awaited, so far (compare
 * two readings). Such an await was no point: what another task could do at it went untried. Unlike the count of
 * uninstrumented reactions, this needs no instrumented await waiting on that code: a dependency's promise
 * returned without an await, a `.then` chain on it, or a call nobody awaits is seen here too. A task's own
 * glue (the workload's function, not instrumented) resumes in a later step than it awaited, once the
 * instrumented code it called has made its points: see laterStepReactions.
 */
export function sameStepReactions(): number {
  return state.sameStep;
}

/**
 * Reactions of code racelab did not instrument that resumed in a later step than they awaited, so far (compare
 * two readings): that code awaited something another step settled (another task's, or a later one of its own
 * task), and resumed inside that step, glued to it, where a task waiting on the same thing could have run first.
 * Read when no instrumented await waits on that code (uninstrumentedReactions sees those): a helper called and not
 * awaited, stored and awaited later, or handed to a callback, that awaits a promise made before (a gate in a
 * field, another task's promise); and code after an await of a call's result, the call having returned in that
 * step (see gluedCall): the workload's own glue too (`async () => { await a(); await b(); }`, in a file racelab
 * did not instrument), whose second call starts inside the step the first returned in.
 *
 * Not counted: a task function's own last resumption (see taskPromise), and an await of the result of a call made
 * in the same stretch of code (`await f()`) settled otherwise than by an async function returning, by the
 * program's code resolving it, or in a step of another task: settled by a step racelab took (a controlled() call's
 * result delivered), or from a callback of Node's (a timer, I/O, an event): a timer firing and a result delivered
 * are steps, and real I/O is reported or atomic.
 */
export function laterStepReactions(): number {
  return state.laterStep;
}
