import { nowMicros } from '../core/clock.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { isUnknownOutcome, status } from '../grpc/status.js';
import { connectSocket } from '../grpc/transport.js';
import type { BurstCall, CallOutcome } from './call.js';
import { grpcFrame, requestHeaderPairs } from './h2-call.js';
import { WireSession } from './h2-wire.js';
import type { BurstTransport } from './sync-policy.js';

/** Hard caps of flood mode. */
export const MAX_FLOOD_RATE = 100_000;
export const MAX_FLOOD_DURATION_MS = 300_000;
export const MAX_FLOOD_IN_FLIGHT = 10_000;
/** Latencies kept for the histogram; past this the run still counts, but samples every call no more. */
const MAX_LATENCY_SAMPLES = 1_000_000;

export interface FloodOptions {
  readonly transport: BurstTransport;
  /** Calls per second (open loop: calls leave on schedule whether or not earlier ones returned), or `max`. */
  readonly rate: number | 'max';
  readonly durationMs: number;
  /** Channels (TCP connections) the calls are spread over. */
  readonly connections: number;
  /**
   * `max`: calls kept in flight (closed loop, like ghz -c). A rate: the most calls in flight; a call that falls
   * due while that many are outstanding is skipped and counted, so a slow server cannot make racelab pile up
   * unbounded work.
   */
  readonly concurrency: number;
  /** Makes the call with this index, sent by this client (channel). */
  readonly makeCall: (index: number, client: number) => BurstCall;
  /** Sees every outcome (for the history), in completion order. */
  readonly onOutcome?: (o: CallOutcome) => void;
  /** Ends the flood early (Ctrl+C): no new call is sent, the ones in flight complete, the result is what ran. */
  readonly signal?: AbortSignal;
}

export interface FloodResult {
  readonly sent: number;
  readonly completed: number;
  /** Calls that fell due while `concurrency` calls were outstanding. */
  readonly skipped: number;
  readonly ok: number;
  readonly failed: number;
  readonly unknown: number;
  readonly wallMs: number;
  /** Completed calls per second of wall time. */
  readonly callsPerSecond: number;
  readonly latenciesMs: number[];
  readonly outcomesByCode: Map<number, { count: number; example?: string }>;
}

/** Distinct request messages whose gRPC frame is kept (the endpoints' untemplated requests); others are framed per call. */
const MAX_CACHED_FRAMES = 64;
/** How long a connection that failed waits before it is dialled again (so a dead server is not dialled in a loop). */
const RECONNECT_BACKOFF_MS = 1000;

/** One of the flood's connections: its session, how many of its streams are open, and how many it may have. */
class Lane {
  session: WireSession | undefined;
  inFlight = 0;
  maxStreams = Number.MAX_SAFE_INTEGER;
  private redial: Promise<void> | undefined;
  private lastFailure = '';
  /** Ends a backoff early: the flood is over, nothing is waiting to be sent. */
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly retired: WireSession[] = [];

  constructor(private readonly transport: BurstTransport) {}

  async connect(): Promise<void> {
    const socket = await connectSocket(this.transport, this.transport.connectTimeoutMs);
    const session = await WireSession.open(this.transport, socket);
    // A session the server closed gracefully (GOAWAY) may still be finishing its streams: closed at the end too.
    if (this.session) this.retired.push(this.session);
    this.session = session;
    // Beyond the server's MAX_CONCURRENT_STREAMS the server would refuse streams, which only hides that the
    // server is the limit; the flood keeps at most that many open.
    this.maxStreams = session.settings.maxConcurrentStreams ?? Number.MAX_SAFE_INTEGER;
  }

  /** The open session, or undefined when the connection is gone (then it is dialled again, at most once a second). */
  usable(): WireSession | undefined {
    const s = this.session;
    if (s?.usable) return s;
    if (s) this.lastFailure = messageOf(s.failure ?? 'the connection closed');
    this.redial ??= this.connect().then(
      () => {
        this.redial = undefined;
      },
      (e: unknown) => {
        this.lastFailure = messageOf(e);
        if (this.session) this.retired.push(this.session);
        this.session = undefined;
        if (this.stopped) {
          this.redial = undefined;
          return;
        }
        return new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RECONNECT_BACKOFF_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        }).then(() => {
          this.wake = undefined;
          this.redial = undefined;
        });
      },
    );
    return undefined;
  }

  /** The flood's time is up or it was aborted: a backoff under way ends now, so the flood ends on time. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Settles when the redial under way (if any) has succeeded or given up. */
  settled(): Promise<void> {
    return this.redial ?? Promise.resolve();
  }

  get failure(): string {
    return this.lastFailure;
  }

  async close(): Promise<void> {
    await Promise.all([...this.retired, ...(this.session ? [this.session] : [])].map((c) => c.close()));
  }
}

/**
 * The seed's flooding vector (many messages at one server) as a bounded run: a fixed rate for a fixed time
 * over one or more connections, or as fast as `concurrency` calls in flight allow (a throughput run).
 *
 * The calls go over HTTP/2 frames racelab writes itself (h2-wire.ts), neither grpc-js nor Node's http2: a
 * flood's point is to load the server, and the per-call objects of either cost the client so much CPU
 * (bench/attack.bench.mjs) that the client, not the server, set the rate.
 */
export async function runFlood(o: FloodOptions): Promise<FloodResult> {
  const lanes = Array.from({ length: Math.max(1, o.connections) }, () => new Lane(o.transport));
  try {
    // Every dial settles before a failure is thrown, so none connects after the `finally` has closed the others.
    const dialled = await Promise.allSettled(lanes.map((l) => l.connect()));
    const refused = dialled.find((d): d is PromiseRejectedResult => d.status === 'rejected');
    if (refused) {
      const e: unknown = refused.reason;
      if (e instanceof RacelabError) throw e;
      throw new RacelabError('UNREACHABLE', `could not connect to ${o.transport.target} (${messageOf(e)})`, { subject: 'target' });
    }
    const latenciesMs: number[] = [];
    const byCode = new Map<number, { count: number; example?: string }>();
    let sent = 0;
    let completed = 0;
    let skipped = 0;
    let inFlight = 0;
    let ok = 0;
    let failed = 0;
    let unknown = 0;
    let drained: (() => void) | undefined;
    const record = (out: CallOutcome): void => {
      completed++;
      inFlight--;
      if (latenciesMs.length < MAX_LATENCY_SAMPLES) latenciesMs.push((out.doneMicros - out.sentMicros) / 1000);
      const e = byCode.get(out.code) ?? { count: 0 };
      e.count++;
      if (out.code !== status.OK && e.example === undefined && out.details) e.example = out.details;
      byCode.set(out.code, e);
      if (out.code === status.OK) ok++;
      else if (isUnknownOutcome(out.code)) unknown++;
      else failed++;
      o.onOutcome?.(out);
      if (inFlight === 0) drained?.();
    };
    // The headers per path and the framed request per encoded request: a flood's requests are mostly the
    // same few (flood-round encodes an untemplated request once), so neither is rebuilt per call.
    const headersByPath = new Map<string, Array<[string, string]>>();
    // A Map, not a WeakMap: a fresh key per call (templated requests) costs a WeakMap far more in GC than framing.
    const frames = new Map<Buffer, Buffer>();
    /** Sends call number `index` on `lane`; `then` runs once it completes (an error is an outcome too). */
    const send = (lane: Lane, client: number, then?: () => void): void => {
      const call = o.makeCall(sent++, client);
      inFlight++;
      lane.inFlight++;
      const sentMicros = nowMicros();
      const finish = (r: Omit<CallOutcome, 'sentMicros' | 'index' | 'client' | 'path'>): void => {
        lane.inFlight--;
        // The outcome in one shape, without a spread: this runs once per call.
        const out: { -readonly [K in keyof CallOutcome]: CallOutcome[K] } = { index: call.index, client: call.client, path: call.path, sentMicros, doneMicros: r.doneMicros, code: r.code, details: r.details };
        if (r.response !== undefined) out.response = r.response;
        if (r.handlerStartMicros !== undefined) out.handlerStartMicros = r.handlerStartMicros;
        record(out);
        then?.();
      };
      const session = lane.usable();
      let headers = headersByPath.get(call.path);
      if (!headers) headersByPath.set(call.path, (headers = requestHeaderPairs(o.transport, call.path, 'racelab-flood')));
      let frame = frames.get(call.request);
      if (!frame) {
        frame = grpcFrame(call.request);
        if (frames.size < MAX_CACHED_FRAMES) frames.set(call.request, frame);
      }
      if (!session?.call(call.path, headers, frame, finish)) {
        // Never sent, but counted as the gRPC client would (UNAVAILABLE); the lane waits for the redial, so a
        // dead server does not turn the flood into a busy loop.
        const refused = `the connection to ${o.transport.target} is down (${lane.failure})`;
        void lane.settled().then(() => finish({ doneMicros: nowMicros(), code: status.UNAVAILABLE, details: refused }));
      }
    };
    const stopped = (): boolean => o.signal?.aborted === true;
    const allDone = (): Promise<void> =>
      inFlight === 0
        ? Promise.resolve()
        : new Promise((resolve) => {
            drained = resolve;
          });
    const t0 = performance.now();
    const end = t0 + o.durationMs;
    const stopLanes = (): void => {
      for (const l of lanes) l.stop();
    };
    const endTimer = setTimeout(stopLanes, o.durationMs);
    o.signal?.addEventListener('abort', stopLanes);
    if (o.rate === 'max') {
      // Closed loop: `concurrency` loops, each sending its next call when its last one completes, spread over
      // the connections and never more on one than the server allows.
      let loops = 0;
      const perLane = lanes.map(() => 0);
      for (let k = 0; k < o.concurrency; k++) {
        const i = k % lanes.length;
        const lane = lanes[i] as Lane;
        if (perLane[i] as number >= lane.maxStreams) continue;
        perLane[i] = (perLane[i] as number) + 1;
        loops++;
      }
      await new Promise<void>((resolve) => {
        let running = loops;
        const loop = (i: number): void => {
          if (stopped() || performance.now() >= end) {
            if (--running === 0) resolve();
            return;
          }
          send(lanes[i] as Lane, i, () => loop(i));
        };
        perLane.forEach((n, i) => {
          for (let k = 0; k < n; k++) loop(i);
        });
      });
    } else {
      const rate = o.rate;
      // The schedule is fixed in advance: call k falls due at k / rate seconds, and the run ends when every
      // call of the duration has been sent or skipped, however late the timer's last tick comes.
      const total = Math.max(1, Math.floor((o.durationMs / 1000) * rate));
      while (sent + skipped < total && !stopped()) {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
        while (sent + skipped < due) {
          const client = sent % lanes.length;
          const lane = lanes[client] as Lane;
          if (inFlight >= o.concurrency || lane.inFlight >= lane.maxStreams) {
            skipped++;
            continue;
          }
          send(lane, client);
        }
        if (sent + skipped < total) await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(10, 1000 / rate))));
      }
    }
    await allDone();
    clearTimeout(endTimer);
    o.signal?.removeEventListener('abort', stopLanes);
    const wallMs = performance.now() - t0;
    return {
      sent,
      completed,
      skipped,
      ok,
      failed,
      unknown,
      wallMs,
      callsPerSecond: completed / (wallMs / 1000),
      latenciesMs,
      outcomesByCode: byCode,
    };
  } finally {
    // Graceful close (the server sees GOAWAY, not a reset); a redial still under way is waited for so its
    // socket is closed too.
    await Promise.all(lanes.map((l) => l.settled().then(() => l.close())));
  }
}
