import { builtinProtoPath, loadProto, serviceDefinition, type LoadedProto } from '../../grpc/proto.js';
import { startGrpcServer, type RunningServer } from '../../grpc/server.js';
import { grpcInterceptor } from '../../monitor/interceptor.js';
import type { RaceMonitor } from '../../monitor/monitor.js';
import { monitoredStore } from '../../monitor/monitored-store.js';
import type { Scheduler } from '../../sched/scheduler.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { impactScenario } from './registry.js';
import { checkServedVariant, scenarioVariant, servedVariants, type HostedService, type ImpactScenario } from './scenario.js';

export interface ScenarioServerOptions {
  readonly scenario: string;
  readonly variant: string;
  readonly port?: number;
  readonly host?: string;
  /** The work between check and write, the race window; default 50 ms. */
  readonly delayMs?: number;
  readonly maxConcurrency?: number;
  /** A store to use (the caller keeps ownership), or a `--store` spec to open (closed with the server). */
  readonly store?: Store | string;
  readonly scheduler?: Scheduler;
  /**
   * A race monitor to watch the handlers: every call is a monitored request, and the variant's Store reports its
   * reads and writes. Not for variants that reach past the Store port (`requires` a store kind) or keep their
   * state elsewhere (an actor's memory): the monitor counts their requests and sees no write (`storeUse` says so).
   */
  readonly monitor?: RaceMonitor;
}

/** How a monitored server's handlers used the Store, so a report can tell "0 suspects" from "saw nothing". */
export interface StoreUse {
  /** Reads and writes the monitor was told of. */
  seen: number;
  /** Transactions: the store's own serializable unit, passed through unpaired. */
  transactions: number;
}

export interface ScenarioServer extends RunningServer {
  readonly scenario: ImpactScenario;
  readonly variant: string;
  readonly service: HostedService;
  readonly store: Store;
  /** With `monitor`: what of the Store the monitor could see. */
  readonly storeUse?: StoreUse;
}

const protos = new Map<string, LoadedProto>();
/** A scenario's proto, loaded once from racelab's proto/ folder. */
export function loadScenarioProto(scenario: ImpactScenario): LoadedProto {
  let p = protos.get(scenario.protoFile);
  if (!p) protos.set(scenario.protoFile, (p = loadProto(builtinProtoPath(scenario.protoFile))));
  return p;
}

/**
 * Starts an impact scenario's gRPC service with one variant's handlers and server reflection: `racelab serve
 * --scenario`, replicas, the demo and the tests all start it here. The scenario's opening state is created in
 * the store first, only where it is missing, so replicas sharing a store never reset each other.
 */
export async function startScenarioServer(options: ScenarioServerOptions): Promise<ScenarioServer> {
  const scenario = impactScenario(options.scenario);
  const variant = typeof options.store === 'object' ? scenarioVariant(scenario.name, servedVariants(scenario), options.variant) : checkServedVariant(scenario, options.variant, options.store);
  const ownsStore = typeof options.store !== 'object';
  const store = typeof options.store === 'object' ? options.store : await openStore(options.store);
  let service: HostedService | undefined;
  try {
    await scenario.open(store);
    const use: StoreUse = { seen: 0, transactions: 0 };
    const seen = options.monitor && !variant.requires ? counted(monitoredStore(store, options.monitor), use) : store;
    service = scenario.host(variant.name, { store: seen, delayMs: options.delayMs ?? 50, ...(options.scheduler ? { scheduler: options.scheduler } : {}) });
    const proto = loadScenarioProto(scenario);
    const server = await startGrpcServer({
      host: options.host ?? 'localhost',
      port: options.port ?? 0,
      maxConcurrency: options.maxConcurrency ?? 100,
      reflection: proto.packageDefinition,
      services: [{ definition: serviceDefinition(proto, scenario.service), handlers: service.handlers }],
      ...(options.monitor ? { interceptors: [grpcInterceptor(options.monitor)] } : {}),
    });
    const hosted = service;
    return {
      ...server,
      scenario,
      variant: variant.name,
      service: hosted,
      store,
      ...(options.monitor ? { storeUse: use } : {}),
      async close(graceMs?: number) {
        await server.close(graceMs);
        await hosted.close();
        if (ownsStore) await store.close();
      },
    };
  } catch (e) {
    await service?.close().catch(() => undefined);
    if (ownsStore) await store.close();
    throw e;
  }
}

/** Counts what the handlers pass through the (monitored) store; the opening state is written on the raw store, so it does not count. */
function counted(store: Store, use: StoreUse): Store {
  const tick = <T>(p: Promise<T>): Promise<T> => {
    use.seen++;
    return p;
  };
  return {
    kind: store.kind,
    description: store.description,
    get: (key) => tick(store.get(key)),
    read: (key) => tick(store.read(key)),
    set: (key, value) => tick(store.set(key, value)),
    compareAndSet: (key, expected, value) => tick(store.compareAndSet(key, expected, value)),
    increment: (key, by) => tick(store.increment(key, by)),
    transaction: (fn) => {
      use.transactions++;
      return store.transaction(fn);
    },
    reset: () => store.reset(),
    close: () => store.close(),
  };
}
