import * as http2 from 'node:http2';
import { nowMicros } from '../core/clock.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { tracer } from '../core/trace.js';
import { connectSocket } from '../grpc/transport.js';
import type { BurstCall, CallOutcome } from './call.js';
import { closeSession, grpcFrame, readUnaryResponse, requestHeaders, startSession, type H2Connection } from './h2-call.js';
import { FLAG_END_STREAM, FRAME_DATA, SocketTap, type TappedWrite } from './socket-tap.js';
import type { BurstTransport, FireOptions, FireResult, ReleaseWrites, SyncMode, SyncPolicy } from './sync-policy.js';
import { byOffset, untilMicros } from './timing.js';

const trace = tracer('burst');

/** Bytes one final DATA frame takes: the 9-byte frame header and the one byte held back. */
const FINAL_FRAME_BYTES = 10;
/** A TLS 1.3 record adds a 5-byte header, a content-type byte and a 16-byte AEAD tag. */
const TLS_RECORD_OVERHEAD = 22;

interface Connection extends H2Connection {
  readonly tap: SocketTap;
}

interface InFlight {
  readonly call: BurstCall;
  readonly stream: http2.ClientHttp2Stream;
  readonly conn: Connection;
  /** The call's gRPC frame without its last byte, and that byte. */
  readonly head: Buffer;
  readonly lastByte: Buffer;
  readonly offsetMicros: number;
  readonly done: Promise<Omit<CallOutcome, 'sentMicros'>>;
}

function ping(session: http2.ClientHttp2Session, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no PING acknowledgement within ${timeoutMs}ms`)), timeoutMs);
    const sent = session.ping((err, durationMs) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(durationMs);
    });
    if (!sent) {
      clearTimeout(timer);
      reject(new Error('too many PINGs outstanding'));
    }
  });
}

/**
 * The last-frame (single-packet) burst over Node's http2, driven by hand: open N streams, send each call's
 * headers and its gRPC-framed message but the last byte, wait for a PING round trip (the server has then read
 * everything sent before it), and release every held-back byte as a final DATA frame with END_STREAM in one
 * socket write. The server cannot start any handler before that write arrives, and it arrives at once: the
 * network's jitter between calls is removed, not just reduced.
 */
export class LastFramePolicy implements SyncPolicy {
  readonly mode: SyncMode = 'last-frame';
  private conns: Connection[] = [];
  private perConnection = 1;
  private readonly openWarnings: string[] = [];

  constructor(
    private readonly transport: BurstTransport,
    private readonly count: number,
    /** Bytes per packet (TCP MSS) the burst should fit in. */
    private readonly mss: number,
  ) {}

  get clients(): number {
    return Math.max(1, this.conns.length);
  }

  /** Streams per connection: the server's MAX_CONCURRENT_STREAMS, or the whole burst. */
  clientOf(index: number): number {
    return Math.floor(index / this.perConnection);
  }

  private async connect(): Promise<{ conn: Connection; settings: http2.Settings }> {
    const socket = await connectSocket(this.transport, this.transport.connectTimeoutMs);
    const tap = new SocketTap(socket);
    // TLS (when on) sits below the tap, so http2 itself always speaks plain frames to it.
    const { conn, settings } = await startSession(this.transport, tap);
    conn.session.on('error', (e) => trace(`last-frame session error: ${messageOf(e)}`));
    return { conn: Object.assign(conn, { tap }), settings };
  }

  async open(): Promise<void> {
    const first = await this.connect();
    this.conns.push(first.conn);
    const maxStreams = first.settings.maxConcurrentStreams ?? Number.MAX_SAFE_INTEGER;
    this.perConnection = Math.max(1, Math.min(this.count, maxStreams));
    const needed = Math.ceil(this.count / this.perConnection);
    if (needed > 1) {
      this.openWarnings.push(
        `last-frame: the server allows ${maxStreams} concurrent streams per connection (MAX_CONCURRENT_STREAMS), so the burst of ${this.count} calls uses ${needed} connections; each releases its calls in its own write`,
      );
    }
    for (let i = 1; i < needed; i++) this.conns.push((await this.connect()).conn);
  }

  private request(call: BurstCall, conn: Connection): InFlight {
    const stream = conn.session.request(requestHeaders(this.transport, call.path, 'racelab-last-frame'), { endStream: false });
    // The server enforces the deadline it is sent (grpc-timeout); the local one, a second later, only frees a
    // stream whose answer never comes.
    const done = new Promise<Omit<CallOutcome, 'sentMicros'>>((resolve) => {
      readUnaryResponse(stream, { deadlineMs: this.transport.deadlineMs, graceMs: 1000, conn }, (r) => resolve({ index: call.index, client: call.client, path: call.path, ...r }));
    });
    const frame = grpcFrame(call.request);
    return { call, stream, conn, done, head: frame.subarray(0, frame.length - 1), lastByte: frame.subarray(frame.length - 1), offsetMicros: call.offsetMicros };
  }

  async fire(calls: readonly BurstCall[], options: FireOptions = {}): Promise<FireResult> {
    if (this.conns.length === 0) throw new Error('LastFramePolicy.fire before open');
    const broken = this.conns.find((c) => c.failure || c.session.destroyed || c.session.closed);
    if (broken) throw new RacelabError('UNREACHABLE', `the HTTP/2 connection to ${this.transport.target} failed: ${messageOf(broken.failure ?? 'closed')}`);
    const warnings = [...this.openWarnings];
    this.openWarnings.length = 0;
    const timers = new Set<NodeJS.Timeout>();
    const flights: InFlight[] = [];
    try {
      // 1. Headers and every message but its last byte.
      const written: Array<Promise<void>> = [];
      for (const call of calls) {
        const conn = this.conns[Math.min(this.conns.length - 1, call.client)] as Connection;
        const f = this.request(call, conn);
        flights.push(f);
        written.push(new Promise((resolve) => f.stream.write(f.head, () => resolve())));
      }
      // http2 holds back DATA the server's flow-control windows have no room for; the server opens them as it
      // reads. A server that never does would stall the burst, so the wait is bounded.
      const presend = await Promise.race([
        Promise.all(written).then(() => true),
        new Promise<false>((resolve) => timers.add(setTimeout(() => resolve(false), this.transport.deadlineMs))),
      ]);
      if (!presend) {
        warnings.push(`last-frame: the server's flow-control windows did not take every request body within ${this.transport.deadlineMs}ms; the release went out with bodies still queued`);
      }
      // 2. A PING round trip: when its ACK is back, the server has read every frame sent before it.
      await Promise.all(this.conns.map((c) => ping(c.session, this.transport.connectTimeoutMs)));
      // The final bytes need connection-level window too; a short one splits the release.
      for (const conn of this.conns) {
        const mine = flights.filter((f) => f.conn === conn).length;
        for (let attempt = 0; attempt < 5 && (conn.session.state.remoteWindowSize ?? Infinity) < mine; attempt++) {
          await ping(conn.session, this.transport.connectTimeoutMs);
        }
        const window = conn.session.state.remoteWindowSize ?? Infinity;
        if (window < mine) {
          warnings.push(`last-frame: the server's connection flow-control window has room for the final bytes of ${window} of ${mine} calls; the rest leave when it opens`);
        }
      }
      if (options.beforeRelease) {
        try {
          await options.beforeRelease();
        } catch (e) {
          // RST_STREAM before END_STREAM: the server never sees a whole request, so no handler runs.
          for (const f of flights) f.stream.close(http2.constants.NGHTTP2_CANCEL);
          throw e;
        }
      }
      for (const c of this.conns) c.tap.drain();
      // 3. Release: every held-back byte, with END_STREAM, in one synchronous loop per offset group; http2
      // flushes each connection's batch as one write on the tap.
      const t0 = nowMicros();
      for (const group of byOffset(flights)) {
        const offset = group[0]?.offsetMicros ?? 0;
        if (offset > 0) await untilMicros(t0 + offset);
        for (const f of group) f.stream.end(f.lastByte);
      }
      const results = await Promise.all(flights.map((f) => f.done));
      const release = this.releaseWrites(flights);
      const sentAt = release.sentAt;
      warnings.push(...this.packetWarnings(release.summary, release.groups));
      const outcomes: CallOutcome[] = results.map((r, i) => {
        const f = flights[i] as InFlight;
        return { ...r, sentMicros: sentAt.get(f) ?? t0 };
      });
      return { outcomes, release: release.summary, warnings };
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }

  /** Finds, on each tap, the writes that carried final DATA frames of this burst's streams. */
  private releaseWrites(flights: readonly InFlight[]): { summary: ReleaseWrites; sentAt: Map<InFlight, number>; groups: number } {
    const sentAt = new Map<InFlight, number>();
    const framesPerWrite: number[] = [];
    const bytesPerWrite: number[] = [];
    let totalWrites = 0;
    for (const conn of this.conns) {
      const mine = new Map<number, InFlight>();
      for (const f of flights) if (f.conn === conn && f.stream.id !== undefined) mine.set(f.stream.id, f);
      const writes: TappedWrite[] = conn.tap.drain();
      totalWrites += writes.length;
      for (const w of writes) {
        let finals = 0;
        for (const fr of w.frames) {
          const f = fr.type === FRAME_DATA && fr.flags & FLAG_END_STREAM ? mine.get(fr.streamId) : undefined;
          if (f && !sentAt.has(f)) {
            sentAt.set(f, w.atMicros);
            finals++;
          }
        }
        if (finals > 0) {
          framesPerWrite.push(finals);
          bytesPerWrite.push(w.bytes);
        }
      }
    }
    const groups = new Set(flights.map((f) => `${f.conn === this.conns[0] ? 0 : this.conns.indexOf(f.conn)}:${f.call.offsetMicros}`)).size;
    return {
      summary: { connections: this.conns.length, releaseWrites: framesPerWrite.length, finalFramesPerWrite: framesPerWrite, bytesPerWrite, totalWrites },
      sentAt,
      groups,
    };
  }

  private packetWarnings(r: ReleaseWrites, groups: number): string[] {
    const out: string[] = [];
    if (r.releaseWrites > groups) {
      out.push(`last-frame: the final frames left in ${r.releaseWrites} socket writes instead of ${groups} (${r.finalFramesPerWrite.join(' + ')} frames)`);
    }
    const room = this.mss - (this.transport.tls ? TLS_RECORD_OVERHEAD : 0);
    const fit = Math.max(0, Math.floor(room / FINAL_FRAME_BYTES));
    const biggest = Math.max(0, ...r.finalFramesPerWrite);
    if (biggest > fit) {
      out.push(
        `last-frame: ${biggest} final frames take ${biggest * FINAL_FRAME_BYTES} bytes, more than one ${this.mss}-byte packet (\`mss\`); ${fit} calls fit in one packet, the rest follow in ${Math.ceil(biggest / fit) - 1} more`,
      );
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.conns.map((c) => closeSession(c)));
    this.conns = [];
  }
}
