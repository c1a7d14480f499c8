import type { Duplex } from 'node:stream';
import HPACK from 'hpack';
import { nowMicros } from '../core/clock.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { status } from '../grpc/status.js';
import { HANDLER_START_TRAILER } from '../grpc/timing.js';
import { H2_PREFACE } from '../grpc/transport.js';
import type { BurstTransport } from './sync-policy.js';
import { decodeGrpcMessage, grpcStatusOfHttp, type UnaryResult } from './h2-call.js';

/**
 * Unary gRPC calls over HTTP/2 frames written and read by hand on one socket: the flood's transport.
 *
 * Node's http2 makes a Duplex stream object, its listeners and a header object per call; a flood's client spends
 * about 80 µs of CPU per call there (bench/attack.bench.mjs), so the client, not the server under test, set the
 * rate. Here a call is one buffer written (HEADERS and DATA, built from a header block encoded once per path) and
 * a few frames parsed off the socket. What HTTP/2 asks of a client that sends small requests is all here: the
 * connection preface, SETTINGS and their ACK, PING answered, flow control both ways, CONTINUATION, padding,
 * RST_STREAM, GOAWAY. Response headers are decoded with the `hpack` package (RFC 7541, checked against the
 * hpack-test-case suite); request headers with racelab's own small encoder (RequestEncoder), which only indexes.
 */

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;

const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;

const NO_ERROR = 0x0;
const PROTOCOL_ERROR = 0x1;
const FLOW_CONTROL_ERROR = 0x3;
const FRAME_SIZE_ERROR = 0x6;
const CANCEL = 0x8;
const COMPRESSION_ERROR = 0x9;

const MAX_WINDOW = 2 ** 31 - 1;
const DEFAULT_WINDOW = 65_535;
/** Stream ids are 31 bits; a session that used them all takes no new call (the flood dials another). */
const MAX_STREAM_ID = 2 ** 31 - 1;
/**
 * The largest frame racelab reads. It advertises no SETTINGS_MAX_FRAME_SIZE, so a peer may send at most 16,384
 * bytes of payload; a length beyond this is not HTTP/2 (an HTTP/1 server's "HTTP/1.1 400" reads as 5 MB).
 */
const MAX_READ_FRAME = 16_384;
/** Received DATA bytes after which the connection window is given back (a quarter of what racelab grants). */
const WINDOW_REFILL = 2 ** 29;

/** The server's SETTINGS racelab acts on. */
export interface WireSettings {
  readonly maxConcurrentStreams?: number;
  readonly initialWindowSize: number;
  readonly maxFrameSize: number;
}

interface WireStream {
  readonly id: number;
  /** performance.now() when sent, for the deadline. */
  readonly sentMs: number;
  readonly done: (r: UnaryResult) => void;
  /** The server may take this many more request bytes on this stream. */
  window: number;
  /** Request DATA not sent yet for lack of flow-control window. */
  pending: Buffer | undefined;
  headersSeen: boolean;
  httpStatus: number | undefined;
  code: number | undefined;
  details: string;
  handlerStart: number | undefined;
  chunks: Buffer[] | undefined;
}

function frameHeader(out: Buffer, at: number, length: number, type: number, flags: number, stream: number): void {
  out.writeUIntBE(length, at, 3);
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(stream, at + 5);
}

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(9 + payload.length);
  frameHeader(out, 0, payload.length, type, flags, stream);
  payload.copy(out, 9);
  return out;
}

/** An HPACK integer with an n-bit prefix (RFC 7541 5.1), the prefix byte's high bits set to `flags`. */
function hpackInt(out: number[], value: number, prefixBits: number, flags: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

function hpackString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  hpackInt(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

/** Entries of HPACK's static table (RFC 7541 Appendix A) a gRPC request uses whole: `:method: POST`, `:scheme`. */
const STATIC_FIELDS: ReadonlyMap<string, number> = new Map([
  [':method\0POST', 3],
  [':scheme\0http', 6],
  [':scheme\0https', 7],
]);
const STATIC_TABLE_LENGTH = 61;

/**
 * HPACK for requests (RFC 7541), the encoder's side of one connection. Each field goes into the dynamic table
 * the first time it is sent (a literal with incremental indexing, not Huffman-coded) and is sent as its index
 * after that, so a flood's steady state is a few bytes of indexes per call, and the server's decoder (nghttp2
 * in Node, for one) finds every field in its table instead of parsing eight literals. Blocks must reach the
 * server in the order they were encoded, which one connection's writes guarantee.
 */
export class RequestEncoder {
  /** Newest first, as HPACK indexes them: [name, value, size]. */
  private readonly table: Array<[string, string, number]> = [];
  private size = 0;
  private max = 4096;
  private sizeUpdate: number | undefined;
  /** Blocks made entirely of indexes, by key (a path): valid until the table changes. */
  private readonly blocks = new Map<string, Buffer>();

  /** The server's SETTINGS_HEADER_TABLE_SIZE (racelab uses at most the default 4,096 bytes). */
  setMaxSize(n: number): void {
    const max = Math.min(n, 4096);
    if (max === this.max) return;
    this.max = max;
    this.sizeUpdate = max;
    this.evict(0);
    this.blocks.clear();
  }

  encode(key: string, fields: ReadonlyArray<readonly [string, string]>): Buffer {
    const cached = this.blocks.get(key);
    if (cached) return cached;
    const out: number[] = [];
    if (this.sizeUpdate !== undefined) {
      hpackInt(out, this.sizeUpdate, 5, 0x20);
      this.sizeUpdate = undefined;
    }
    let changed = false;
    for (const [name, value] of fields) {
      const fixed = STATIC_FIELDS.get(`${name}\0${value}`);
      if (fixed !== undefined) {
        hpackInt(out, fixed, 7, 0x80);
        continue;
      }
      const i = this.table.findIndex(([n, v]) => n === name && v === value);
      if (i >= 0) {
        hpackInt(out, STATIC_TABLE_LENGTH + 1 + i, 7, 0x80);
        continue;
      }
      out.push(0x40);
      hpackString(out, name);
      hpackString(out, value);
      this.insert(name, value);
      changed = true;
    }
    const block = Buffer.from(out);
    if (changed) this.blocks.clear();
    else this.blocks.set(key, block);
    return block;
  }

  private insert(name: string, value: string): void {
    const size = Buffer.byteLength(name, 'latin1') + Buffer.byteLength(value, 'latin1') + 32;
    // An entry larger than the table empties it and is not added (RFC 7541 4.4); the decoder does the same.
    this.evict(size);
    if (size <= this.max) {
      this.table.unshift([name, value, size]);
      this.size += size;
    }
  }

  /** Evicts the oldest entries until `room` more bytes fit. */
  private evict(room: number): void {
    while (this.table.length > 0 && this.size + room > this.max) this.size -= (this.table.pop() as [string, string, number])[2];
  }
}

/**
 * One HTTP/2 connection carrying unary gRPC calls. Calls are made with `call`; each one's result comes to its
 * callback exactly once: the gRPC status when the server sent one, else the HTTP status mapped (a proxy answered),
 * else UNAVAILABLE (reset, or the connection died: nobody knows whether a handler ran), or DEADLINE_EXCEEDED when
 * the deadline passed first (the stream is then cancelled).
 */
export class WireSession {
  /** The first error the connection met (the reason later calls fail), or the server's GOAWAY. */
  failure: Error | undefined;
  settings: WireSettings = { initialWindowSize: DEFAULT_WINDOW, maxFrameSize: 16_384 };
  private readonly streams = new Map<number, WireStream>();
  private readonly decoder = new HPACK();
  private readonly encoder = new RequestEncoder();
  private nextId = 1;
  private goneAway = false;
  private ended = false;
  private leftover: Buffer | undefined;
  /** A header block being collected from HEADERS and CONTINUATION frames. */
  private block: { stream: number; endStream: boolean; parts: Buffer[] } | undefined;
  private sendWindow = DEFAULT_WINDOW;
  private received = 0;
  /** Streams waiting for flow-control window, in the order they were sent. */
  private blocked: WireStream[] = [];
  private out: Buffer[] = [];
  private flushing = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private onSettings: ((s: WireSettings) => void) | undefined;
  private onClosed: (() => void) | undefined;

  private constructor(
    private readonly socket: Duplex,
    private readonly deadlineMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (e: Error) => {
      this.failure ??= e;
    });
    socket.on('close', () => this.closed());
  }

  /**
   * Starts a session on a connected socket (plain TCP or TLS with ALPN h2) and waits for the server's SETTINGS,
   * so that its limits are known before any call. Calls get `deadlineMs` each (and grpc-timeout tells the server).
   */
  static open(transport: BurstTransport, socket: Duplex): Promise<WireSession> {
    const session = new WireSession(socket, transport.deadlineMs);
    const settings = Buffer.alloc(18);
    settings.writeUInt16BE(SETTINGS_ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(MAX_WINDOW, 8);
    settings.writeUInt16BE(SETTINGS_HEADER_TABLE_SIZE, 12);
    settings.writeUInt32BE(4096, 14);
    const grant = Buffer.alloc(4);
    grant.writeUInt32BE(MAX_WINDOW - DEFAULT_WINDOW, 0);
    socket.write(Buffer.concat([H2_PREFACE, frame(SETTINGS, 0, 0, settings), frame(WINDOW_UPDATE, 0, 0, grant)]));
    return new Promise<WireSession>((resolve, reject) => {
      const timer = setTimeout(() => failed(new Error(`no HTTP/2 SETTINGS from ${transport.target} within ${transport.connectTimeoutMs}ms`)), transport.connectTimeoutMs);
      // A TLS server that wants a client certificate finishes the handshake and then sends an alert: the socket
      // errors, and (measured with node:http2) need not close until destroyed, so the error itself ends the wait.
      const onError = (e: Error): void => failed(e);
      const failed = (e?: Error): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        session.onSettings = undefined;
        session.onClosed = undefined;
        socket.destroy();
        const msg = messageOf(e ?? session.failure ?? 'the server closed the connection before its SETTINGS');
        if (transport.tls && /alert|certificate/i.test(msg)) {
          const reason = /SSL routines:[^:]*:([^:]+)/.exec(msg)?.[1] ?? msg;
          reject(new RacelabError('TLS', `the TLS server at ${transport.target} refused the connection (${reason}); if it wants a client certificate, pass \`cert\` and \`key\``, { subject: 'tls' }));
          return;
        }
        reject(new RacelabError('NOT_GRPC', `${transport.target} did not start an HTTP/2 session (${msg}); is it a gRPC server, and is TLS set the same way on both sides?`, { subject: 'target' }));
      };
      socket.on('error', onError);
      session.onClosed = () => failed();
      session.onSettings = () => {
        clearTimeout(timer);
        socket.off('error', onError);
        session.onSettings = undefined;
        session.onClosed = undefined;
        resolve(session);
      };
    });
  }

  /** Whether a new call may start here: the connection is up, the server has not said GOAWAY, ids are left. */
  get usable(): boolean {
    return !this.ended && !this.goneAway && this.nextId <= MAX_STREAM_ID;
  }

  /**
   * Makes a unary call: `headers` (requestHeaderPairs; the same array for the same `key`, a path), `message` the
   * length-prefixed gRPC message. Returns false (and calls nothing) when the session takes no new call.
   */
  call(key: string, headers: ReadonlyArray<readonly [string, string]>, message: Buffer, done: (r: UnaryResult) => void): boolean {
    if (!this.usable) return false;
    const headerBlock = this.encoder.encode(key, headers);
    const id = this.nextId;
    this.nextId += 2;
    const s: WireStream = {
      id,
      sentMs: performance.now(),
      done,
      window: this.settings.initialWindowSize,
      pending: undefined,
      headersSeen: false,
      httpStatus: undefined,
      code: undefined,
      details: '',
      handlerStart: undefined,
      chunks: undefined,
    };
    this.streams.set(id, s);
    const max = this.settings.maxFrameSize;
    // The usual call: its HEADERS and its whole request in one DATA frame fit the windows; one buffer for both.
    if (headerBlock.length <= max && message.length <= max && message.length <= this.sendWindow && message.length <= s.window && this.blocked.length === 0) {
      const out = Buffer.allocUnsafe(18 + headerBlock.length + message.length);
      frameHeader(out, 0, headerBlock.length, HEADERS, FLAG_END_HEADERS, id);
      headerBlock.copy(out, 9);
      const at = 9 + headerBlock.length;
      frameHeader(out, at, message.length, DATA, FLAG_END_STREAM, id);
      message.copy(out, at + 9);
      this.sendWindow -= message.length;
      s.window -= message.length;
      this.write(out);
    } else {
      if (headerBlock.length <= max) {
        this.write(frame(HEADERS, FLAG_END_HEADERS, id, headerBlock));
      } else {
        this.write(frame(HEADERS, 0, id, headerBlock.subarray(0, max)));
        for (let at = max; at < headerBlock.length; at += max) {
          const end = Math.min(headerBlock.length, at + max);
          this.write(frame(CONTINUATION, end === headerBlock.length ? FLAG_END_HEADERS : 0, id, headerBlock.subarray(at, end)));
        }
      }
      s.pending = message;
      if (this.blocked.length > 0) this.blocked.push(s);
      else if (!this.sendData(s)) this.blocked.push(s);
    }
    this.deadlineTimer ??= setTimeout(() => this.deadlines(), this.deadlineMs);
    return true;
  }

  /** Sends as much of the stream's request as the windows allow; true when all of it went. */
  private sendData(s: WireStream): boolean {
    const data = s.pending;
    if (!data) return true;
    let at = 0;
    while (at < data.length) {
      const n = Math.min(data.length - at, this.settings.maxFrameSize, this.sendWindow, s.window);
      if (n <= 0) break;
      const last = at + n === data.length;
      this.write(frame(DATA, last ? FLAG_END_STREAM : 0, s.id, data.subarray(at, at + n)));
      this.sendWindow -= n;
      s.window -= n;
      at += n;
    }
    s.pending = at === data.length ? undefined : data.subarray(at);
    return s.pending === undefined;
  }

  private unblock(): void {
    while (this.blocked.length > 0) {
      const s = this.blocked[0] as WireStream;
      if (!this.streams.has(s.id)) {
        this.blocked.shift();
        continue;
      }
      if (!this.sendData(s)) return;
      this.blocked.shift();
    }
  }

  /** Queues bytes for the socket; everything queued in one turn of the event loop goes out in one write. */
  private write(b: Buffer): void {
    if (this.ended) return;
    this.out.push(b);
    if (!this.flushing) {
      this.flushing = true;
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    if (this.ended || this.out.length === 0) return;
    const bytes = this.out.length === 1 ? (this.out[0] as Buffer) : Buffer.concat(this.out);
    this.out = [];
    this.socket.write(bytes);
  }

  /** Cancels the calls whose deadline has passed (the oldest first: streams are kept in the order sent). */
  private deadlines(): void {
    this.deadlineTimer = undefined;
    const now = performance.now();
    for (const s of this.streams.values()) {
      if (s.sentMs + this.deadlineMs > now) break;
      this.reset(s.id, CANCEL);
      this.finish(s, undefined, `deadline of ${this.deadlineMs}ms exceeded`, status.DEADLINE_EXCEEDED);
    }
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const oldest = this.streams.values().next();
    this.deadlineTimer = oldest.done ? undefined : setTimeout(() => this.deadlines(), Math.max(1, Math.ceil(oldest.value.sentMs + this.deadlineMs - now)));
  }

  private reset(stream: number, code: number): void {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(code, 0);
    this.write(frame(RST_STREAM, 0, stream, p));
  }

  private read(chunk: Buffer): void {
    const buf = this.leftover ? Buffer.concat([this.leftover, chunk]) : chunk;
    this.leftover = undefined;
    let at = 0;
    while (buf.length - at >= 9) {
      const length = buf.readUIntBE(at, 3);
      if (length > MAX_READ_FRAME) return this.connectionError(FRAME_SIZE_ERROR, `a ${length}-byte frame, over the ${MAX_READ_FRAME} bytes HTTP/2 allows by default`);
      if (buf.length - at < 9 + length) break;
      const type = buf[at + 3] as number;
      const flags = buf[at + 4] as number;
      const stream = buf.readUInt32BE(at + 5) & 0x7fffffff;
      const payload = buf.subarray(at + 9, at + 9 + length);
      at += 9 + length;
      this.onFrame(type, flags, stream, payload);
      if (this.ended) return;
    }
    if (at < buf.length) this.leftover = Buffer.from(buf.subarray(at));
    if (this.received >= WINDOW_REFILL) {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(this.received, 0);
      this.received = 0;
      this.write(frame(WINDOW_UPDATE, 0, 0, p));
    }
  }

  private onFrame(type: number, flags: number, stream: number, payload: Buffer): void {
    if (this.onSettings && type !== SETTINGS) return this.connectionError(PROTOCOL_ERROR, 'the first frame was not SETTINGS');
    if (this.block && type !== CONTINUATION) return this.connectionError(PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    switch (type) {
      case DATA: {
        this.received += payload.length;
        const s = this.streams.get(stream);
        if (!s) return;
        const data = this.unpad(flags, payload);
        if (data === undefined) return;
        if (data.length > 0) (s.chunks ??= []).push(data);
        if (flags & FLAG_END_STREAM) this.finish(s, NO_ERROR);
        return;
      }
      case HEADERS: {
        let fragment = this.unpad(flags, payload);
        if (fragment === undefined) return;
        if (flags & FLAG_PRIORITY) fragment = fragment.subarray(5);
        const endStream = (flags & FLAG_END_STREAM) !== 0;
        if (flags & FLAG_END_HEADERS) this.headers(stream, endStream, fragment);
        else this.block = { stream, endStream, parts: [Buffer.from(fragment)] };
        return;
      }
      case CONTINUATION: {
        const b = this.block;
        if (!b || b.stream !== stream) return this.connectionError(PROTOCOL_ERROR, 'CONTINUATION without a header block');
        b.parts.push(Buffer.from(payload));
        if (flags & FLAG_END_HEADERS) {
          this.block = undefined;
          this.headers(stream, b.endStream, Buffer.concat(b.parts));
        }
        return;
      }
      case RST_STREAM: {
        const s = this.streams.get(stream);
        if (s && payload.length >= 4) this.finish(s, payload.readUInt32BE(0));
        return;
      }
      case SETTINGS:
        if (flags & FLAG_ACK) return;
        return this.applySettings(payload);
      case PING:
        if (!(flags & FLAG_ACK)) this.write(frame(PING, FLAG_ACK, 0, payload));
        return;
      case GOAWAY: {
        const last = payload.length >= 8 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
        const code = payload.length >= 8 ? payload.readUInt32BE(4) : PROTOCOL_ERROR;
        this.goneAway = true;
        this.failure ??= new Error(`the server sent GOAWAY (code ${code})`);
        // Calls above the last stream id were not handled: the server says so, and they may be sent again.
        for (const s of [...this.streams.values()]) {
          if (s.id > last) this.finish(s, undefined, `the server sent GOAWAY (code ${code}) before handling it`, status.UNAVAILABLE);
        }
        if (this.streams.size === 0) this.end();
        return;
      }
      case WINDOW_UPDATE: {
        const inc = payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
        if (stream === 0) {
          this.sendWindow += inc;
          if (this.sendWindow > MAX_WINDOW) return this.connectionError(FLOW_CONTROL_ERROR, 'the connection window grew past 2^31-1');
        } else {
          const s = this.streams.get(stream);
          if (s) s.window += inc;
        }
        this.unblock();
        return;
      }
      case PUSH_PROMISE:
        return this.connectionError(PROTOCOL_ERROR, 'PUSH_PROMISE, although racelab disabled push');
      default:
        // PRIORITY and frame types this client does not know are ignored, as HTTP/2 says.
        return;
    }
  }

  /** A payload without its padding (RFC 9113 6.1), or undefined after a connection error. */
  private unpad(flags: number, payload: Buffer): Buffer | undefined {
    if (!(flags & FLAG_PADDED)) return payload;
    const pad = payload[0] ?? 0;
    if (payload.length < 1 + pad) {
      this.connectionError(PROTOCOL_ERROR, 'padding longer than the frame');
      return undefined;
    }
    return payload.subarray(1, payload.length - pad);
  }

  private applySettings(p: Buffer): void {
    let { maxConcurrentStreams, initialWindowSize, maxFrameSize } = this.settings;
    for (let i = 0; i + 6 <= p.length; i += 6) {
      const id = p.readUInt16BE(i);
      const v = p.readUInt32BE(i + 2);
      if (id === SETTINGS_MAX_CONCURRENT_STREAMS) maxConcurrentStreams = v;
      else if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
        if (v > MAX_WINDOW) return this.connectionError(FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1');
        // A new initial window changes every open stream's window by the difference (RFC 9113 6.9.2).
        for (const s of this.streams.values()) s.window += v - initialWindowSize;
        initialWindowSize = v;
      } else if (id === SETTINGS_MAX_FRAME_SIZE) maxFrameSize = Math.min(Math.max(v, 16_384), 16_777_215);
      else if (id === SETTINGS_HEADER_TABLE_SIZE) this.encoder.setMaxSize(v);
    }
    this.settings = { ...(maxConcurrentStreams !== undefined ? { maxConcurrentStreams } : {}), initialWindowSize, maxFrameSize };
    this.write(frame(SETTINGS, FLAG_ACK, 0));
    this.unblock();
    this.onSettings?.(this.settings);
  }

  private headers(stream: number, endStream: boolean, block: Buffer): void {
    let fields: Array<[string, string]>;
    // Every block is decoded, also a cancelled call's: the decoder's table follows the server's encoder.
    try {
      fields = this.decoder.decode(block);
    } catch (e) {
      return this.connectionError(COMPRESSION_ERROR, `a header block racelab could not decode (${messageOf(e)})`);
    }
    const s = this.streams.get(stream);
    if (!s) return;
    const first = !s.headersSeen;
    s.headersSeen = true;
    for (const [name, value] of fields) {
      if (name === ':status' && first) s.httpStatus = Number(value);
      else if (name === 'grpc-status') {
        // A grpc-status that is not a number is the server's error: UNKNOWN, as grpc-js reports it.
        const n = Number(value);
        s.code = Number.isInteger(n) && n >= 0 ? n : status.UNKNOWN;
      } else if (name === 'grpc-message') s.details = decodeGrpcMessage(value);
      else if (name === HANDLER_START_TRAILER) {
        const t = Number(value);
        if (Number.isFinite(t) && t > 0) s.handlerStart = t;
      }
    }
    if (endStream) this.finish(s, NO_ERROR);
  }

  /**
   * Ends a call and reports it. `rst`: the RST_STREAM code it ended with (NO_ERROR for a clean end of stream),
   * undefined when racelab ended it (`why` and `code` then say how).
   */
  private finish(s: WireStream, rst: number | undefined, why?: string, code?: number): void {
    if (!this.streams.delete(s.id)) return;
    if (this.streams.size === 0 && this.deadlineTimer) {
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    }
    // The server answered before the whole request went out (an early error): the rest is not sent.
    if (s.pending !== undefined) {
      s.pending = undefined;
      if (rst === NO_ERROR) this.reset(s.id, NO_ERROR);
    }
    let finalCode = s.code;
    let details = s.details;
    if (finalCode === undefined) {
      if (code !== undefined) {
        finalCode = code;
        details = why ?? '';
      } else if (s.httpStatus !== undefined && rst === NO_ERROR) {
        finalCode = grpcStatusOfHttp(s.httpStatus);
        details ||= `the server answered HTTP ${s.httpStatus} without a gRPC status`;
      } else {
        finalCode = status.UNAVAILABLE;
        details ||= `stream closed without a gRPC status (RST_STREAM code ${rst ?? 'none'})${this.failure ? `: ${messageOf(this.failure)}` : ''}`;
      }
    }
    let response: Buffer | undefined;
    if (finalCode === status.OK && s.chunks) {
      const data = s.chunks.length === 1 ? (s.chunks[0] as Buffer) : Buffer.concat(s.chunks);
      if (data.length >= 5) response = Buffer.from(data.subarray(5, 5 + data.readUInt32BE(1)));
    }
    // One shape for every result (no spreads: this runs once per call of a flood).
    const result: { doneMicros: number; code: number; details: string; response?: Buffer; handlerStartMicros?: number } = { doneMicros: nowMicros(), code: finalCode, details };
    if (response) result.response = response;
    if (s.handlerStart !== undefined) result.handlerStartMicros = s.handlerStart;
    s.done(result);
    if (this.goneAway && this.streams.size === 0) this.end();
  }

  private connectionError(code: number, what: string): void {
    this.failure ??= new Error(`HTTP/2 protocol error from the server: ${what}`);
    const p = Buffer.alloc(8);
    p.writeUInt32BE(Math.max(0, this.nextId - 2), 0);
    p.writeUInt32BE(code, 4);
    this.write(frame(GOAWAY, 0, 0, p));
    this.flush();
    this.socket.destroy();
    this.closed();
  }

  /** The socket is gone: every open call ends UNAVAILABLE (nobody knows whether its handler ran). */
  private closed(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.failure ??= new Error('the connection closed');
    for (const s of [...this.streams.values()]) this.finish(s, undefined, `stream closed without a gRPC status (the connection closed): ${messageOf(this.failure)}`, status.UNAVAILABLE);
    this.onClosed?.();
  }

  /** Ends the connection politely: GOAWAY, then the socket's end; destroyed if the server has not closed it after `graceMs`. */
  private end(): void {
    if (this.ended) return;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(0, 0);
    p.writeUInt32BE(NO_ERROR, 4);
    this.write(frame(GOAWAY, 0, 0, p));
    this.flush();
    this.socket.end();
  }

  /**
   * Closes the session: calls still open may finish for `graceMs`, then the connection ends (GOAWAY, FIN), and
   * it is destroyed if the server has not closed its side within another `graceMs`.
   */
  close(graceMs = 1000): Promise<void> {
    if (this.ended) {
      this.socket.destroy();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
      }, graceMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.goneAway = true;
      if (this.streams.size === 0) this.end();
    });
  }
}
