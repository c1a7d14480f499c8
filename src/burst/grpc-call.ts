import * as grpc from '@grpc/grpc-js';
import { nowMicros } from '../core/clock.js';
import { channelCredentials, channelOptions, toGrpcMetadata } from '../grpc/transport.js';
import { HANDLER_START_TRAILER } from '../grpc/timing.js';
import type { BurstCall, CallOutcome } from './call.js';
import type { BurstTransport } from './sync-policy.js';

const identity = (b: Buffer): Buffer => b;

/** A grpc-js channel to the target; `separateConnection` keeps it off the shared subchannel pool. */
export function openChannel(transport: BurstTransport, separateConnection: boolean): grpc.Client {
  return new grpc.Client(transport.target, channelCredentials(transport), channelOptions(transport, separateConnection));
}

/** Connects a channel now, so that connecting is not part of a burst. */
export function connectChannel(client: grpc.Client, transport: BurstTransport): Promise<void> {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + transport.connectTimeoutMs, (err) => (err ? reject(err) : resolve()));
  });
}

function handlerStart(md: grpc.Metadata | undefined): number | undefined {
  const v = md?.get(HANDLER_START_TRAILER)[0];
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Issues one unary call with pre-encoded bytes and resolves with its outcome. `sentMicros` is when the call
 * was handed to grpc-js; grpc-js writes it to the socket on a later turn of the event loop.
 */
export function sendUnary(client: grpc.Client, call: BurstCall, transport: BurstTransport, metadata?: grpc.Metadata): Promise<CallOutcome> {
  return new Promise((resolve) => {
    let response: Buffer | undefined;
    const sentMicros = nowMicros();
    const c = client.makeUnaryRequest<Buffer, Buffer>(
      call.path,
      identity,
      identity,
      call.request,
      metadata ?? toGrpcMetadata(transport.metadata),
      { deadline: Date.now() + transport.deadlineMs },
      (_err, res) => {
        response = res;
      },
    );
    c.on('status', (status: grpc.StatusObject) => {
      const start = handlerStart(status.metadata);
      resolve({
        index: call.index,
        client: call.client,
        path: call.path,
        sentMicros,
        doneMicros: nowMicros(),
        code: status.code,
        details: status.details,
        ...(status.code === grpc.status.OK && response ? { response } : {}),
        ...(start !== undefined ? { handlerStartMicros: start } : {}),
      });
    });
  });
}
