import * as timers from 'node:timers';
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
 */

const USER = 1;
const OWN = 2;

/**
 * One state per process, on globalThis as the instrument runtime is (src/instrument/runtime.ts): two copies of
 * racelab must count into one counter, install the hooks once, and see each other's promises as racelab's.
 */
interface WatchState {
  readonly version: 1;
  /** Derived promises (those of a `.then` or an `await`) not reacted yet, by whose code made them. */
  readonly kinds: WeakMap<object, typeof USER | typeof OWN>;
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
  users: number;
  installed: { readonly stop: () => void; readonly restore: () => void } | undefined;
  /** The hooks' removal, due once the event loop turns with no run watching (see watchPromises). */
  removal: NodeJS.Immediate | undefined;
}

const WATCH_KEY = Symbol.for('racelab.promise-watch');

function sharedState(): WatchState {
  const global = globalThis as { [WATCH_KEY]?: WatchState };
  const found = global[WATCH_KEY];
  if (found?.version === 1) return found;
  const state: WatchState = { version: 1, kinds: new WeakMap(), own: new WeakSet(), making: 0, internal: 0, countedNow: false, adopting: false, count: 0, users: 0, installed: undefined, removal: undefined };
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
    if (parent === undefined) return;
    state.kinds.set(promise, state.internal > 0 || state.own.has(parent) ? OWN : USER);
  },
  before(promise: Promise<unknown>): void {
    const kind = state.kinds.get(promise);
    if (kind === undefined) {
      // No reaction pending for it: the job that resolves it with a thenable (calls the thenable's `then`).
      state.adopting = true;
      state.internal++;
      return;
    }
    state.kinds.delete(promise);
    if (kind === USER) {
      state.count++;
      state.countedNow = true;
    }
  },
  after(): void {
    if (state.adopting) {
      state.adopting = false;
      state.internal--;
    }
    state.countedNow = false;
  },
};

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

/** The reaction running now resumed instrumented code that makes its point at once: it does not count. */
export function explained(): void {
  if (!state.countedNow) return;
  state.countedNow = false;
  state.count--;
}
