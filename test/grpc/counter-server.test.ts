import { afterEach, describe, expect, it } from 'vitest';
import { callUnary } from '../../src/grpc/client.js';
import { nowMicros } from '../../src/core/clock.js';
import { readCounter, runCounterClient, startCounterServer, type CounterServer } from '../../src/scenarios/counter/index.js';
import { counterClient } from '../../src/scenarios/counter/client.js';

let server: CounterServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

/** K concurrent in-process clients, each sending `increments` one after another, like the seed's terminals. */
async function hammer(target: string, clients: number, increments: number) {
  const results = await Promise.all(Array.from({ length: clients }, () => runCounterClient({ target, increments })));
  const acknowledged = results.reduce((s, r) => s + r.acknowledged, 0);
  return { acknowledged, value: await readCounter(target) };
}

describe('the Counter service on a real grpc-js server', () => {
  it('vulnerable loses updates under concurrent clients', async () => {
    // A 100 ms window against calls that arrive within a millisecond or two of each other: every client's
    // calls overlap, so each round of 5 concurrent increments adds 1. Reliable by a wide margin.
    server = await startCounterServer({ variant: 'vulnerable', delayMs: 100 });
    const { acknowledged, value } = await hammer(server.target, 5, 4);
    expect(acknowledged).toBe(20);
    expect(value).toBeLessThan(acknowledged);
    expect(value).toBeLessThanOrEqual(10);
    // The server saw several handlers inside the read-wait-write at once.
    const spans = server.spans.drain();
    expect(spans.filter((s) => s.method === '/Counter/Increment')).toHaveLength(20);
  });

  it("a call's result carries the server's handler start, read from the trailers of an OK call too", async () => {
    // grpc-js calls back before it emits the status that holds an OK call's trailers: the start was lost on
    // every call that succeeded (the replicas page drew "replica handler not seen" for all of them).
    server = await startCounterServer({ variant: 'vulnerable', delayMs: 50 });
    const client = counterClient(server.target);
    try {
      const sent = nowMicros();
      const ok = await callUnary(client, 'Increment', {});
      expect(ok.error).toBeUndefined();
      expect(ok.handlerStartMicros).toBeGreaterThanOrEqual(sent - 1000);
      expect(ok.handlerStartMicros).toBeLessThanOrEqual(nowMicros());
      const failed = await callUnary(client, 'Increment', {}, { deadlineMs: 10 });
      expect(failed.error?.code).toBe(4); // DEADLINE_EXCEEDED: the client gave up; no trailer of the server's
    } finally {
      client.close();
    }
  });

  it('mutex never loses an update, over repeated runs with many concurrent calls', async () => {
    for (let run = 0; run < 3; run++) {
      server = await startCounterServer({ variant: 'mutex', delayMs: 0, maxConcurrency: 100 });
      const { acknowledged, value } = await hammer(server.target, 25, 8);
      expect(acknowledged).toBe(200);
      expect(value).toBe(200);
      await server.close(200);
      server = undefined;
    }
  });

  it('--max-concurrency bounds the handlers running at once', async () => {
    server = await startCounterServer({ variant: 'vulnerable', delayMs: 30, maxConcurrency: 3 });
    await hammer(server.target, 8, 1);
    const { maxInFlight } = await import('../../src/grpc/timing.js');
    expect(maxInFlight(server.spans.drain())).toBeLessThanOrEqual(3);
  });

  it('a port in use is a one-line error naming the fix', async () => {
    server = await startCounterServer({ variant: 'mutex', delayMs: 0 });
    await expect(startCounterServer({ variant: 'mutex', host: 'localhost', port: server.port })).rejects.toThrow(
      /port: localhost:\d+ is already in use; stop what listens there or pick another port/,
    );
  });

  it('an unreachable target is a one-line error, not a hang', async () => {
    await expect(runCounterClient({ target: '127.0.0.1:1', increments: 1, connectTimeoutMs: 500 })).rejects.toThrow(
      /target: nothing answers gRPC at 127\.0\.0\.1:1/,
    );
  });
});
