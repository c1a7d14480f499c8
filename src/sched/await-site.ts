import { isAbsolute, relative, sep } from 'node:path';

/**
 * The contract between instrumented user code and the explorer (issue 12).
 *
 * The load-time transform (src/instrument/transform.ts) rewrites every `await EXPR` of a user module into
 *
 *     await __rl$.a(ID, (__rl$.on && await __rl$.b(ID), EXPR))
 *
 * where `__rl$` is the module's handle, made once at the top of the module by
 *
 *     const __rl$ = globalThis[Symbol.for('racelab.instrument')]?.module(URL, SITES) ?? INERT
 *
 * (INERT is an inline object: `{ on: false, a: (i, v) => v, b: () => undefined }`, so transformed code runs
 * without racelab loaded). SITES is the module's table of await sites, ID an index into it.
 *
 * Outside an exploration `on` is false: no extra await, one call that returns EXPR's value as it is, so the
 * code runs with the same microtask order as uninstrumented code. Inside an exploration:
 * - `b(ID)` is the scheduling point before the awaited expression is evaluated (the call goes out);
 * - `a(ID, value)` hands the awaited value to the scheduler, which returns a promise that settles with it only
 *   when the strategy picks the task to resume (the response comes back). A value that is a promise another task
 *   of the run settles blocks the task until then (not an escape); real I/O is reported, or run atomically.
 *
 * The type lives in sched (the lowest layer both sides may import): src/instrument/runtime.ts implements
 * `InstrumentRuntime` by forwarding to the ambient scheduler:
 * - `on`  is `currentScheduler() !== realScheduler`;
 * - `b`   is `currentScheduler().point({ kind: 'await', label, site })`;
 * - `a`   is `currentScheduler().awaited?.(value, site) ?? value`  (an optional method of `Scheduler`, added in
 *         scheduler.ts together with the `'await'` OperationKind and `Operation.site?: AwaitSite`; the
 *         ControlledScheduler implements it).
 */
export interface AwaitSite {
  /** Path of the module, relative to the project root where possible (`src/wallet.ts`). */
  readonly file: string;
  /** 1-based line and 0-based column in the original source (before any transform), as source maps count. */
  readonly line: number;
  readonly column: number;
  /** The awaited expression's source text, shortened (`this.accounts.findById(accountId)`). */
  readonly text: string;
  readonly kind: 'await' | 'for-await' | 'then';
  /**
   * An awaited call whose arguments the transform hands to the runtime as they are evaluated: the callee's name
   * (`findById`) and how many arguments it has, so that the response step reads `findById("acc1")`.
   */
  readonly call?: { readonly name: string; readonly arity: number };
}

/** The per-module handle instrumented code calls. Keep the names short: they are in every transformed await. */
export interface ModuleHooks {
  /** True only while the caller runs as a task of an exploration; read at every await. */
  readonly on: boolean;
  /** The point before the awaited expression is evaluated. Called only when `on`. */
  b(site: number): void | PromiseLike<void>;
  /** The awaited value: returned as it is when not `on`; otherwise what the scheduler gives back to await. */
  a<T>(site: number, value: T): T | PromiseLike<Awaited<T>>;
}

/** What `globalThis[Symbol.for('racelab.instrument')]` holds once racelab's instrument runtime is loaded. */
export interface InstrumentRuntime {
  module(url: string, sites: readonly AwaitSite[]): ModuleHooks;
}

/** The name of a module's handle in transformed code: every instrumented function's text holds it. */
export const HANDLE = '__rl$';

export const INSTRUMENT_KEY: unique symbol = Symbol.for('racelab.instrument') as never;

/**
 * A file as sites name it: relative to `root` (with `/` separators) when it is under it, else as given. The
 * transform writes each site's file so; the explorer names a stack frame's file the same way.
 */
export function siteFile(path: string, root: string): string {
  if (!isAbsolute(path)) return path.split(sep).join('/');
  const r = relative(root, path);
  const inside = r !== '' && !r.startsWith('..') && !isAbsolute(r);
  return (inside ? r : path).split(sep).join('/');
}
