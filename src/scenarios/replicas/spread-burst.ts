import { isUnknownOutcome } from '../../grpc/status.js';
import * as grpc from '@grpc/grpc-js';
import { RacelabError, errorFromFields, type RacelabErrorFields } from '../../core/errors.js';
import { nowMicros } from '../../core/clock.js';
import { summarize } from '../../core/stats.js';
import { callUnary, waitReady } from '../../grpc/client.js';
import { RACELAB_ERROR_TRAILER } from '../../grpc/timing.js';
import type { CounterClient } from '../../generated/Counter.js';
import { counterClient } from '../counter/client.js';

export interface SpreadBurstFault {
  /** Index of the target to kill. */
  readonly victim: number;
  /** Kill once this many increments are acknowledged and the victim has calls in flight. */
  readonly afterAcknowledged: number;
  /** Does the killing (kill -9 of the replica's process); the burst stops routing to the victim first. */
  readonly kill: (victim: number) => Promise<void>;
}

export interface SpreadBurstOptions {
  /** Replicas to spread calls across, round-robin over the ones still alive. */
  readonly targets: readonly string[];
  /** Increments to send in all. */
  readonly calls: number;
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Per-call deadline; past it the outcome is unknown. Default 30 s. */
  readonly deadlineMs?: number;
  readonly fault?: SpreadBurstFault;
  /** Keep every call (`calls`), for a page's timeline. */
  readonly keepCalls?: boolean;
}

/** One increment of the burst as the balancer saw it; times are monotonic µs (`nowMicros`, the host's clock). */
export interface SpreadBurstCall {
  /** Index of the replica it was routed to. */
  readonly replica: number;
  readonly sentMicros: number;
  readonly doneMicros: number;
  /** gRPC status code (0: acknowledged). */
  readonly code: number;
  /** Set when the replica was already down when the answer came (its outcome is unknown). */
  readonly replicaDown: boolean;
  /** The replica's handler start, from its trailer (same host, same monotonic clock). */
  readonly handlerStartMicros?: number;
}

export interface TargetCounts {
  target: string;
  sent: number;
  acknowledged: number;
  failed: number;
  unknown: number;
}

export interface KillRecord {
  victim: number;
  target: string;
  /** Increments acknowledged (by every replica) when the kill was sent. */
  acknowledgedBefore: number;
  /** Calls on the victim that had been sent and not answered when it was killed. */
  inFlight: number;
  /** ms after the burst started. */
  atMs: number;
}

export interface SpreadBurstResult {
  sent: number;
  acknowledged: number;
  /** The server answered with an error: the increment did not happen (the handlers fail before writing). */
  failed: number;
  /** No answer (connection lost, deadline): the increment may or may not have happened. */
  unknown: number;
  wallMs: number;
  /** Acknowledged increments per second of wall time. */
  callsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  perTarget: TargetCounts[];
  kill?: KillRecord;
  /** Every call, with `keepCalls`. */
  calls?: SpreadBurstCall[];
}


/**
 * Sends `calls` increments with `concurrency` in flight, spread round-robin across replicas, the way a load
 * balancer in front of them would. With a fault it kills one replica mid-burst and, like a balancer that saw
 * it die, stops routing to it; every call that was on it then has an unknown outcome.
 */
export async function runSpreadBurst(o: SpreadBurstOptions): Promise<SpreadBurstResult> {
  if (o.targets.length === 0) throw new RacelabError('BAD_OPTION', 'give at least one host:port', { subject: 'targets' });
  const clients: CounterClient[] = o.targets.map((t) => counterClient(t));
  try {
    await Promise.all(clients.map((c, i) => waitReady(c, o.targets[i] as string, 10_000)));
    const perTarget: TargetCounts[] = o.targets.map((target) => ({ target, sent: 0, acknowledged: 0, failed: 0, unknown: 0 }));
    const inFlight = o.targets.map(() => 0);
    const down = new Set<number>();
    const latencies: number[] = [];
    const calls: SpreadBurstCall[] | undefined = o.keepCalls ? [] : undefined;
    let next = 0;
    let rr = 0;
    let acknowledged = 0;
    let killRecord: KillRecord | undefined;
    let killing: Promise<void> | undefined;
    /** What the store said when it refused a replica (PERMISSION_DENIED): the burst stops on it. */
    let refused: RacelabError | undefined;
    const t0 = performance.now();

    const pickTarget = (): number => {
      for (let tries = 0; tries < o.targets.length; tries++) {
        const i = rr++ % o.targets.length;
        if (!down.has(i)) return i;
      }
      return -1;
    };

    const maybeKill = (): void => {
      const f = o.fault;
      if (!f || killRecord || acknowledged < f.afterAcknowledged || (inFlight[f.victim] ?? 0) === 0) return;
      down.add(f.victim);
      killRecord = {
        victim: f.victim,
        target: o.targets[f.victim] as string,
        acknowledgedBefore: acknowledged,
        inFlight: inFlight[f.victim] ?? 0,
        atMs: performance.now() - t0,
      };
      killing = f.kill(f.victim);
    };

    const worker = async (): Promise<void> => {
      while (next < o.calls) {
        const i = pickTarget();
        if (i < 0) return; // every replica is down
        next++;
        const counts = perTarget[i] as TargetCounts;
        counts.sent++;
        inFlight[i]!++;
        const started = performance.now();
        const sentMicros = calls ? nowMicros() : 0;
        const r = await callUnary(clients[i] as CounterClient, 'Increment', {}, { deadlineMs: o.deadlineMs ?? 30_000 });
        inFlight[i]!--;
        calls?.push({
          replica: i,
          sentMicros,
          doneMicros: nowMicros(),
          code: r.error ? r.error.code : grpc.status.OK,
          replicaDown: down.has(i),
          ...(r.handlerStartMicros !== undefined ? { handlerStartMicros: r.handlerStartMicros } : {}),
        });
        if (!r.error) {
          counts.acknowledged++;
          acknowledged++;
          latencies.push(performance.now() - started);
        } else if (r.error.code === grpc.status.PERMISSION_DENIED && refused === undefined) {
          // The store refused the replica (a right removed mid-run): the burst stops, and the one line that names
          // the fix is the run's outcome; counting the rest as failed calls would report a fault of the setup.
          counts.failed++;
          const sent = r.error.metadata?.get(RACELAB_ERROR_TRAILER)[0];
          const fields = sent !== undefined ? readErrorFields(String(sent)) : {};
          refused = errorFromFields({ message: r.error.details, ...fields }) ?? new RacelabError('BAD_STORE', r.error.details);
          next = o.calls;
        } else if (down.has(i) || isUnknownOutcome(r.error.code)) {
          counts.unknown++;
          // A replica that stops answering is taken out of rotation, as a balancer's health check would.
          if (r.error.code === grpc.status.UNAVAILABLE) down.add(i);
        } else counts.failed++;
        maybeKill();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
    if (killing) await killing;
    if (refused !== undefined) throw refused;
    const wallMs = performance.now() - t0;
    const lat = summarize(latencies);
    const sum = (f: keyof Omit<TargetCounts, 'target'>): number => perTarget.reduce((s, t) => s + t[f], 0);
    return {
      sent: sum('sent'),
      acknowledged,
      failed: sum('failed'),
      unknown: sum('unknown'),
      wallMs,
      callsPerSecond: wallMs > 0 ? (acknowledged * 1000) / wallMs : 0,
      latencyP50Ms: lat.p50,
      latencyP99Ms: lat.p99,
      perTarget,
      ...(killRecord ? { kill: killRecord } : {}),
      ...(calls ? { calls } : {}),
    };
  } finally {
    for (const c of clients) c.close();
  }
}

/** The racelab error fields a replica sent in its trailer; anything else (not JSON, not an object) is none. */
function readErrorFields(text: string): RacelabErrorFields {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as RacelabErrorFields) : {};
  } catch {
    return {};
  }
}
