import { builtinProtoPath, loadProto, serviceDefinition, type LoadedProto } from '../../grpc/proto.js';
import { startGrpcServer, type RunningServer } from '../../grpc/server.js';
import type { Scheduler } from '../../sched/scheduler.js';
import * as grpc from '@grpc/grpc-js';
import { isRacelabError } from '../../core/errors.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import type { GetValueResponse } from '../../generated/GetValueResponse.js';
import type { IncrementResponse } from '../../generated/IncrementResponse.js';
import type { RaceMonitor } from '../../monitor/monitor.js';
import { grpcInterceptor } from '../../monitor/interceptor.js';
import { monitoredStore } from '../../monitor/monitored-store.js';
import { counterVariant } from './registry.js';
import type { CounterLockOptions, CounterService, CounterVariant } from './variants.js';

let counterProto: LoadedProto | undefined;
/** The seed's Counter service, loaded once from racelab's proto/counter.proto. */
export function loadCounterProto(): LoadedProto {
  counterProto ??= loadProto(builtinProtoPath('counter.proto'));
  return counterProto;
}

export interface CounterServerOptions {
  variant: string;
  port?: number;
  host?: string;
  delayMs?: number;
  maxConcurrency?: number;
  /** A store to use (the caller keeps ownership), or a `--store` spec to open (closed with the server). */
  store?: Store | string;
  scheduler?: Scheduler;
  /** Lock TTL and simulated holder pause, for the distributed-lock variants. */
  lock?: CounterLockOptions;
  /**
   * A race monitor to watch the handlers: every call is a monitored request, and the store the variant gets
   * reports its reads and writes (not for the variants that need a specific store: they reach past the port).
   */
  monitor?: RaceMonitor;
}

export interface CounterServer extends RunningServer {
  readonly variant: CounterVariant;
  readonly service: CounterService;
  readonly store: Store;
}

/**
 * A handler's store failure that the store can say as its fix (a Redis right removed in the middle of a run) goes
 * to the caller as PERMISSION_DENIED with that one line (and the error's fields in a trailer, src/grpc/timing.ts), so a
 * client or a demo can stop and print it instead of counting failed calls; any other failure goes as it was.
 */
async function explained<T>(store: Store, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const said = store.explainFailure ? await store.explainFailure(e) : e;
    if (said !== e && isRacelabError(said)) throw Object.assign(new Error(said.message, { cause: said }), { code: grpc.status.PERMISSION_DENIED, details: said.message });
    throw e;
  }
}

/**
 * Starts the seed's Counter service with one variant's handlers. `racelab serve`, the demos and the tests all
 * start servers through this one helper.
 */
export async function startCounterServer(options: CounterServerOptions): Promise<CounterServer> {
  const variant = counterVariant(options.variant);
  const ownsStore = typeof options.store !== 'object';
  const store = typeof options.store === 'object' ? options.store : await openStore(options.store);
  let service: CounterService;
  try {
    service = variant.make({ store, delayMs: options.delayMs ?? 500, ...(options.scheduler ? { scheduler: options.scheduler } : {}), ...(options.lock ? { lock: options.lock } : {}) });
  } catch (e) {
    // A variant refuses a store it cannot work with (pg-* on Redis): do not leave the store's connections open.
    if (ownsStore) await store.close();
    throw e;
  }
  // The store one call goes through: with a monitor, a view that reports to the call's request (the variants that
  // need a specific store reach past the port, so the monitor cannot see their reads and writes).
  const monitor = options.monitor;
  const seen = monitor && !variant.requires ? (metadata: grpc.Metadata) => monitoredStore(store, monitor, monitor.requestOf(metadata)) : () => undefined;
  const proto = loadCounterProto();
  let server: RunningServer;
  try {
    server = await startGrpcServer({
      host: options.host ?? 'localhost',
      port: options.port ?? 0,
      maxConcurrency: options.maxConcurrency ?? 10,
      reflection: proto.packageDefinition,
      // Each call names its request to the store it goes through, rather than the monitor finding it in an async
      // context: on Node 20 an AsyncLocalStorage in use puts a hook on every promise the process makes, most of
      // the monitor's cost (`npm run bench -- monitor`).
      ...(monitor ? { interceptors: [grpcInterceptor(monitor, { asyncContext: false })] } : {}),
      services: [
        {
          definition: serviceDefinition(proto, 'Counter'),
          handlers: {
            Increment: async (_, metadata): Promise<IncrementResponse> => {
              await explained(store, () => service.increment(seen(metadata)));
              return {};
            },
            GetValue: async (_, metadata): Promise<GetValueResponse> => ({ value: await explained(store, () => service.getValue(seen(metadata))) }),
          },
        },
      ],
    });
  } catch (e) {
    if (ownsStore) await store.close();
    throw e;
  }
  return {
    ...server,
    variant,
    service,
    store,
    async close(graceMs?: number) {
      await server.close(graceMs);
      if (ownsStore) await store.close();
    },
  };
}
