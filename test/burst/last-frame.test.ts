import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Socket } from 'node:net';
import { LastFramePolicy } from '../../src/burst/last-frame.js';
import { FLAG_END_STREAM, FRAME_DATA, SocketTap } from '../../src/burst/socket-tap.js';
import type { BurstCall } from '../../src/burst/call.js';
import type { BurstTransport } from '../../src/burst/sync-policy.js';
import { startCounterServer, type CounterServer } from '../../src/scenarios/counter/server.js';
import { startPlainCounter, type PlainCounter } from '../helpers/plain-counter.js';
import { startJitterProxy } from '../../src/proxy/index.js';
import { runAttack } from '../../src/attack/run.js';

const transportTo = (target: string): BurstTransport => ({ target, metadata: [], deadlineMs: 10_000, connectTimeoutMs: 5000 });
const increments = (n: number, clientOf: (i: number) => number, request = Buffer.alloc(0)): BurstCall[] =>
  Array.from({ length: n }, (_, index) => ({ index, client: clientOf(index), path: '/Counter/Increment', request, offsetMicros: 0 }));

describe('last-frame burst', () => {
  let server: CounterServer;
  beforeAll(async () => {
    server = await startCounterServer({ variant: 'atomic', delayMs: 0, maxConcurrency: 1000 });
  });
  afterAll(async () => {
    await server?.close(200);
  });

  it.each([1, 20, 100])('releases the final frames of %i calls in one socket write', async (n) => {
    const policy = new LastFramePolicy(transportTo(server.target), n, 1460);
    await policy.open();
    try {
      const fired = await policy.fire(increments(n, (i) => policy.clientOf(i)));
      expect(fired.outcomes.filter((o) => o.code === 0)).toHaveLength(n);
      expect(fired.release).toMatchObject({ connections: 1, releaseWrites: 1, finalFramesPerWrite: [n] });
      // 9-byte frame header + the one held-back byte per call, nothing else in that write.
      expect(fired.release?.bytesPerWrite).toEqual([10 * n]);
      // Every call's send time is that one write.
      expect(new Set(fired.outcomes.map((o) => o.sentMicros)).size).toBe(1);
      expect(fired.warnings).toEqual([]);
      // The server received them all before any handler could start, so they all started after the write.
      const sent = fired.outcomes[0]!.sentMicros;
      expect(fired.outcomes.every((o) => o.handlerStartMicros !== undefined && o.handlerStartMicros >= sent)).toBe(true);
    } finally {
      await policy.close();
    }
  });

  it('warns when a burst is bigger than one packet and says how many calls fit', async () => {
    const policy = new LastFramePolicy(transportTo(server.target), 200, 1460);
    await policy.open();
    try {
      const fired = await policy.fire(increments(200, () => 0));
      expect(fired.release?.releaseWrites).toBe(1);
      expect(fired.warnings).toEqual([
        'last-frame: 200 final frames take 2000 bytes, more than one 1460-byte packet (`mss`); 146 calls fit in one packet, the rest follow in 1 more',
      ]);
    } finally {
      await policy.close();
    }
  });

  it('respects the server\'s MAX_CONCURRENT_STREAMS by spreading the burst over connections', async () => {
    const capped: PlainCounter = await startPlainCounter({ variant: 'mutex', delayMs: 0, grpcOptions: { 'grpc.max_concurrent_streams': 10 } });
    const policy = new LastFramePolicy(transportTo(capped.target), 25, 1460);
    try {
      await policy.open();
      expect(policy.clients).toBe(3);
      const fired = await policy.fire(increments(25, (i) => policy.clientOf(i)));
      expect(fired.outcomes.every((o) => o.code === 0)).toBe(true);
      expect(fired.release).toMatchObject({ connections: 3, releaseWrites: 3, finalFramesPerWrite: [10, 10, 5] });
      expect(fired.warnings[0]).toMatch(/allows 10 concurrent streams per connection .* uses 3 connections/);
      expect(capped.value()).toBe(25);
    } finally {
      await policy.close();
      await capped.close();
    }
  });

  it('through the jitter proxy, still releases every final frame in one write, and finds the race', async () => {
    const vulnerable = await startCounterServer({ variant: 'vulnerable', delayMs: 50, maxConcurrency: 100 });
    const proxy = await startJitterProxy({ listenPort: 0, target: vulnerable.target, delayMs: 5, jitterMs: 5, mss: 1460, seed: 3 });
    try {
      const report = await runAttack({ target: `127.0.0.1:${proxy.port}`, scenario: 'counter', sync: 'last-frame', count: 20, rounds: 2, pauseMs: 0 });
      expect(report.verdict).toBe('race');
      expect(report.rounds.map((r) => r.release?.finalFramesPerWrite)).toEqual([[20], [20]]);
      expect(report.serverSpread?.rounds).toBe(2);
    } finally {
      await proxy.close();
      await vulnerable.close(200);
    }
  });

  it('pre-sends large bodies and holds back only the last byte of each', async () => {
    const policy = new LastFramePolicy(transportTo(server.target), 5, 1460);
    await policy.open();
    try {
      // GetValue on an unchanged counter, with a 300-byte request body (an unknown field is skipped by the server).
      const big = Buffer.concat([Buffer.from([0x7a, 0xac, 0x02]), Buffer.alloc(300, 0x41)]);
      const calls = increments(5, () => 0, big).map((c) => ({ ...c, path: '/Counter/GetValue' }));
      const fired = await policy.fire(calls);
      expect(fired.release).toMatchObject({ releaseWrites: 1, finalFramesPerWrite: [5], bytesPerWrite: [50] });
      expect(fired.outcomes.every((o) => o.code === 0)).toBe(true);
    } finally {
      await policy.close();
    }
  });
});

describe('SocketTap', () => {
  it('parses outgoing HTTP/2 frames across write boundaries and counts writes', async () => {
    const socket = new Socket();
    const written: Buffer[] = [];
    socket.write = ((b: Buffer, cb?: () => void) => {
      written.push(b);
      cb?.();
      return true;
    }) as typeof socket.write;
    const tap = new SocketTap(socket);
    const frame = (type: number, flags: number, stream: number, payload: Buffer): Buffer => {
      const h = Buffer.alloc(9);
      h.writeUIntBE(payload.length, 0, 3);
      h[3] = type;
      h[4] = flags;
      h.writeUInt32BE(stream, 5);
      return Buffer.concat([h, payload]);
    };
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const data = frame(FRAME_DATA, FLAG_END_STREAM, 3, Buffer.from([7]));
    const stream = Buffer.concat([preface, frame(4, 0, 0, Buffer.alloc(0)), data, frame(FRAME_DATA, FLAG_END_STREAM, 5, Buffer.from([8]))]);
    // Split mid-preface and mid-frame-header.
    const cuts = [10, 40, stream.length];
    let at = 0;
    for (const c of cuts) {
      await new Promise<void>((r) => tap.write(stream.subarray(at, c), () => r()));
      at = c;
    }
    const log = tap.drain();
    expect(tap.writeCount).toBe(3);
    expect(written).toHaveLength(3);
    expect(log.flatMap((w) => w.frames)).toEqual([
      { type: 4, flags: 0, streamId: 0, length: 0 },
      { type: 0, flags: 1, streamId: 3, length: 1 },
      { type: 0, flags: 1, streamId: 5, length: 1 },
    ]);
    tap.destroy();
  });
});
