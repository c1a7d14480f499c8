import { RacelabError } from '../../core/errors.js';
import type { ServerRef } from '../../actor/gen-server.js';
import type { AttackScenario } from '../../attack/builtins.js';
import type { Workload } from '../../explore/workload.js';
import type { UnaryHandler } from '../../grpc/server.js';
import { Mutex } from '../../sched/mutex.js';
import type { Scheduler } from '../../sched/scheduler.js';
import { storeKind } from '../../store/open.js';
import type { Store } from '../../store/store.js';

/*
 * An impact scenario: one of the seed's costs of a race (money created, units oversold, …) as a gRPC service.
 * Each is a .proto (proto/<name>.proto, package racelab.<name>.v1), variants written once against the ports,
 * a sequential model for `racelab check`, an invariant in business terms, an explore workload and the
 * attack's built-in check. The registry (registry.ts) lists them explicitly.
 */

export type StoreKindName = 'postgres' | 'redis';

export interface ScenarioVariant<Ports, Service> {
  readonly name: string;
  /** One sentence: what the variant does and why it is (or is not) safe. */
  readonly summary: string;
  /** False for the vulnerable forms (a race, or a deadlock). */
  readonly safe: boolean;
  /** The store it needs, when it uses operations only that store has. */
  readonly requires?: StoreKindName;
  /** Its service runs tasks of its own (actors) that an explored run must stop once the clients are done. */
  readonly spawnsProcesses?: boolean;
  make(ports: Ports): Service;
}

/** The ports a server host gives every scenario. */
export interface HostPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  readonly delayMs: number;
}

/** A running service of one variant, as the gRPC host sees it. */
export interface HostedService {
  /** The handlers of the scenario's one gRPC service, by method name. */
  readonly handlers: Record<string, UnaryHandler<never, unknown>>;
  readonly stats: object;
  /** For a service whose state lives in a supervised process: its crashes so far and whether its supervisor gave up. */
  readonly supervision?: () => SupervisedStats;
  close(): Promise<void>;
}

export interface SupervisedStats {
  readonly crashes: number;
  /** The supervisor's restart intensity was exceeded: it gave up and the service is down. */
  readonly gaveUp: boolean;
}

export interface ExploreOptions {
  readonly variant: string;
  readonly clients?: number;
  readonly delayMs?: number;
}

export interface ImpactScenario {
  readonly name: string;
  readonly title: string;
  /** The invariant, in business terms. */
  readonly invariant: string;
  /** File name in proto/. */
  readonly protoFile: string;
  /** Full service name: racelab.<name>.v1.<Service>. */
  readonly service: string;
  readonly variants: ReadonlyArray<ScenarioVariant<never, unknown>>;
  /**
   * Variants served (`racelab serve`) and explored by name, but kept out of `variants`: their race is not the one
   * the scenario's built-in attack bursts (session's crash form: a double End crashes the process that holds the
   * table), so the burst hosts (the demo's rows, attacks, replicas) do not run them; `availability` measures them.
   * Their state lives in one server process: no store, no replicas.
   */
  readonly availabilityVariants?: ReadonlyArray<ScenarioVariant<never, unknown>>;
  /** The built-in model's name for `racelab check --model`, when there is one. */
  readonly model?: string;
  /** Creates the scenario's opening state in a shared store, if it is not there yet (safe for replicas). */
  open(store: Store): Promise<void>;
  /** Starts one variant's service behind the scenario's gRPC handlers. */
  host(variant: string, ports: HostPorts): HostedService;
  /** The explorer's workload for a variant. */
  workload(options: ExploreOptions): Workload;
  /** The attack's built-in check (default calls with their data, before/after reads, invariant). */
  readonly attack: ImpactAttack;
  /**
   * The invariant judged in code, with the impact in the scenario's own units: from the `before` and `after`
   * responses of the attack's reads and the number of calls of each method (short name) that were accepted.
   */
  impact(before: unknown, after: unknown, accepted: Readonly<Record<string, number>>): ImpactMeasure;
  /** Its invariant is observed inside one server process: refuse --replicas rather than judge wrongly. */
  readonly singleProcess?: boolean;
  /** When set, `demo impacts` also attacks the vulnerable variant this many rounds in each sync mode (detection rate). */
  readonly detectionRounds?: number;
  /**
   * When set, `demo impacts` serves each of `availabilityVariants` on loopback and measures, over gRPC, the calls
   * answered before, during and after a burst that can crash the process holding the state: the
   * denial-of-service form of the scenario.
   */
  readonly availability?: { measure(target: string): Promise<AvailabilityPhases> };
}

export interface CallsAnswered {
  readonly calls: number;
  readonly answered: number;
}

/** Calls answered before, during and after a burst, as a client saw them. */
export interface AvailabilityPhases {
  readonly before: CallsAnswered;
  readonly during: CallsAnswered;
  readonly after: CallsAnswered;
  /** What the service answered to a call of the last phase it did not answer (UNAVAILABLE's details). */
  readonly afterRefusal?: string;
}

/** Availability of one variant (vulnerable or fixed) of a crash-prone service, with what its supervisor saw. */
export interface ImpactAvailability extends AvailabilityPhases, SupervisedStats {
  /** The variant's name. */
  readonly form: string;
}

/** What a burst cost, in the scenario's units (money created, units oversold, …). */
export interface ImpactMeasure {
  readonly violated: boolean;
  /** How much, in `unit`; 0 when the invariant holds. */
  readonly amount: number;
  /** e.g. `money created` */
  readonly unit: string;
  /** One sentence with the numbers. */
  readonly detail: string;
}

/**
 * The attack's built-in check of a scenario: attack/builtins.ts' AttackScenario (which lists these), written once
 * there; its `initialFrom` turns the `before` read into the recorded history's initial value, in its model's terms.
 */
export type ImpactAttack = AttackScenario;

/**
 * `make(n)` when `v` is a whole number (int32/int64 read as proto3 JSON gives it, a number or a numeric string),
 * else undefined: a read that does not say leaves the history without an initial value (its model's unknown state).
 */
export function wholeOf(v: unknown, make: (n: number) => unknown): unknown {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? make(n) : undefined;
}

const STORE_NAMES = { postgres: 'PostgreSQL', redis: 'Redis' } as const;
const STORE_EXAMPLES = { postgres: 'postgres://postgres@127.0.0.1:5432/test', redis: 'redis://127.0.0.1:6379' } as const;

/** The named variant of a scenario; an unknown name is one line listing the ones there are. */
export function scenarioVariant<V extends { readonly name: string }>(scenario: string, variants: readonly V[], name: string): V {
  const v = variants.find((x) => x.name === name);
  if (!v) throw new RacelabError('UNKNOWN_VARIANT', `"${name}" is not a ${scenario} variant; use one of ${variants.map((x) => x.name).join(', ')}`, { subject: 'variant' });
  return v;
}

/** Every variant `racelab serve` runs: the scenario's variants, then its availability variants. */
export function servedVariants(scenario: ImpactScenario): ReadonlyArray<ScenarioVariant<never, unknown>> {
  return [...scenario.variants, ...(scenario.availabilityVariants ?? [])];
}

/**
 * The served variant of that name, checked against `storeSpec` and the replica count before anything starts: an
 * availability variant keeps its state in one server process, so it takes neither a store nor replicas.
 */
export function checkServedVariant(scenario: ImpactScenario, name: string, storeSpec: string | undefined, replicas = 1): ScenarioVariant<never, unknown> {
  const variant = scenarioVariant(scenario.name, servedVariants(scenario), name);
  checkScenarioStore(scenario.name, variant, storeSpec);
  if (scenario.availabilityVariants?.includes(variant)) {
    if (replicas > 1) throw new RacelabError('BAD_OPTION', `\`variant\` ${name} of ${scenario.name} keeps its state in one server process, which replicas cannot share; drop \`replicas\``, { subject: 'replicas' });
    const kind = storeKind(storeSpec);
    if (kind !== 'memory') throw new RacelabError('BAD_OPTION', `\`variant\` ${name} of ${scenario.name} keeps its state in the server process, not in a store, so \`store\` ${kind} would change nothing; drop \`store\``, { subject: 'store' });
  }
  return variant;
}

/** Fails fast, before a server or store is opened, when the variant needs another store than `storeSpec`. */
export function checkScenarioStore(scenario: string, variant: { readonly name: string; readonly requires?: StoreKindName }, storeSpec: string | undefined): void {
  const kind = storeKind(storeSpec);
  if (variant.requires && variant.requires !== kind) {
    throw new RacelabError(
      'BAD_OPTION',
      `${variant.name} of ${scenario} needs a ${STORE_NAMES[variant.requires]} store, but \`store\` is ${kind}; use \`store\` ${STORE_EXAMPLES[variant.requires]} or a variant for ${kind}`,
      { subject: 'variant' },
    );
  }
}

/** The store as the adapter a store-specific variant needs. */
export function storeOf<T extends Store>(variant: string, kind: StoreKindName, store: Store): T {
  if (store.kind !== kind) {
    throw new RacelabError('BAD_OPTION', `${variant} needs a ${STORE_NAMES[kind]} store, but \`store\` is ${store.kind}; use \`store\` ${STORE_EXAMPLES[kind]}`, { subject: 'variant' });
  }
  return store as T;
}

/** The variants the explorer can run: those that need no real store. */
export function explorableVariants(variants: ReadonlyArray<{ readonly name: string; readonly requires?: string }>): string[] {
  return variants.filter((v) => !v.requires).map((v) => v.name);
}

/** Explorer misuse of a variant: unknown, or one that needs a real store server the explorer cannot schedule. */
export function checkExplorable(scenario: string, variants: ReadonlyArray<{ readonly name: string; readonly requires?: string }>, name: string): void {
  const v = variants.find((x) => x.name === name);
  const ok = explorableVariants(variants).join(', ');
  if (!v) throw new RacelabError('UNKNOWN_VARIANT', `"${name}" is not a ${scenario} variant; use one of ${ok} (or on a real store: ${variants.filter((x) => x.requires).map((x) => x.name).join(', ')})`, { subject: 'variant' });
  if (v.requires) throw new RacelabError('UNKNOWN_VARIANT', `"${name}" needs a real ${v.requires} server, which the explorer cannot schedule; explore one of ${ok}, or run it with racelab serve --store`, { subject: 'variant' });
}

/** A gRPC error with a status code, as handlers throw it (`grpc.status` numbers, named where used). */
export function grpcError(code: number, details: string): Error & { code: number; details: string } {
  return Object.assign(new Error(details), { code, details });
}


/**
 * One actor per key, started on first use by `start` and named `name(key)`. A caller that finds another caller
 * starting the same actor waits through the scheduler: that promise is settled by another task, which the
 * explorer must know (an await on it would otherwise count as an escape).
 */
export function actorPerKey(scheduler: Scheduler, name: (key: string) => string, start: (key: string, name: string) => Promise<ServerRef>): (key: string) => Promise<ServerRef> {
  const actors = new Map<string, ServerRef>();
  const starting = new Map<string, Promise<ServerRef>>();
  return async (key) => {
    const ready = actors.get(key);
    if (ready) return ready;
    const pending = starting.get(key);
    // Resumed, the waiter only takes the started actor's ref: its wake touches nothing another task does.
    if (pending) return scheduler.waitFor(pending, `start of ${name(key)}`, `start of ${name(key)}`);
    const started = start(key, name(key));
    starting.set(key, started);
    const ref = await started;
    actors.set(key, ref);
    return ref;
  };
}

/**
 * One in-process mutex per key, made on first use and named `name(key)` (the explorer's traces show the name):
 * the in-process fix, exact in one server process and nothing to a replica in another.
 */
export function mutexPerKey(name: (key: string) => string, scheduler?: Scheduler): (key: string) => Mutex {
  const locks = new Map<string, Mutex>();
  return (key) => {
    let m = locks.get(key);
    if (!m) locks.set(key, (m = new Mutex(name(key), scheduler)));
    return m;
  };
}

/** The options of every impact scenario's explorer workload. */
export interface ScenarioWorkloadOptions {
  readonly variant: string;
  /** 1 to the length of the scenario's per-client plan; default 2. */
  readonly clients?: number;
  /** The work between check and write, in virtual ms; default 0 (every store operation is already a step). */
  readonly delayMs?: number;
}

/**
 * What every impact workload starts from: its variant (one the explorer can run), the client count (1 to the
 * length of the per-client plan) and the delay checked, one line naming the fix, and the plan's first `clients`
 * entries.
 */
export function scenarioWorkloadPlan<V extends { readonly name: string; readonly requires?: string }, P>(
  scenario: string,
  variants: readonly V[],
  options: ScenarioWorkloadOptions,
  perClient: readonly P[],
): { variant: V; clients: number; delayMs: number; plan: P[] } {
  checkExplorable(scenario, variants, options.variant);
  const variant = scenarioVariant(scenario, variants, options.variant);
  const clients = options.clients ?? 2;
  const delayMs = options.delayMs ?? 0;
  if (!Number.isInteger(clients) || clients < 1 || clients > perClient.length) throw new RacelabError('BAD_COUNT', `"${clients}" must be a whole number from 1 to ${perClient.length} for \`scenario\` ${scenario}`, { subject: 'clients' });
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RacelabError('BAD_DURATION', `"${delayMs}" must be a duration of 0 or more`, { subject: 'delayMs' });
  return { variant, clients, delayMs, plan: perClient.slice(0, clients) };
}

/**
 * Writes each key's opening value in a shared store only if it was never written (a compare-and-set on version
 * 0), so replicas starting at once, or a server restarted on the same store, never reset it.
 */
/**
 * Opens one thing a scenario serves at run time (a coupon code, a SKU): claims `claimKey` with `value` by
 * compare-and-set from never-written, so of two openings of one name only one wins, then writes `key` = `value`.
 * False when the name was opened before. A plain write made before the burst that uses it, raced neither against
 * itself nor against that burst: a call that came between the two writes finds 0 in `key` and is refused.
 */
export async function openOnce(store: Store, claimKey: string, key: string, value: number): Promise<boolean> {
  if (!(await store.compareAndSet(claimKey, 0, value))) return false;
  await store.set(key, value);
  return true;
}

export async function openKeysOnce(store: Store, opening: Readonly<Record<string, number>>): Promise<void> {
  for (const [key, value] of Object.entries(opening)) {
    const { version } = await store.read(key);
    if (version === 0) await store.compareAndSet(key, 0, value);
  }
}
