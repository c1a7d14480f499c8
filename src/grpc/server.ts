import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { PackageDefinition } from '@grpc/proto-loader';
import { nowMicros } from '../core/clock.js';
import { errorFields, messageOf } from '../core/errors.js';
import { listenError } from '../core/tcp.js';
import { tracer } from '../core/trace.js';
import { HANDLER_START_TRAILER, RACELAB_ERROR_TRAILER, SpanLog } from './timing.js';

const trace = tracer('grpc');

/** A unary handler written as an async function: expected outcomes are return values or gRPC errors. */
export type UnaryHandler<Req = unknown, Res = unknown> = (request: Req, metadata: grpc.Metadata) => Promise<Res>;

export interface ServiceBinding {
  readonly definition: grpc.ServiceDefinition;
  readonly handlers: Record<string, UnaryHandler<never, unknown>>;
}

export interface ServerOptions {
  /** Host to bind; `localhost` binds the loopback addresses only. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  services: ServiceBinding[];
  /** Package definitions to serve over server reflection (v1 and v1alpha). */
  reflection?: PackageDefinition;
  /** Handlers running at once, like the seed's ThreadPoolExecutor(max_workers=10); further calls queue. */
  maxConcurrency?: number;
  /** grpc-js server interceptors (a race monitor's), outermost first. */
  interceptors?: grpc.ServerInterceptor[];
}

export interface RunningServer {
  readonly port: number;
  readonly host: string;
  /** `host:port` a client can dial. */
  readonly target: string;
  readonly spans: SpanLog;
  /** Graceful: lets calls in flight finish for up to `graceMs`, then cancels the rest. */
  close(graceMs?: number): Promise<void>;
}

/** Limits handlers in flight; a queued call starts when one finishes (FIFO). */
class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

function toServiceError(e: unknown): grpc.ServiceError | Partial<grpc.StatusObject> {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'number') {
    return e as grpc.ServiceError;
  }
  return { code: grpc.status.INTERNAL, details: messageOf(e) };
}

/**
 * Starts a grpc-js server on loopback (or `host`) serving the given handlers. Every call is wrapped to record
 * its handler span and to send the handler's start time back as trailing metadata.
 */
export async function startGrpcServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? 'localhost';
  const spans = new SpanLog();
  const limiter = new Limiter(options.maxConcurrency ?? Number.MAX_SAFE_INTEGER);
  const server = new grpc.Server(options.interceptors?.length ? { interceptors: options.interceptors } : undefined);

  for (const { definition, handlers } of options.services) {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      const handler = handlers[name] ?? handlers[method.originalName ?? ''];
      if (!handler) continue;
      impl[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        void limiter.run(async () => {
          const span = spans.start(method.path);
          const trailer = new grpc.Metadata();
          trailer.set(HANDLER_START_TRAILER, String(span.startMicros));
          try {
            const response = await handler(call.request as never, call.metadata);
            span.ok = true;
            span.endMicros = nowMicros();
            callback(null, response, trailer);
          } catch (e) {
            span.endMicros = nowMicros();
            const err = toServiceError(e);
            const fields = errorFields((e as { cause?: unknown } | undefined)?.cause);
            if (fields.code !== undefined) trailer.set(RACELAB_ERROR_TRAILER, Buffer.from(JSON.stringify(fields)));
            trace(`${method.path} failed: ${err.details ?? ''}`);
            callback({ ...err, metadata: trailer }, null);
          }
        });
      }) as grpc.UntypedHandleCall;
    }
    server.addService(definition, impl);
  }
  if (options.reflection) new ReflectionService(options.reflection).addToServer(server);

  const requested = options.port ?? 0;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${requested}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(err);
      else resolve(bound);
    });
  }).catch((e: unknown) => {
    server.forceShutdown();
    throw listenError(e, host, requested, { port: 'port', host: 'host' });
  });
  trace(`listening on ${host}:${port}`);

  let closed: Promise<void> | undefined;
  return {
    port,
    host,
    target: `${host}:${port}`,
    spans,
    close(graceMs = 2000) {
      closed ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closed;
    },
  };
}
