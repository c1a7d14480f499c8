import { builtinProtoPath, loadProto, serviceDefinition, type LoadedProto } from '../../grpc/proto.js';
import { startGrpcServer, type RunningServer } from '../../grpc/server.js';
import type { Scheduler } from '../../sched/scheduler.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { impactScenario } from './registry.js';
import { checkScenarioStore, scenarioVariant, type HostedService, type ImpactScenario } from './scenario.js';

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
}

export interface ScenarioServer extends RunningServer {
  readonly scenario: ImpactScenario;
  readonly variant: string;
  readonly service: HostedService;
  readonly store: Store;
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
  const variant = scenarioVariant(scenario.name, scenario.variants, options.variant);
  if (typeof options.store !== 'object') checkScenarioStore(scenario.name, variant, options.store);
  const ownsStore = typeof options.store !== 'object';
  const store = typeof options.store === 'object' ? options.store : await openStore(options.store);
  let service: HostedService | undefined;
  try {
    await scenario.open(store);
    service = scenario.host(variant.name, { store, delayMs: options.delayMs ?? 50, ...(options.scheduler ? { scheduler: options.scheduler } : {}) });
    const proto = loadScenarioProto(scenario);
    const server = await startGrpcServer({
      host: options.host ?? 'localhost',
      port: options.port ?? 0,
      maxConcurrency: options.maxConcurrency ?? 100,
      reflection: proto.packageDefinition,
      services: [{ definition: serviceDefinition(proto, scenario.service), handlers: service.handlers }],
    });
    const hosted = service;
    return {
      ...server,
      scenario,
      variant: variant.name,
      service: hosted,
      store,
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
