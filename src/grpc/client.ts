import * as grpc from '@grpc/grpc-js';
import { RacelabError } from '../core/errors.js';
import { HANDLER_START_TRAILER } from './timing.js';

const TARGET = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Validates `host:port` (IPv6 in brackets); the error says what a target looks like. */
export function parseTarget(text: string, what = 'target'): string {
  // A caller from JavaScript (or an options object built at run time) may give none: bad input, not a TypeError.
  if (typeof text !== 'string') throw new RacelabError('BAD_OPTION', 'no address given; write host:port, e.g. localhost:50051 or [::1]:50051', { subject: what });
  const m = TARGET.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new RacelabError('BAD_OPTION', `"${text}" is not host:port; write e.g. localhost:50051 or [::1]:50051`, { subject: what });
  }
  return text.trim();
}

/** Waits until the channel is connected; an address where nothing answers is bad input, not a hang. */
export async function waitReady(client: grpc.Client, target: string, timeoutMs = 5000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    client.waitForReady(Date.now() + timeoutMs, (err) => {
      if (!err) return resolve();
      reject(
        new RacelabError('UNREACHABLE', `nothing answers gRPC at ${target} (waited ${timeoutMs}ms); start a server there or check host and port`, {
          subject: 'target',
        }),
      );
    });
  });
}

export interface UnaryResult<Res> {
  readonly response?: Res;
  readonly error?: grpc.ServiceError;
  /** Server-side handler start (µs), when the server is racelab's. */
  readonly handlerStartMicros?: number;
}

/** Calls a unary method and resolves with the outcome as data: a gRPC error is a result, not a throw. */
export function callUnary<Req, Res>(
  client: grpc.Client,
  method: string,
  request: Req,
  options: { deadlineMs?: number; metadata?: grpc.Metadata } = {},
): Promise<UnaryResult<Res>> {
  const fn = (client as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new RacelabError('UNKNOWN_METHOD', `the service has no method ${method}`);
  return new Promise((resolve) => {
    // grpc-js calls back before it emits the call's status, whose metadata holds an OK call's trailers (a failed
    // call's error carries them): an OK result waits for the status, whichever comes first.
    let ok: { response: Res } | undefined;
    let trailer: grpc.Metadata | undefined;
    const settle = (result: { error: grpc.ServiceError } | { response: Res }, t: grpc.Metadata | undefined): void => {
      const start = t?.get(HANDLER_START_TRAILER)[0];
      resolve({ ...result, ...(start !== undefined ? { handlerStartMicros: Number(start) } : {}) });
    };
    const callOptions: grpc.CallOptions = options.deadlineMs ? { deadline: Date.now() + options.deadlineMs } : {};
    const call = (fn as (...args: unknown[]) => grpc.ClientUnaryCall).call(
      client,
      request,
      options.metadata ?? new grpc.Metadata(),
      callOptions,
      (error: grpc.ServiceError | null, response?: Res) => {
        if (error) settle({ error }, error.metadata);
        else if (trailer !== undefined) settle({ response: response as Res }, trailer);
        else ok = { response: response as Res };
      },
    );
    call.on('status', (status: grpc.StatusObject) => {
      trailer = status.metadata;
      if (ok !== undefined) settle(ok, trailer);
    });
  });
}
