import { HANDLE, INSTRUMENT_KEY, type AwaitSite, type InstrumentRuntime, type ModuleHooks } from '../sched/await-site.js';
import { types } from 'node:util';
import { shortValue } from '../core/short-value.js';
import { currentScheduler, onAmbientEntered, realScheduler, type Operation, type Scheduler } from '../sched/scheduler.js';
import { explained } from '../sched/promise-watch.js';

/**
 * The runtime instrumented modules call (src/sched/await-site.ts is the contract). It lives on
 * `globalThis[Symbol.for('racelab.instrument')]`, not in a module variable, because the transformed module and
 * the explorer need not share a module instance: `node --import racelab/register` loads dist/ while a test may
 * import racelab from elsewhere, and a bundler may inline a second copy. Each copy of this file that loads adds
 * its own ambient-scheduler lookup to the one runtime installed first, so an exploration started through any copy
 * is seen by every instrumented module.
 */

/**
 * The handle a transformed module holds: the contract's hooks plus `v`, the delivery of an awaited value told
 * whether `on` held before the expression ran (see transform.ts), `f`, the wrapper of a `for await` iterable, and
 * `t`, the wrapper of a `.then`/`.catch`/`.finally` callback.
 */
export interface InstrumentHooks extends ModuleHooks {
  v<T>(site: number, on: unknown, value: T): T | PromiseLike<Awaited<T>>;
  f<T>(site: number, iterable: T): T | AsyncIterable<unknown>;
  t<T>(site: number, callback: T): T;
  /**
   * The value an `await using` declaration holds, handed back as it is: its disposal, awaited when the block ends,
   * is an await no point can precede, so inside an exploration the scheduler counts it as uncontrolled.
   */
  u<T>(site: number, value: T): T;
  /** Opens the collection of a call's argument values (`site.call`), right before the call's expression runs. */
  s(site: number): 1;
  /** One argument value of the call at `site`, handed back as it is (collected only after `s` of that site). */
  g<T>(site: number, value: T): T;
  /** The callee of the call at `site` (`f` in `f(x)`), handed back as it is (kept only after `s` of that site). */
  k<T>(site: number, callee: T): T;
  /** The receiver of the call at `site` (`obj` in `obj.m(x)`), handed back as it is (kept only after `s`). */
  r<T>(site: number, receiver: T): T;
}

/**
 * The argument values of the one call being evaluated: `s` opens it, `g` fills it, the delivery `a` takes it.
 * One for the process is enough, because nothing else runs between `s` and `a`: the transform collects only for
 * an expression that cannot suspend, and any await the callee reaches suspends at its own point `b` before its
 * own `s`. An expression that throws leaves it open, holding at most its arity of values until the next `s`.
 */
let collecting:
  | {
      readonly handle: Handle;
      readonly site: number;
      readonly arity: number;
      readonly values: unknown[];
      /** `k` saw the callee itself, or `r` its receiver (the method is then looked up by the call's name). */
      callee?: unknown;
      receiver?: unknown;
    }
  | undefined;

const AsyncFunctionPrototype: object = Object.getPrototypeOf(async function () {}) as object;
/** Per function: its name when it is an async function with awaits of its own that racelab did not instrument. */
const opaqueCache = new WeakMap<object, string | null>();

/**
 * `withdraw` when `fn` is a native async function whose code racelab did not instrument and that awaits (its
 * text has an `await` and not the handle every instrumented await carries): its own awaits are then no
 * scheduling points. A bound async function shows no code, so it counts as opaque too. Runs no code of `fn`
 * (no getter, no Proxy trap), and looks at each function once.
 */
function opaqueAsync(fn: unknown): string | undefined {
  if (typeof fn !== 'function' || types.isProxy(fn)) return undefined;
  let name = opaqueCache.get(fn);
  if (name === undefined) {
    name = null;
    if (Object.getPrototypeOf(fn) === AsyncFunctionPrototype) {
      const text = Function.prototype.toString.call(fn);
      if (!text.includes(HANDLE) && (/\bawait\b/.test(text) || text.endsWith('{ [native code] }'))) {
        const own = Object.getOwnPropertyDescriptor(fn, 'name')?.value as unknown;
        name = typeof own === 'string' && own !== '' ? own : 'an anonymous function';
      }
    }
    opaqueCache.set(fn, name);
  }
  return name ?? undefined;
}

/** The method `name` of `receiver`, read through its own and inherited data properties only (no getter runs). */
function methodOf(receiver: unknown, name: string): unknown {
  if (receiver === null || (typeof receiver !== 'object' && typeof receiver !== 'function') || name.startsWith('#')) return undefined;
  for (let o: object | null = receiver; o !== null && !types.isProxy(o); o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return d.value;
  }
  return undefined;
}

/** `findById("acc1", 70)`: each value short and safe to render (core/short-value.ts), at most MAX_ARGS of them. */
function callText(name: string, values: readonly unknown[]): string {
  const shown = values.slice(0, MAX_ARGS).map((v) => shortValue(v, ARG_MAX));
  return `${name}(${shown.join(', ')}${values.length > MAX_ARGS ? ', …' : ''})`;
}
const MAX_ARGS = 6;
const ARG_MAX = 40;

/** One copy of racelab's ambient scheduler: `current()` is the real scheduler outside an exploration. */
interface SchedulerSource {
  readonly current: () => Scheduler;
  readonly real: Scheduler;
}

interface SharedRuntime extends InstrumentRuntime {
  /** Bumped when the shape below changes; a copy that finds another version installed leaves it alone. */
  readonly version: 1;
  readonly sources: SchedulerSource[];
  /** Every instrumented module that has reached its first await, by URL (a re-evaluated module replaces its entry). */
  readonly modules: Map<string, readonly AwaitSite[]>;
  /**
   * `entered`: some copy's `withScheduler` has installed a scheduler other than its real one; `watched`: how many
   * sources tell it so (a copy older than this field adds its source without). Until one has entered, and while
   * every source is watched, no exploration can be running and an await does not ask the sources (about a twentieth
   * of the time of instrumented code on fakes, outside an exploration). Absent from a runtime an older copy installed.
   */
  readonly live?: Live;
}

interface Live {
  entered: boolean;
  watched: number;
}

/** What the explorer reports about instrumentation: how many modules and await sites are live in this process. */
export interface InstrumentStatus {
  readonly modules: number;
  readonly sites: number;
}

/**
 * Installs the runtime once per process (later calls, from this copy or another, add their scheduler lookup to
 * it) and returns it. Importing this module calls it, so importing the explorer or `racelab/register` is enough.
 */
export function installInstrumentRuntime(): InstrumentRuntime {
  const global = globalThis as { [INSTRUMENT_KEY]?: Partial<SharedRuntime> };
  let runtime = global[INSTRUMENT_KEY];
  if (runtime === undefined) {
    const live: Live = { entered: false, watched: 0 };
    const shared: SharedRuntime = {
      version: 1,
      sources: [],
      modules: new Map(),
      live,
      module(url, sites) {
        shared.modules.set(url, sites);
        return new Handle(sites, shared.sources, live);
      },
    };
    Object.defineProperty(globalThis, INSTRUMENT_KEY, { value: shared, configurable: true, writable: false, enumerable: false });
    runtime = shared;
  }
  if (runtime.version === 1 && runtime.sources && !runtime.sources.some((s) => s.real === realScheduler)) {
    runtime.sources.push({ current: currentScheduler, real: realScheduler });
    const live = runtime.live;
    if (live) {
      live.watched++;
      onAmbientEntered(() => (live.entered = true));
    }
  }
  return runtime as InstrumentRuntime;
}

/** Modules and await sites instrumented and reached in this process (zero of both: nothing was instrumented). */
export function instrumentStatus(): InstrumentStatus {
  const modules = (globalThis as { [INSTRUMENT_KEY]?: Partial<SharedRuntime> })[INSTRUMENT_KEY]?.modules;
  let sites = 0;
  for (const table of modules?.values() ?? []) sites += table.length;
  return { modules: modules?.size ?? 0, sites };
}

/** The scheduler of the exploration the caller runs in, through whichever copy of racelab started it. */
function activeScheduler(sources: readonly SchedulerSource[]): Scheduler | undefined {
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i]!;
    const s = source.current();
    if (s !== source.real) return s;
  }
  return undefined;
}

class Handle implements InstrumentHooks {
  /** One operation per site, made on its first point: the same object for every pass through that await. */
  private readonly ops: (Operation | undefined)[] = [];

  constructor(
    private readonly sites: readonly AwaitSite[],
    private readonly sources: readonly SchedulerSource[],
    private readonly live: Live,
  ) {}

  get on(): boolean {
    return (this.live.entered || this.live.watched < this.sources.length) && activeScheduler(this.sources) !== undefined;
  }

  b(site: number): void | Promise<void> {
    return activeScheduler(this.sources)?.point(this.op(site));
  }

  v<T>(site: number, on: unknown, value: T): T | PromiseLike<Awaited<T>> {
    return on ? this.a(site, value) : value;
  }

  a<T>(site: number, value: T): T | PromiseLike<Awaited<T>> {
    const where = this.sites[site]!;
    let call: string | undefined;
    let opaque: string | undefined;
    if (where.call) {
      const open = collecting;
      collecting = undefined;
      const mine = open?.handle === this && open.site === site;
      if (where.call.arity === 0) call = `${where.call.name}()`;
      else if (mine && open.values.length === where.call.arity) call = callText(where.call.name, open.values);
      if (mine) opaque = opaqueAsync('callee' in open ? open.callee : methodOf(open.receiver, where.call.name));
    }
    const s = activeScheduler(this.sources);
    if (s === undefined || s.awaited === undefined) return value;
    return s.awaited(value, where, call, opaque) ?? value;
  }

  u<T>(site: number, value: T): T {
    activeScheduler(this.sources)?.uncontrolledAwait?.(this.sites[site]!, 'the disposal of an await using');
    return value;
  }

  s(site: number): 1 {
    collecting = { handle: this, site, arity: this.sites[site]?.call?.arity ?? 0, values: [] };
    return 1;
  }

  g<T>(site: number, value: T): T {
    const open = collecting;
    if (open !== undefined && open.handle === this && open.site === site && open.values.length < open.arity) open.values.push(value);
    return value;
  }

  k<T>(site: number, callee: T): T {
    const open = collecting;
    if (open !== undefined && open.handle === this && open.site === site) open.callee = callee;
    return callee;
  }

  r<T>(site: number, receiver: T): T {
    const open = collecting;
    if (open !== undefined && open.handle === this && open.site === site) open.receiver = receiver;
    return receiver;
  }

  /**
   * Outside an exploration the iterable itself, so `for await` runs exactly as written. Inside one, an async
   * iterable whose every `next()` is the pair of points an `await` gets: one before the call, and the step that
   * delivers its result. `return()` (a `break`) and `throw()` pass through unchanged.
   */
  f<T>(site: number, iterable: T): T | AsyncIterable<unknown> {
    if (!this.on) return iterable;
    const point = () => this.b(site);
    const deliver = <R>(result: R) => this.a(site, result);
    return {
      [Symbol.asyncIterator](): AsyncIterator<unknown> {
        const it = asyncIteratorOf(iterable as AsyncIterable<unknown> | Iterable<unknown>);
        const step: AsyncIterator<unknown> = {
          async next(...args: [] | [unknown]) {
            await point();
            return deliver(it.next(...args));
          },
        };
        if (it.return) step.return = (value?: unknown) => it.return!(value);
        if (it.throw) step.throw = (error?: unknown) => it.throw!(error);
        return step;
      },
    };
  }

  /**
   * Outside an exploration the callback itself. Inside one, a callback that first makes the site's point, then
   * runs the original with the same `this` and arguments: the continuation of a `.then` is a step the strategy
   * places, as the code after an await is. Decided when `.then` is called, by the task that calls it.
   */
  t<T>(site: number, callback: T): T {
    if (typeof callback !== 'function' || !this.on) return callback;
    const point = () => this.b(site);
    const original = callback as (...args: unknown[]) => unknown;
    return async function (this: unknown, ...args: unknown[]) {
      explained();
      await point();
      return original.apply(this, args);
    } as T;
  }

  private op(site: number): Operation {
    let op = this.ops[site];
    if (op === undefined) {
      const where = this.sites[site]!;
      op = Object.freeze({ kind: 'await', label: siteLabel(where), site: where });
      this.ops[site] = op;
    }
    return op;
  }
}

/**
 * The label a trace prints for a site: the file's base name, the line, and the awaited expression as written
 * (`wallet.ts:35 this.accounts.findById(accountId)`); `for await` sites say so (`feed.ts:12 for await events`),
 * a continuation names its method (`cache.ts:8 load(key).then(…)`).
 */
export function siteLabel(site: AwaitSite): string {
  const base = site.file.slice(site.file.lastIndexOf('/') + 1);
  return `${base}:${site.line} ${site.kind === 'for-await' ? 'for await ' : ''}${site.text}${site.kind === 'then' ? '(…)' : ''}`;
}

/** `for await` over a sync iterable awaits each value; an async generator's `yield*` does exactly that. */
function asyncIteratorOf(iterable: AsyncIterable<unknown> | Iterable<unknown>): AsyncIterator<unknown> {
  const method = (iterable as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator];
  if (typeof method === 'function') return method.call(iterable);
  return (async function* () {
    yield* iterable as Iterable<unknown>;
  })();
}

installInstrumentRuntime();
