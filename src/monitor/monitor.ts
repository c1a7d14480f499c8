import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import { nowMicros } from '../core/clock.js';
import { RacelabError } from '../core/errors.js';
import { plural } from '../core/units.js';
import { OnlineLinearizability, type OnlineCheckOptions } from './online-check.js';

/*
 * The race monitor watches a live service for the signature of a race, not for the race itself: it cannot see
 * the values a client expected, only which version of a key each request read and which keys it wrote. The
 * signature of a lost update is a write based on a version that is no longer the latest: the request read
 * version v, and by the time it wrote, other requests had written v+1… over it. The simplest case is the one the
 * seed shows: two requests read the same version and both write it; whichever writes second writes over an
 * update it never saw.
 *
 * How many updates such a write loses is counted on the key's chain of versions: each write's version has a
 * depth, one more than the depth of the version it was based on (an atomic update, based on no read, sees
 * everything: one more than the latest). A write based on v when the latest is c loses depth(c) - depth(v)
 * updates. Summed over a run this telescopes to writes - depth(final), which for a counter whose every write is
 * read+1 is exactly the increments missing from its final value: `racelab demo grpc --monitor` compares the two.
 *
 * A write's version is the one the caller gives (`write(key, version)`) or, when the store does not say, one
 * after the latest the monitor knows of: exact when every write of the key goes through this monitor (one
 * process), a guess otherwise. Memory is bounded by design: at most `maxKeys` keys (least recently touched
 * evicted first), and per key the depths of at most `versionsPerKey` versions. A write whose base was evicted
 * is taken to have seen everything, so an eviction can hide a lost update, never invent one.
 */
/** Which transitions a key's state may take: `allowed[from]` lists the states it may go to. */
export interface StateMachine {
  /** State of a key the monitor has not seen a transition of yet. */
  readonly initial: string;
  readonly allowed: Readonly<Record<string, readonly string[]>>;
}

/** Where suspects are logged: a pino logger (or anything with pino's `warn(object, message)`). */
export interface SuspectLogger {
  warn(fields: object, message: string): void;
}

export interface RaceMonitorOptions {
  /**
   * Groups keys into a few classes for metric labels (a label per key would grow without bound). Default: the
   * key up to its first `:` or `/` (`account:42` -> `account`).
   */
  keyClass?: (key: string) => string;
  /** State machines per key class, for `transition()`. */
  stateMachines?: Readonly<Record<string, StateMachine>>;
  /** One line per suspect (level warn). Default: none; `racelab serve` and the demos pass a pino logger. */
  logger?: SuspectLogger;
  /** Added to every log line as `monitor` (which server or variant this monitor watches). */
  name?: string;
  /** Keys remembered at once (least recently used evicted). Default 10,000. */
  maxKeys?: number;
  /** Read versions remembered per key. Default 64. */
  versionsPerKey?: number;
  /** Completed requests kept (most recent) for a report's timeline. Default 0. */
  keepRequests?: number;
  /** Metrics go here; default a registry of this monitor's own. */
  registry?: Registry;
  /**
   * Optional: check one key's history for linearizability while the service runs, window by window, off the
   * request path (online-check.ts); verdicts on `racelab_monitor_linearizability_windows_total`. Needs the
   * handlers' Store to be `monitoredStore` (it reports the values read and written).
   */
  linearizability?: OnlineCheckOptions;
}

const NO_READS: MonitoredRequest['reads'] = new Map();
const NO_WRITES: MonitoredRequest['writes'] = Object.freeze([]);

/** What one request did, as the monitor saw it. Times are monotonic microseconds (`nowMicros`). */
export interface MonitoredRequest {
  /** What logs call it: the client's `x-request-id`, else `r` and a number. Clients may repeat one (a retry). */
  readonly id: string;
  /** The monitor's own number for it, unique: what tells two requests apart when their ids are the same. */
  readonly seq: number;
  readonly method: string;
  readonly startMicros: number;
  endMicros: number | undefined;
  /** The gRPC status code (or 0 / 2 for a plain handler that resolved / threw). */
  status: number | undefined;
  /** The last version of each key this request read, and when. */
  readonly reads: ReadonlyMap<string, { version: number; atMicros: number }>;
  readonly writes: ReadonlyArray<{ key: string; basedOn: number | undefined; version: number | undefined; atMicros: number }>;
  /** Set when this request was the second writer of a lost-update pair. */
  overwrote?: string;
}

/** One side of a suspected lost update: a request, the version of the key it read, when it read and wrote. */
export interface WriterInfo {
  readonly id: string;
  readonly method: string;
  readonly readVersion: number | undefined;
  readonly readMicros: number | undefined;
  readonly writeMicros: number;
}

export interface SuspectedLostUpdate {
  readonly kind: 'lost-update';
  readonly key: string;
  /** Updates written over by this write without being read: depth(latest) - depth(read). */
  readonly lost: number;
  /** The latest version when `second` wrote; `first` wrote it. */
  readonly overwrittenVersion: number;
  /** The request whose update was written over (the writer of the latest version). */
  readonly first: WriterInfo;
  /** The request that wrote based on an older version. */
  readonly second: WriterInfo;
}

export interface VersionRegression {
  readonly kind: 'version-regression';
  readonly key: string;
  readonly request: string;
  readonly method: string;
  readonly version: number;
  readonly highestSeen: number;
  readonly atMicros: number;
}

export interface IllegalTransition {
  readonly kind: 'illegal-transition';
  readonly key: string;
  readonly request: string | undefined;
  readonly method: string;
  readonly from: string;
  readonly to: string;
  readonly atMicros: number;
}

export type Suspect = SuspectedLostUpdate | VersionRegression | IllegalTransition;

export interface MonitorCounts {
  requests: number;
  suspectedLostUpdates: number;
  versionRegressions: number;
  illegalTransitions: number;
  /** Reads and writes reported outside any request (nothing to pair them with). */
  untracked: number;
}

/** A version of a key: its depth on the key's chain, and who wrote it (the request's `seq`, and as logged). */
interface VersionInfo {
  depth: number;
  writer: WriterInfo | undefined;
  writerSeq: number | undefined;
}

interface KeyState {
  /** Highest version written with an explicit version. */
  highestWritten: number;
  /** The latest version the monitor knows of (read or written). */
  latest: number | undefined;
  /** Version -> its depth on the key's chain and who wrote it. Insertion order is age. */
  readonly versions: Map<number, VersionInfo>;
  state: string | undefined;
}

const defaultKeyClass = (key: string): string => {
  const cut = key.search(/[:/]/);
  return cut > 0 ? key.slice(0, cut) : key;
};

/** Key classes beyond this many share the label `other`, so a bad keyClass cannot blow up the metrics. */
const MAX_KEY_CLASSES = 200;
/** Methods beyond this many share the label `other`. */
const MAX_METHODS = 1000;

interface MethodCounts {
  requests: number;
  inFlight: number;
}

export class RaceMonitor {
  readonly registry: Registry;
  readonly counts: MonitorCounts = { requests: 0, suspectedLostUpdates: 0, versionRegressions: 0, illegalTransitions: 0, untracked: 0 };
  /** Suspects found (the most recent, at most about 2 x `maxKeys`), for tests and reports. */
  readonly suspects: Suspect[] = [];
  /** Completed requests, when `keepRequests` > 0. */
  readonly completed: MonitoredRequest[] = [];
  /** The online linearizability monitor, with `linearizability`. */
  readonly online: OnlineLinearizability | undefined;

  private readonly context = new AsyncLocalStorage<MonitoredRequest>();
  /**
   * Where a call's metadata object holds its request: a property of its own (a symbol of this monitor's), not a
   * WeakMap, whose entries, one per call, made the server's garbage collection the largest part of the
   * monitor's cost (a CPU profile under `npm run bench -- monitor`).
   */
  private readonly requestKey = Symbol('racelab monitor request');
  private readonly keys = new Map<string, KeyState>();
  private readonly classes = new Set<string>();
  private readonly maxKeys: number;
  private readonly versionsPerKey: number;
  private readonly keepRequests: number;
  private readonly keyClassOf: (key: string) => string;
  private readonly machines: Readonly<Record<string, StateMachine>>;
  private readonly logger: SuspectLogger | undefined;
  private readonly name: string | undefined;
  private nextId = 1;
  private nextSeq = 1;
  /**
   * Requests and handlers in flight per method, as plain numbers that prom-client reads when scraped (`collect`):
   * a prom-client call per request (even on a labelled child) cost more than the rest of the bookkeeping.
   */
  private readonly perMethod = new Map<string, MethodCounts>();
  /** The most recently touched key: touching it again needs no move in the least-recently-used order. */
  private lastKey: string | undefined;
  private readonly metrics: {
    requests: Counter<'method'>;
    inFlight: Gauge<'method'>;
    lostUpdates: Counter<'method' | 'key_class'>;
    regressions: Counter<'method' | 'key_class'>;
    transitions: Counter<'method' | 'key_class'>;
  };

  constructor(options: RaceMonitorOptions = {}) {
    this.maxKeys = positive(options.maxKeys ?? 10_000, 'maxKeys');
    this.versionsPerKey = positive(options.versionsPerKey ?? 64, 'versionsPerKey');
    this.keepRequests = Math.max(0, options.keepRequests ?? 0);
    this.keyClassOf = options.keyClass ?? defaultKeyClass;
    this.machines = options.stateMachines ?? {};
    for (const [cls, m] of Object.entries(this.machines)) {
      if (!m || typeof m.initial !== 'string' || typeof m.allowed !== 'object') {
        throw new RacelabError('BAD_OPTION', `raceMonitor: the state machine of key class "${cls}" needs { initial, allowed: { from: [to, …] } }`);
      }
    }
    this.logger = options.logger;
    this.name = options.name;
    this.registry = options.registry ?? new Registry();
    this.online = options.linearizability ? new OnlineLinearizability(options.linearizability, this.registry) : undefined;
    const registers = [this.registry];
    this.metrics = {
      requests: new Counter({
        name: 'racelab_monitor_requests_total',
        help: 'Requests the race monitor saw, per method.',
        labelNames: ['method'],
        registers,
        collect: () => {
          this.metrics.requests.reset();
          for (const [method, m] of this.perMethod) this.metrics.requests.inc({ method }, m.requests);
        },
      }),
      inFlight: new Gauge({
        name: 'racelab_monitor_in_flight',
        help: 'Handlers running now, per method.',
        labelNames: ['method'],
        registers,
        collect: () => {
          for (const [method, m] of this.perMethod) this.metrics.inFlight.set({ method }, m.inFlight);
        },
      }),
      lostUpdates: new Counter({
        name: 'racelab_monitor_suspected_lost_updates_total',
        help: 'Writes by a request that read the same version of a key as an earlier writer of it (the signature of a lost update).',
        labelNames: ['method', 'key_class'],
        registers,
      }),
      regressions: new Counter({
        name: 'racelab_monitor_version_regressions_total',
        help: 'Writes that moved a key to a version below one already written.',
        labelNames: ['method', 'key_class'],
        registers,
      }),
      transitions: new Counter({
        name: 'racelab_monitor_illegal_transitions_total',
        help: "State transitions the key class's declared state machine forbids.",
        labelNames: ['method', 'key_class'],
        registers,
      }),
    };
  }

  /** The request the caller runs inside, if any. */
  current(): MonitoredRequest | undefined {
    return this.context.getStore();
  }

  /**
   * The request of a grpc-js call the interceptor saw (`call` is the handler's call, or its `metadata`): for
   * handlers that pass their request to `read`, `write`, `transition` and `monitoredStore` themselves, as they must
   * with `grpcInterceptor(monitor, { asyncContext: false })`.
   */
  requestOf(call: { readonly metadata: object } | object): MonitoredRequest | undefined {
    const holder = 'metadata' in call && typeof call.metadata === 'object' && call.metadata !== null ? call.metadata : call;
    return (holder as Record<symbol, MonitoredRequest | undefined>)[this.requestKey];
  }

  /** @internal the interceptor's link from a call's metadata (the object its handler sees) to its request. */
  bindMetadata(metadata: object, request: MonitoredRequest): void {
    (metadata as Record<symbol, MonitoredRequest>)[this.requestKey] = request;
  }

  /** Starts a request; `run` it or pass it to read/write, and `end` it. The interceptor and `wrap` do this. */
  begin(method: string, id?: string): MonitoredRequest {
    this.counts.requests++;
    const m = this.methodCounts(method);
    m.requests++;
    m.inFlight++;
    return {
      id: id && id.length <= 128 ? id : `r${this.nextId++}`,
      seq: this.nextSeq++,
      method,
      startMicros: nowMicros(),
      endMicros: undefined,
      status: undefined,
      // Made at the first read and the first write: a request that never reads (an atomic increment) allocates no
      // map, and everything a request holds while in flight is garbage the server collects.
      reads: NO_READS,
      writes: NO_WRITES,
    };
  }

  /** Runs `fn` with `request` as the current request (its async continuations included). */
  run<T>(request: MonitoredRequest, fn: () => T): T {
    return this.context.run(request, fn);
  }

  end(request: MonitoredRequest, status: number): void {
    if (request.endMicros !== undefined) return;
    request.endMicros = nowMicros();
    request.status = status;
    this.methodCounts(request.method).inFlight--;
    this.online?.end(request, request.endMicros);
    if (this.keepRequests > 0) {
      this.completed.push(request);
      if (this.completed.length > this.keepRequests * 2) this.completed.splice(0, this.completed.length - this.keepRequests);
    }
  }

  /** A plain wrapper for handlers that are not grpc-js (HTTP, a queue consumer): each call is one request. */
  wrap<A extends unknown[], R>(method: string, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      const request = this.begin(method);
      try {
        const result = await this.run(request, () => handler(...args));
        this.end(request, 0);
        return result;
      } catch (e) {
        this.end(request, 2);
        throw e;
      }
    };
  }

  /** The current request read `key` at `version`. */
  read(key: string, version: number, request = this.current()): void {
    if (!request) {
      this.counts.untracked++;
      return;
    }
    if (request.reads.size < 1024 || request.reads.has(key)) {
      const own = request as { reads: ReadonlyMap<string, { version: number; atMicros: number }> };
      if (own.reads === NO_READS) own.reads = new Map();
      (own.reads as Map<string, { version: number; atMicros: number }>).set(key, { version, atMicros: nowMicros() });
    }
    const state = this.keyState(key);
    if (state.latest === undefined || version > state.latest) {
      // Versions written where the monitor could not see (another process) are taken to be on the chain.
      const latest = state.latest === undefined ? undefined : state.versions.get(state.latest);
      this.setVersion(state, version, { depth: latest ? latest.depth + (version - state.latest!) : 0, writer: undefined, writerSeq: undefined });
    }
  }

  /**
   * The current request wrote `key`; `version` is the version it wrote, when the store says (it also enables the
   * check that versions only move forward). The write is based on the last version of `key` this request read.
   */
  write(key: string, version?: number, request = this.current()): void {
    if (!request) {
      this.counts.untracked++;
      return;
    }
    const at = nowMicros();
    const read = request.reads.get(key);
    // A request's own record stays small whatever its handler does (a loop of writes): the first 64 are kept.
    if (request.writes.length < 64) {
      const entry = { key, basedOn: read?.version, version, atMicros: at };
      if (request.writes === NO_WRITES) (request as { writes: MonitoredRequest['writes'] }).writes = [entry];
      else (request.writes as Array<typeof entry>).push(entry);
    }
    const state = this.keyState(key);
    const latestVersion = state.latest;
    const latest = latestVersion === undefined ? undefined : state.versions.get(latestVersion);
    const base = read ? state.versions.get(read.version) : undefined;
    const writer: WriterInfo = { id: request.id, method: request.method, readVersion: read?.version, readMicros: read?.atMicros, writeMicros: at };
    const written = version ?? (latestVersion !== undefined ? latestVersion + 1 : read ? read.version + 1 : 1);
    if (base && latest && latest.depth > base.depth && latest.writer && latest.writerSeq !== request.seq) {
      request.overwrote = latest.writer.id;
      this.flag({ kind: 'lost-update', key, lost: latest.depth - base.depth, overwrittenVersion: latestVersion!, first: latest.writer, second: writer });
    }
    // Based on what it read, or (an atomic update, or a base long forgotten) on everything before it.
    const depth = (base ?? latest)?.depth ?? -1;
    this.setVersion(state, written, { depth: depth + 1, writer, writerSeq: request.seq });
    if (version !== undefined) {
      if (version < state.highestWritten) {
        this.flag({ kind: 'version-regression', key, request: request.id, method: request.method, version, highestSeen: state.highestWritten, atMicros: at });
      } else state.highestWritten = version;
    }
  }

  /**
   * `key` moved to state `to` (from its last known state, or `from` when the caller knows it). A transition the
   * key class's state machine does not allow is flagged; the key takes state `to` either way.
   */
  transition(key: string, to: string, from?: string, request = this.current()): void {
    const machine = this.machines[this.keyClassOf(key)];
    const state = this.keyState(key);
    const previous = from ?? state.state ?? machine?.initial;
    state.state = to;
    if (!machine || previous === undefined) return;
    if (!(machine.allowed[previous] ?? []).includes(to)) {
      this.flag({ kind: 'illegal-transition', key, request: request?.id, method: request?.method ?? 'none', from: previous, to, atMicros: nowMicros() });
    }
  }

  /** The key class `key` is counted under in the metrics' `key_class` label (`keyClass`, else its prefix). */
  keyClass(key: string): string {
    return this.keyClassOf(key);
  }

  /** The Prometheus exposition text of this monitor's registry. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  private methodCounts(method: string): MethodCounts {
    let m = this.perMethod.get(method);
    if (!m) {
      // Methods come from the service definition, a bounded set; names beyond 1000 share the label `other`.
      const label = this.perMethod.size < MAX_METHODS ? method : 'other';
      m = this.perMethod.get(label) ?? { requests: 0, inFlight: 0 };
      this.perMethod.set(label, m);
    }
    return m;
  }

  private keyState(key: string): KeyState {
    let state = this.keys.get(key);
    if (state) {
      // Least recently used first: touching a key moves it to the end (where the last key touched already is).
      if (key !== this.lastKey) {
        this.keys.delete(key);
        this.keys.set(key, state);
        this.lastKey = key;
      }
      return state;
    }
    state = { highestWritten: -Infinity, latest: undefined, versions: new Map(), state: undefined };
    this.keys.set(key, state);
    this.lastKey = key;
    if (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    return state;
  }

  private setVersion(state: KeyState, version: number, info: VersionInfo): void {
    state.versions.delete(version);
    state.versions.set(version, info);
    if (state.versions.size > this.versionsPerKey) state.versions.delete(state.versions.keys().next().value!);
    if (state.latest === undefined || version > state.latest) state.latest = version;
  }

  private classLabel(key: string): string {
    const cls = this.keyClassOf(key);
    if (this.classes.has(cls)) return cls;
    if (this.classes.size >= MAX_KEY_CLASSES) return 'other';
    this.classes.add(cls);
    return cls;
  }

  private flag(suspect: Suspect): void {
    this.suspects.push(suspect);
    if (this.suspects.length > this.maxKeys * 2) this.suspects.splice(0, this.suspects.length - this.maxKeys);
    const keyClass = this.classLabel(suspect.key);
    if (suspect.kind === 'lost-update') {
      this.counts.suspectedLostUpdates += suspect.lost;
      this.metrics.lostUpdates.inc({ method: suspect.second.method, key_class: keyClass }, suspect.lost);
      this.logger?.warn(
        {
          ...(this.name !== undefined ? { monitor: this.name } : {}),
          suspect: 'lost-update',
          key: suspect.key,
          lost: suspect.lost,
          first: side(suspect.first, suspect.overwrittenVersion),
          second: side(suspect.second, undefined),
        },
        suspect.first.readVersion === suspect.second.readVersion
          ? `suspected lost update on ${suspect.key}: requests ${suspect.first.id} and ${suspect.second.id} both read version ${suspect.second.readVersion} and both wrote it`
          : `suspected lost update on ${suspect.key}: request ${suspect.second.id} read version ${suspect.second.readVersion} and wrote over ${plural(suspect.lost, 'later update')} (the latest by request ${suspect.first.id}, version ${suspect.overwrittenVersion})`,
      );
    } else if (suspect.kind === 'version-regression') {
      this.counts.versionRegressions++;
      this.metrics.regressions.inc({ method: suspect.method, key_class: keyClass });
      this.logger?.warn(
        { ...(this.name !== undefined ? { monitor: this.name } : {}), suspect: 'version-regression', key: suspect.key, request: suspect.request, method: suspect.method, version: suspect.version, highestSeen: suspect.highestSeen, at: isoOf(suspect.atMicros) },
        `version of ${suspect.key} moved backwards: request ${suspect.request} wrote version ${suspect.version} after version ${suspect.highestSeen}`,
      );
    } else {
      this.counts.illegalTransitions++;
      this.metrics.transitions.inc({ method: suspect.method, key_class: keyClass });
      this.logger?.warn(
        { ...(this.name !== undefined ? { monitor: this.name } : {}), suspect: 'illegal-transition', key: suspect.key, request: suspect.request, method: suspect.method, from: suspect.from, to: suspect.to, at: isoOf(suspect.atMicros) },
        `illegal transition of ${suspect.key}: ${suspect.from} -> ${suspect.to}${suspect.request ? ` by request ${suspect.request}` : ''}`,
      );
    }
  }
}

function side(w: WriterInfo, wroteVersion: number | undefined): Record<string, unknown> {
  return {
    request: w.id,
    method: w.method,
    ...(w.readVersion !== undefined ? { readVersion: w.readVersion } : {}),
    ...(wroteVersion !== undefined ? { wroteVersion } : {}),
    ...(w.readMicros !== undefined ? { readAt: isoOf(w.readMicros) } : {}),
    wroteAt: isoOf(w.writeMicros),
  };
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RacelabError('BAD_OPTION', `raceMonitor: ${name} must be a positive integer, got ${n}`);
  return n;
}

// Monotonic microseconds to wall-clock ISO time, for log lines a person matches against other logs.
const wallOffsetMicros = Date.now() * 1000 - nowMicros();
function isoOf(micros: number): string {
  return new Date((micros + wallOffsetMicros) / 1000).toISOString();
}

/** A race monitor for a live service; add `grpcInterceptor(monitor)` to a grpc-js server, or `monitor.wrap` a handler. */
export function raceMonitor(options?: RaceMonitorOptions): RaceMonitor {
  return new RaceMonitor(options);
}
