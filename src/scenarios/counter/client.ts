import { isUnknownOutcome, statusName } from '../../grpc/status.js';
import * as grpc from '@grpc/grpc-js';
import { nowMicros } from '../../core/clock.js';
import { RacelabError } from '../../core/errors.js';
import { plural } from '../../core/units.js';
import { REQUEST_ID_HEADER } from '../../monitor/interceptor.js';
import { callUnary, waitReady } from '../../grpc/client.js';
import type { CounterClient } from '../../generated/Counter.js';
import type { GetValueResponse__Output } from '../../generated/GetValueResponse.js';
import type { ProtoGrpcType } from '../../generated/counter-package.js';
import type { ProcessId } from '../../history/event.js';
import type { HistoryRecorder } from '../../history/recorder.js';
import { recordingClientOptions } from '../../grpc/recorder.js';
import { counterRecording } from './history.js';
import { loadCounterProto } from './server.js';

export interface CounterClientOptions {
  target: string;
  /** Replicas to spread the increments over, round-robin (call i goes to targets[i % n]); overrides `target`. */
  targets?: string[];
  increments: number;
  /** Per-call deadline; a call past it is an unknown outcome, not a failure. */
  deadlineMs?: number;
  connectTimeoutMs?: number;
  /** Called once connected; the first increment waits for it to resolve (a start barrier across processes). */
  beforeFirstCall?: () => Promise<void>;
  /** Records every call (increments and the final GetValue) into this history, for `racelab check --model counter`. */
  recorder?: HistoryRecorder;
  /** The process id this client's calls are recorded as (default: a free one per call). */
  process?: ProcessId;
}

/** What one client saw: the same fields whether it ran in this process or as a child process. */
export interface CounterClientResult {
  target: string;
  increments: number;
  acknowledged: number;
  failed: number;
  /** Calls whose outcome is unknown (deadline exceeded, connection lost): they may have taken effect. */
  unknown: number;
  latenciesMs: number[];
  /** Wall-clock completion time of each acknowledged call (ms since epoch), to see how responses arrive. */
  completedAtMs: number[];
  value: number;
  /**
   * Every increment: monotonic µs (comparable across processes on one machine) when it was sent and answered,
   * its gRPC status, and the request id it carried (`x-request-id`, so a race monitor's logs name it too).
   */
  calls?: Array<{ requestId: string; sentMicros: number; doneMicros: number; code: number }>;
}

export function counterClient(target: string, clientOptions?: grpc.ClientOptions): CounterClient {
  const proto = loadCounterProto().grpcObject as unknown as ProtoGrpcType;
  return new proto.Counter(target, grpc.credentials.createInsecure(), clientOptions);
}

/** The seed's client: increments one after another, then reads the value. */
export async function runCounterClient(options: CounterClientOptions): Promise<CounterClientResult> {
  const targets = options.targets?.length ? options.targets : [options.target];
  const recording = options.recorder ? recordingClientOptions(counterRecording(options.recorder, options.process)) : undefined;
  const clients = targets.map((t) => counterClient(t, recording));
  const client = clients[0] as CounterClient;
  try {
    await Promise.all(clients.map((c, i) => waitReady(c, targets[i] as string, options.connectTimeoutMs ?? 5000)));
    const deadline = options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {};
    if (options.recorder) {
      // Where the counter starts, read before the start barrier so that every client of a demo reads it before
      // anyone increments; not an operation of the history (the recording channel would log it), its header.
      const first = counterClient(targets[0] as string);
      try {
        const got = await callUnary<object, GetValueResponse__Output>(first, 'GetValue', {}, deadline);
        if (got.error) throw getValueFailed(targets[0] as string, got.error, 'before the first increment');
        options.recorder.setInitial(Number(got.response?.value ?? 0));
      } finally {
        first.close();
      }
    }
    await options.beforeFirstCall?.();
    const result: CounterClientResult = {
      target: targets.join(','),
      increments: options.increments,
      acknowledged: 0,
      failed: 0,
      unknown: 0,
      latenciesMs: [],
      completedAtMs: [],
      value: 0,
      calls: [],
    };
    for (let i = 0; i < options.increments; i++) {
      const requestId = `p${process.pid}-${i + 1}`;
      const metadata = new grpc.Metadata();
      metadata.set(REQUEST_ID_HEADER, requestId);
      const sentMicros = nowMicros();
      const t0 = performance.now();
      const r = await callUnary(clients[i % clients.length] as CounterClient, 'Increment', {}, { ...deadline, metadata });
      const latency = performance.now() - t0;
      result.calls!.push({ requestId, sentMicros, doneMicros: nowMicros(), code: r.error?.code ?? 0 });
      if (!r.error) {
        result.acknowledged++;
        result.latenciesMs.push(latency);
        result.completedAtMs.push(Date.now());
      } else if (isUnknownOutcome(r.error.code)) result.unknown++;
      else result.failed++;
    }
    const got = await callUnary<object, GetValueResponse__Output>(client, 'GetValue', {}, deadline);
    if (got.error) throw getValueFailed(targets[0] as string, got.error, `after ${describeIncrements(result)}`);
    result.value = got.response?.value ?? 0;
    return result;
  } finally {
    for (const c of clients) c.close();
  }
}

/** One GetValue call, for reading the counter after a run. */
export async function readCounter(target: string, timeoutMs = 5000): Promise<number> {
  const client = counterClient(target);
  try {
    await waitReady(client, target, timeoutMs);
    const got = await callUnary<object, GetValueResponse__Output>(client, 'GetValue', {}, { deadlineMs: timeoutMs });
    if (got.error) throw getValueFailed(target, got.error, 'reading the counter');
    return got.response?.value ?? 0;
  } finally {
    client.close();
  }
}

/** A GetValue the server failed: the status by name and its details, in one line (exit 4 in the CLI). */
function getValueFailed(target: string, error: { code: number; details: string }, when: string): RacelabError {
  return new RacelabError('CALL_FAILED', `GetValue on ${target} failed ${when}: ${statusName(error.code)} (${error.details.split('\n')[0]})`);
}

/** "10 increments, 7 acknowledged, 3 failed": what the client sent and how it went, for a failure's line. */
export function describeIncrements(r: Pick<CounterClientResult, 'increments' | 'acknowledged' | 'failed' | 'unknown'>): string {
  const parts = [`${r.acknowledged} acknowledged`, ...(r.failed ? [`${r.failed} failed`] : []), ...(r.unknown ? [`${r.unknown} with unknown outcome`] : [])];
  return `${plural(r.increments, 'increment')} (${parts.join(', ')})`;
}

/**
 * The increments that did not succeed, by status (`3 of 10 increments did not succeed: Unavailable 2,
 * DeadlineExceeded 1`), or undefined when all did. The CLI prints it and exits 4.
 */
export function failedIncrements(r: CounterClientResult): string | undefined {
  const byStatus = new Map<string, number>();
  for (const c of r.calls ?? []) if (c.code !== 0) byStatus.set(statusName(c.code), (byStatus.get(statusName(c.code)) ?? 0) + 1);
  const notOk = r.failed + r.unknown;
  if (notOk === 0) return undefined;
  const how = [...byStatus].map(([name, n]) => `${name} ${n}`).join(', ');
  return `${notOk} of ${plural(r.increments, 'increment')} did not succeed${how ? `: ${how}` : ''}${r.unknown ? ` (${r.unknown} may have taken effect)` : ''}`;
}
