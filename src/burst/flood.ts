import type * as grpc from '@grpc/grpc-js';
import { RacelabError, messageOf } from '../core/errors.js';
import { toGrpcMetadata } from '../grpc/transport.js';
import { status } from '@grpc/grpc-js';
import { isUnknownOutcome } from '../grpc/status.js';
import type { BurstCall, CallOutcome } from './call.js';
import { connectChannel, openChannel, sendUnary } from './grpc-call.js';
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

/**
 * The seed's flooding vector (many messages at one server) as a bounded run: a fixed rate for a fixed time
 * over one or more connections, or as fast as `concurrency` calls in flight allow (a throughput run).
 */
export async function runFlood(o: FloodOptions): Promise<FloodResult> {
  const channels: grpc.Client[] = Array.from({ length: o.connections }, () => openChannel(o.transport, true));
  try {
    await Promise.all(channels.map((c) => connectChannel(c, o.transport))).catch((e: unknown) => {
      throw new RacelabError('UNREACHABLE', `could not connect to ${o.transport.target} (${messageOf(e)})`, { subject: 'target' });
    });
    const md = toGrpcMetadata(o.transport.metadata);
    const latenciesMs: number[] = [];
    const byCode = new Map<number, { count: number; example?: string }>();
    let sent = 0;
    let completed = 0;
    let skipped = 0;
    let inFlight = 0;
    let ok = 0;
    let failed = 0;
    let unknown = 0;
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
    };
    const send = (): Promise<void> => {
      const index = sent++;
      const client = index % channels.length;
      inFlight++;
      return sendUnary(channels[client] as grpc.Client, o.makeCall(index, client), o.transport, md).then(record);
    };
    const t0 = performance.now();
    const end = t0 + o.durationMs;
    if (o.rate === 'max') {
      const lanes = Array.from({ length: o.concurrency }, async () => {
        while (performance.now() < end && !o.signal?.aborted) await send();
      });
      await Promise.all(lanes);
    } else {
      const rate = o.rate;
      // The schedule is fixed in advance: call k falls due at k / rate seconds, and the run ends when every
      // call of the duration has been sent or skipped, however late the timer's last tick comes.
      const total = Math.max(1, Math.floor((o.durationMs / 1000) * rate));
      const pending = new Set<Promise<void>>();
      while (sent + skipped < total && !o.signal?.aborted) {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
        while (sent + skipped < due) {
          if (inFlight >= o.concurrency) {
            skipped++;
            continue;
          }
          const p = send();
          pending.add(p);
          void p.then(() => pending.delete(p));
        }
        if (sent + skipped < total) await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(10, 1000 / rate))));
      }
      await Promise.all(pending);
    }
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
    for (const c of channels) c.close();
  }
}
