import * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { nowMicros } from '../core/clock.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { status } from '../grpc/status.js';
import { HANDLER_START_TRAILER } from '../grpc/timing.js';
import { splitTarget } from '../grpc/transport.js';
import type { CallOutcome } from './call.js';
import type { BurstTransport } from './sync-policy.js';

/**
 * A gRPC unary call over Node's http2, framed by hand (the wire format of the gRPC-over-HTTP2 spec): the
 * last-frame burst's calls, and what it shares with the flood's own HTTP/2 client (h2-wire.ts): headers, the
 * message frame, the status of a response without grpc-status. grpc-js does the same work with far more
 * bookkeeping per call; here a call is one request HEADERS frame, one DATA frame and a few listeners.
 */

/** One HTTP/2 connection to the target and the first error it met (the reason later calls fail). */
export interface H2Connection {
  readonly session: http2.ClientHttp2Session;
  /** What the session runs over (kept: session.socket is a proxy that may not be destroyed). */
  readonly socket: Duplex;
  failure?: Error;
}

/** The `:authority` calls carry: the TLS server name when one is given (what grpc-js sends as default authority). */
export function authorityOf(transport: BurstTransport): string {
  const { host, port } = splitTarget(transport.target);
  return transport.tls?.serverName ?? `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Starts an HTTP/2 session over a connected socket (plain TCP, TLS with ALPN h2, or a tap over either: TLS, when
 * on, is below it, so http2 speaks plain frames to `socket`), and waits for the server's SETTINGS so that its
 * limits (MAX_CONCURRENT_STREAMS) are known before any call.
 */
export async function startSession(transport: BurstTransport, socket: Duplex): Promise<{ conn: H2Connection; settings: http2.Settings }> {
  const session = http2.connect(`http://${authorityOf(transport)}`, { createConnection: () => socket, settings: { enablePush: false } });
  const conn: H2Connection = { session, socket };
  session.on('error', (e) => {
    conn.failure = e;
  });
  session.on('goaway', (code) => {
    conn.failure ??= new Error(`the server sent GOAWAY (code ${code})`);
  });
  // A TLS server that wants a client certificate finishes the TLS 1.3 handshake and then sends an alert: the
  // socket errors at once, but neither it nor the session closes (measured: not until destroyed), so the error
  // itself ends the wait, not the close.
  let onSocketError: (e: Error) => void = () => undefined;
  socket.on('error', (e: Error) => onSocketError(e));
  const settings = await new Promise<http2.Settings>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no HTTP/2 SETTINGS from ${transport.target} within ${transport.connectTimeoutMs}ms`)), transport.connectTimeoutMs);
    const failed = (e?: Error): void => {
      clearTimeout(timer);
      reject(e ?? conn.failure ?? new Error('the server closed the connection before its SETTINGS'));
    };
    const closed = (): void => failed();
    onSocketError = failed;
    session.once('remoteSettings', (s) => {
      clearTimeout(timer);
      socket.off('close', closed);
      onSocketError = () => undefined;
      resolve(s);
    });
    session.once('close', closed);
    socket.once('close', closed);
  }).catch((e: unknown) => {
    session.destroy();
    // destroy() only ends the socket and waits for the server's FIN, which a server that rejected us never sends.
    socket.destroy();
    const msg = messageOf(e);
    if (transport.tls && /alert|certificate/i.test(msg)) {
      const reason = /SSL routines:[^:]*:([^:]+)/.exec(msg)?.[1] ?? msg;
      throw new RacelabError('TLS', `the TLS server at ${transport.target} refused the connection (${reason}); if it wants a client certificate, pass \`cert\` and \`key\``, { subject: 'tls' });
    }
    throw new RacelabError('NOT_GRPC', `${transport.target} did not start an HTTP/2 session (${msg}); is it a gRPC server, and is TLS set the same way on both sides?`, { subject: 'target' });
  });
  return { conn, settings };
}

/**
 * Closes a session gracefully (in-flight streams finish, the server sees GOAWAY), and destroys it and its socket
 * if that takes longer than `graceMs`: a destroyed session only ends its socket and waits for the server's FIN.
 */
export function closeSession(conn: H2Connection, graceMs = 1000): Promise<void> {
  const { session, socket } = conn;
  return new Promise((resolve) => {
    if (session.destroyed) {
      socket.destroy();
      return resolve();
    }
    const timer = setTimeout(() => {
      session.destroy();
      socket.destroy();
      resolve();
    }, graceMs);
    session.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The request headers of a unary call to `path`, as pairs, pseudo-headers first: the gRPC spec's required ones,
 * the deadline as grpc-timeout (so the server gives up too), and the user's metadata, a repeated key repeated.
 * `-bin` values are already base64 (parseMetadata), which is what goes on the wire.
 */
export function requestHeaderPairs(transport: BurstTransport, path: string, userAgent: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [
    [':method', 'POST'],
    [':scheme', transport.tls ? 'https' : 'http'],
    [':path', path],
    [':authority', authorityOf(transport)],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['grpc-timeout', `${Math.max(1, Math.round(transport.deadlineMs))}m`],
    ['user-agent', userAgent],
  ];
  for (const [k, v] of transport.metadata) pairs.push([k, v]);
  return pairs;
}

/** The same headers for node:http2 (a repeated key as an array). Built once per path and reused: http2 copies them into each HEADERS frame. */
export function requestHeaders(transport: BurstTransport, path: string, userAgent: string): http2.OutgoingHttpHeaders {
  const headers: http2.OutgoingHttpHeaders = {};
  for (const [k, v] of requestHeaderPairs(transport, path, userAgent)) {
    const prev = headers[k];
    headers[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [String(prev)]), v];
  }
  return headers;
}

/** The 5-byte length-prefixed message: compressed flag 0, big-endian length, the message. */
export function grpcFrame(message: Buffer): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

function firstMessage(data: Buffer): Buffer | undefined {
  if (data.length < 5) return undefined;
  const len = data.readUInt32BE(1);
  return data.subarray(5, 5 + len);
}

/** grpc-message is percent-encoded (the spec); a server that sends it raw is shown as sent. */
export function decodeGrpcMessage(v: string | undefined): string {
  if (!v) return '';
  // Percent-encoded only where it needs to be (the gRPC spec): most messages, `OK` among them, have no `%`.
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function headerString(h: http2.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The gRPC status of a response that carried no grpc-status, from its HTTP status, as grpc's
 * doc/http-grpc-status-mapping.md says (and grpc-js does): a proxy or a plain HTTP server answered. 200 without
 * grpc-status is UNKNOWN. What each code says about the call's effect is src/grpc/status.ts's to decide.
 */
export function grpcStatusOfHttp(httpStatus: number): status {
  switch (httpStatus) {
    case 400:
      return status.INTERNAL;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return status.UNAVAILABLE;
    default:
      return status.UNKNOWN;
  }
}

/** What a unary call came back with, without when it was sent (the caller knows that). */
export type UnaryResult = Omit<CallOutcome, 'sentMicros' | 'index' | 'client' | 'path'>;

export interface ReadResponseOptions {
  /** The call's deadline: the stream is cancelled and reported DEADLINE_EXCEEDED when it passes (plus `graceMs`). */
  readonly deadlineMs: number;
  /** Extra wait past the deadline, for a caller that leaves the deadline to the server (it was sent grpc-timeout). */
  readonly graceMs?: number;
  /** For the message of a stream that closed with no response: the connection's failure, when it has one. */
  readonly conn?: H2Connection;
}

/**
 * Reads a unary call's response (headers, DATA, trailers, or a trailers-only response) off its stream and calls
 * `done` once, when the stream closes. A gRPC error is a result, never a throw: grpc-status when the server sent
 * one; else the HTTP status mapped; else (no response at all: the stream was reset or the connection died)
 * UNAVAILABLE, since nobody knows whether the request reached a handler.
 */
export function readUnaryResponse(stream: http2.ClientHttp2Stream, o: ReadResponseOptions, done: (r: UnaryResult) => void): void {
  const chunks: Buffer[] = [];
  let code: number | undefined;
  let httpStatus: number | undefined;
  let details = '';
  let start: number | undefined;
  let deadlineHit = false;
  const readStatus = (h: http2.IncomingHttpHeaders): void => {
    const s = headerString(h, 'grpc-status');
    if (s !== undefined) {
      // A grpc-status that is not a number is the server's error: UNKNOWN, as grpc-js reports it.
      const n = Number(s);
      code = Number.isInteger(n) && n >= 0 ? n : status.UNKNOWN;
      details = decodeGrpcMessage(headerString(h, 'grpc-message'));
    }
    const t = Number(headerString(h, HANDLER_START_TRAILER));
    if (Number.isFinite(t) && t > 0) start = t;
  };
  const timer = setTimeout(() => {
    deadlineHit = true;
    stream.close(http2.constants.NGHTTP2_CANCEL);
  }, o.deadlineMs + (o.graceMs ?? 0));
  stream.on('response', (h) => {
    const s = h[':status'];
    if (s !== undefined) httpStatus = Number(s);
    readStatus(h);
  });
  stream.on('trailers', readStatus);
  stream.on('data', (d: Buffer) => chunks.push(d));
  stream.on('error', (e) => {
    details ||= messageOf(e);
  });
  stream.on('close', () => {
    clearTimeout(timer);
    let finalCode = code;
    if (finalCode === undefined) {
      if (deadlineHit) {
        finalCode = status.DEADLINE_EXCEEDED;
        details = `deadline of ${o.deadlineMs}ms exceeded`;
      } else if (httpStatus !== undefined && stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) {
        finalCode = grpcStatusOfHttp(httpStatus);
        details ||= `the server answered HTTP ${httpStatus} without a gRPC status`;
      } else {
        finalCode = status.UNAVAILABLE;
        details ||= `stream closed without a gRPC status (RST_STREAM code ${stream.rstCode ?? 'none'})${o.conn?.failure ? `: ${messageOf(o.conn.failure)}` : ''}`;
      }
    }
    const response = finalCode === status.OK ? firstMessage(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)) : undefined;
    done({
      doneMicros: nowMicros(),
      code: finalCode,
      details,
      ...(response ? { response } : {}),
      ...(start !== undefined ? { handlerStartMicros: start } : {}),
    });
  });
}
