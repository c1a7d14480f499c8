import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { checkVerbose } from '../../src/check/index.js';
import { callUnary, waitReady } from '../../src/grpc/index.js';
import { recordingClientOptions } from '../../src/grpc/recorder.js';
import { HistoryRecorder, pairOperations } from '../../src/history/index.js';
import { counterClient, runCounterClient, startCounterServer, type CounterServer } from '../../src/scenarios/counter/index.js';

const servers: CounterServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close(100);
});

/** `clients` in-process clients, released together by one barrier, each recorded as its own process. */
async function recordedRun(variant: string, clients: number, increments: number): Promise<HistoryRecorder> {
  const server = await startCounterServer({ variant, delayMs: 40, maxConcurrency: 16 });
  servers.push(server);
  const recorder = new HistoryRecorder();
  let arrived = 0;
  let release!: () => void;
  const go = new Promise<void>((r) => (release = r));
  const barrier = async (): Promise<void> => {
    if (++arrived === clients) release();
    await go;
  };
  await Promise.all(
    Array.from({ length: clients }, (_, process) =>
      runCounterClient({ target: server.target, increments, recorder, process, beforeFirstCall: barrier, deadlineMs: 10_000 }),
    ),
  );
  return recorder;
}

describe('recorded gRPC counter runs', () => {
  it('the vulnerable variant is not linearizable: a get misses increments that finished before it', async () => {
    const recorder = await recordedRun('vulnerable', 4, 3);
    const ops = pairOperations(recorder.events).operations;
    expect(ops.filter((o) => o.f === 'increment' && o.status === 'ok')).toHaveLength(12);
    expect(ops.filter((o) => o.f === 'get')).toHaveLength(4);
    const report = checkVerbose(recorder.events, 'counter');
    expect(report.verdict).toBe('illegal');
    const breakOp = report.timeline[report.window!.breakOperation]!;
    expect(breakOp.f).toBe('get');
    // The get that cannot be explained saw fewer than the increments that provably came before it.
    const before = report.window!.operations.filter((id) => report.timeline[id]!.f === 'increment').length;
    expect(before).toBeGreaterThan(breakOp.description.match(/get → (\d+)/)!.map(Number)[1]!);
    expect(report.explanation.join('\n')).toMatch(/get → \d+ is impossible when the counter is \d+/);
  });

  it('the mutex variant is linearizable', async () => {
    const recorder = await recordedRun('mutex', 4, 3);
    const report = checkVerbose(recorder.events, 'counter');
    expect(report.verdict).toBe('ok');
    expect(report.counts.ok).toBe(16);
    expect(report.timeline.every((op) => op.order !== undefined)).toBe(true);
  });

  it('records each outcome: ok with the response, fail for a refused call, info for a deadline', async () => {
    const server = await startCounterServer({ variant: 'vulnerable', delayMs: 300 });
    servers.push(server);
    const recorder = new HistoryRecorder();
    const client = counterClient(server.target, recordingClientOptions({ recorder }));
    try {
      await waitReady(client, server.target);
      const ok = await callUnary(client, 'GetValue', {});
      expect(ok.error).toBeUndefined();
      const late = await callUnary(client, 'Increment', {}, { deadlineMs: 50 });
      expect(late.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    } finally {
      client.close();
    }
    const refusing = new HistoryRecorder();
    const bad = counterClient(server.target, recordingClientOptions({ recorder: refusing, definiteFailure: () => true }));
    try {
      await callUnary(bad, 'Increment', {}, { deadlineMs: 50 });
    } finally {
      bad.close();
    }
    expect(recorder.events.map((e) => [e.process, e.type, e.f])).toEqual([
      [0, 'invoke', 'GetValue'],
      [0, 'ok', 'GetValue'],
      [0, 'invoke', 'Increment'],
      [0, 'info', 'Increment'],
    ]);
    expect(recorder.events[1]!.value).toEqual({ value: 0 });
    expect(recorder.events[3]!.error).toMatch(/^DEADLINE_EXCEEDED/);
    expect(refusing.events.map((e) => e.type)).toEqual(['invoke', 'fail']);
  });
});
