import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callUnary } from '../../src/grpc/index.js';
import { DelaySchedule, startJitterProxy, type JitterProxy, type JitterProxyOptions, type ProxySegment } from '../../src/proxy/index.js';
import { counterClient, startCounterServer } from '../../src/scenarios/counter/index.js';

// Every server, proxy and socket a test opens is closed here, whatever the test's outcome.
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

/** A TCP echo server that also passes the client's half-close back (ends once the client ended). */
async function echoServer(): Promise<number> {
  return listen(net.createServer({ allowHalfOpen: true }, (s) => s.on('error', () => {}).pipe(s)));
}

async function proxyTo(port: number, options: Partial<JitterProxyOptions> = {}): Promise<JitterProxy> {
  const proxy = await startJitterProxy({ listenPort: 0, target: `127.0.0.1:${port}`, delayMs: 20, jitterMs: 5, mss: 1460, seed: 1, ...options });
  cleanups.push(() => proxy.close());
  return proxy;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
    cleanups.push(() => void s.destroy());
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the socket receives until the peer ends it. */
function readToEnd(s: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });
}

function pattern(size: number, salt: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + (i >>> 11) * 7 + salt) & 0xff;
  return b;
}

function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('jitter proxy: bytes', () => {
  it('carries 5 MB each way intact and in order, in segments of at most the MSS', async () => {
    const segments: ProxySegment[] = [];
    const proxy = await proxyTo(await echoServer(), { mss: 1460, onSegment: (s) => segments.push(s) });
    const data = pattern(5 * 1024 * 1024, 3);
    const client = await connect(proxy.port);
    const received = readToEnd(client);
    client.end(data);
    const echoed = await received;
    expect(echoed.length).toBe(data.length);
    expect(echoed.equals(data)).toBe(true);
    // The client has the last byte when the proxy has sent its FIN; the proxy counts the connection closed only
    // once both of its sockets have closed, a moment later.
    await waitFor(() => proxy.stats().connections.open === 0, 'the proxied connection to close');

    const stats = proxy.stats();
    for (const dir of ['clientToTarget', 'targetToClient'] as const) {
      const mine = segments.filter((s) => s.direction === dir);
      expect(stats[dir].bytes).toBe(data.length);
      expect(stats[dir].segments).toBe(mine.length);
      expect(stats[dir].largestSegmentBytes).toBeLessThanOrEqual(1460);
      expect(mine.every((s) => s.bytes >= 1 && s.bytes <= 1460)).toBe(true);
      expect(mine.reduce((n, s) => n + s.bytes, 0)).toBe(data.length);
      // Released in order, never before due, never before the previous segment.
      mine.forEach((s, i) => {
        expect(s.index).toBe(i);
        expect(s.releasedAt).toBeGreaterThanOrEqual(s.dueAt);
        expect(s.dueAt).toBeGreaterThanOrEqual(s.arrivedAt + s.scheduledDelayMs);
        if (i > 0) expect(s.releasedAt).toBeGreaterThanOrEqual(mine[i - 1]!.releasedAt);
      });
      expect(stats[dir].addedDelayMs.min).toBeGreaterThanOrEqual(20);
      expect(stats[dir].queuedBytes).toBe(0);
    }
    expect(stats.connections).toEqual({ accepted: 1, open: 0, targetFailures: 0, reset: 0 });
  });

  it('carries a large upload and a large download on one connection at the same time', async () => {
    // The target answers every upload with its own 3 MB stream, sent while the upload is still arriving.
    const upload = pattern(3 * 1024 * 1024, 11);
    const download = pattern(3 * 1024 * 1024, 29);
    const uploads: Promise<Buffer>[] = [];
    const port = await listen(
      net.createServer({ allowHalfOpen: true }, (s) => {
        uploads.push(readToEnd(s));
        s.end(download);
      }),
    );
    const proxy = await proxyTo(port, { mss: 1000, delayMs: 5, jitterMs: 10 });
    const client = await connect(proxy.port);
    const got = readToEnd(client);
    client.end(upload);
    expect((await got).equals(download)).toBe(true);
    await waitFor(() => uploads.length === 1, 'the upload to reach the target');
    expect((await uploads[0]!).equals(upload)).toBe(true);
    expect(proxy.stats().clientToTarget.largestSegmentBytes).toBe(1000);
  });

  it('the receiver sees the stream cut at segment boundaries, released apart in time', async () => {
    // Delay 0 and jitter 200ms: each segment is due when its own draw says (never before an earlier one). Pick,
    // deterministically, a seed whose first segment is due well before the last, so the receiver reads more
    // than once and every read must end on a boundary the proxy cut.
    const mss = 1000;
    const count = 10;
    const seed = Array.from({ length: 1000 }, (_, i) => i).find((s) => {
      const d = Array.from({ length: count }, DelaySchedule.forDirection(s, 0, 'clientToTarget', 0, 200).next.bind(
        DelaySchedule.forDirection(s, 0, 'clientToTarget', 0, 200),
      ));
      return d[0]! < 20 && Math.max(...d) > 170;
    })!;
    expect(seed).toBeDefined();
    const reads: number[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const port = await listen(
      net.createServer((s) =>
        s.on('data', (d: Buffer) => {
          reads.push(d.length);
          if (reads.reduce((a, b) => a + b, 0) >= mss * count) done();
        }),
      ),
    );
    const segments: ProxySegment[] = [];
    const proxy = await proxyTo(port, { delayMs: 0, jitterMs: 200, mss, seed, onSegment: (s) => segments.push(s) });
    const client = await connect(proxy.port);
    client.write(pattern(mss * count, 5));
    await all;
    const cuts = new Set<number>();
    segments.reduce((offset, s) => (cuts.add(offset + s.bytes), offset + s.bytes), 0);
    expect(Math.max(...segments.map((s) => s.bytes))).toBeLessThanOrEqual(mss);
    expect(reads.length).toBeGreaterThanOrEqual(2);
    let offset = 0;
    for (const r of reads) {
      offset += r;
      expect(cuts.has(offset), `a read ended at byte ${offset}, inside a segment`).toBe(true);
    }
  });
});

describe('jitter proxy: timing', () => {
  it('adds a measured one-way delay within [delay, delay + jitter] plus scheduling slack, each way', async () => {
    const delayMs = 30;
    const jitterMs = 10;
    const arrivals: number[] = [];
    const port = await listen(
      net.createServer((s) => {
        s.setNoDelay(true);
        s.on('data', (d: Buffer) => {
          arrivals.push(performance.now());
          s.write(d); // straight back, so the return trip is timed too
        });
      }),
    );
    const segments: ProxySegment[] = [];
    const proxy = await proxyTo(port, { delayMs, jitterMs, onSegment: (s) => segments.push(s) });
    const client = await connect(proxy.port);
    const oneWayOut: number[] = [];
    const oneWayBack: number[] = [];
    for (let i = 0; i < 15; i++) {
      const sent = performance.now();
      const back = new Promise<number>((resolve) => client.once('data', () => resolve(performance.now())));
      client.write(`ping ${i}`);
      const returned = await back;
      const arrived = arrivals[i]!;
      oneWayOut.push(arrived - sent);
      oneWayBack.push(returned - arrived);
    }
    // Lower bound is exact: the proxy never releases a segment before its delay, measured from when it read it.
    const out = segments.filter((s) => s.direction === 'clientToTarget');
    out.forEach((s, i) => expect(oneWayOut[i]!).toBeGreaterThanOrEqual(s.scheduledDelayMs));
    for (const ms of [...oneWayOut, ...oneWayBack]) {
      expect(ms).toBeGreaterThanOrEqual(delayMs);
      expect(ms).toBeLessThan(delayMs + jitterMs + 300); // a loaded 2-core machine can stall a timer, rarely this much
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(median(oneWayOut)).toBeLessThan(delayMs + jitterMs + 60);
    expect(median(oneWayBack)).toBeLessThan(delayMs + jitterMs + 60);
    const stats = proxy.stats();
    for (const dir of ['clientToTarget', 'targetToClient'] as const) {
      expect(stats[dir].segments).toBe(15);
      expect(stats[dir].addedDelayMs.min).toBeGreaterThanOrEqual(delayMs);
      expect(stats[dir].addedDelayMs.p50).toBeLessThan(delayMs + jitterMs + 60);
    }
  });

  it('draws each segment\'s delay from the seeded schedule of its connection and direction', async () => {
    const run = async (): Promise<ProxySegment[]> => {
      const segments: ProxySegment[] = [];
      const proxy = await proxyTo(await echoServer(), { delayMs: 2, jitterMs: 3, mss: 100, seed: 777, onSegment: (s) => segments.push(s) });
      for (let c = 0; c < 2; c++) {
        const client = await connect(proxy.port);
        const got = readToEnd(client);
        client.end(pattern(2000, c));
        await got;
      }
      return segments;
    };
    const first = await run();
    const second = await run();
    const delaysOf = (segs: ProxySegment[], c: number, d: ProxySegment['direction']): number[] =>
      segs.filter((s) => s.connection === c && s.direction === d).map((s) => s.scheduledDelayMs);
    for (let c = 0; c < 2; c++) {
      for (const d of ['clientToTarget', 'targetToClient'] as const) {
        const schedule = DelaySchedule.forDirection(777, c, d, 2, 3);
        const expected = Array.from({ length: 20 }, () => schedule.next());
        expect(delaysOf(first, c, d)).toEqual(expected);
        expect(delaysOf(second, c, d)).toEqual(expected);
      }
    }
  });
});

describe('jitter proxy: connections', () => {
  it('passes a half-close on after the delayed bytes, and the reply comes back', async () => {
    // The target answers only once the client has ended: the byte count it got, then it ends too.
    const port = await listen(
      net.createServer({ allowHalfOpen: true }, (s) => {
        void readToEnd(s).then((b) => s.end(`got ${b.length}`));
      }),
    );
    const proxy = await proxyTo(port, { delayMs: 10, jitterMs: 5, mss: 500 });
    const client = await connect(proxy.port);
    const reply = readToEnd(client);
    client.end(pattern(100_000, 1));
    expect((await reply).toString()).toBe('got 100000');
    await waitFor(() => proxy.stats().connections.open === 0, 'the connection to close');
    expect(proxy.stats().connections.reset).toBe(0);
  });

  it('a reset on the target side reaches the client as an error', async () => {
    const port = await listen(net.createServer((s) => s.once('data', () => s.resetAndDestroy())));
    const proxy = await proxyTo(port, { delayMs: 5, jitterMs: 0 });
    const client = await connect(proxy.port);
    const outcome = new Promise<string>((resolve) => {
      client.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      client.once('end', () => resolve('end'));
    });
    client.write('hello');
    expect(await outcome).toBe('ECONNRESET');
    await waitFor(() => proxy.stats().connections.open === 0, 'the connection to close');
    expect(proxy.stats().connections.reset).toBe(1);
  });

  it('a client reset reaches the target as an error', async () => {
    let targetOutcome!: Promise<string>;
    const port = await listen(
      net.createServer((s) => {
        targetOutcome = new Promise((resolve) => {
          s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
          s.once('end', () => resolve('end'));
        });
      }),
    );
    const proxy = await proxyTo(port, { delayMs: 5, jitterMs: 0 });
    const client = await connect(proxy.port);
    await waitFor(() => targetOutcome !== undefined, 'the proxy to dial the target');
    client.resetAndDestroy();
    expect(await targetOutcome).toBe('ECONNRESET');
  });

  it('a target that refuses is a reset for the client, counted as a target failure', async () => {
    const closed = net.createServer();
    const port = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    const proxy = await proxyTo(port);
    const client = await connect(proxy.port);
    const outcome = await new Promise<string>((resolve) => {
      client.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      client.once('end', () => resolve('end'));
    });
    expect(['ECONNRESET', 'end']).toContain(outcome);
    await waitFor(() => proxy.stats().connections.targetFailures === 1, 'the failure to be counted');
    expect(proxy.stats().connections.open).toBe(0);
  });

  it('pauses a sender whose receiver does not read: memory stays bounded, and everything arrives once it reads', async () => {
    let target!: net.Socket;
    const port = await listen(
      net.createServer((s) => {
        target = s;
        s.pause();
      }),
    );
    const maxQueuedBytes = 256 * 1024;
    const proxy = await proxyTo(port, { delayMs: 1, jitterMs: 1, mss: 1460, maxQueuedBytes });
    const client = await connect(proxy.port);
    const data = pattern(24 * 1024 * 1024, 9);
    client.write(data);
    // Wait until the proxy stops taking bytes: the target's and the proxy's kernel buffers are full.
    let last = -1;
    await waitFor(() => {
      const now = proxy.stats().clientToTarget.bytes;
      const steady = now === last && now > 0;
      last = now;
      return steady;
    }, 'the proxy to stall');
    await new Promise((r) => setTimeout(r, 200));
    const stalled = proxy.stats().clientToTarget;
    expect(stalled.peakQueuedBytes).toBeLessThanOrEqual(maxQueuedBytes + 65536);
    expect(stalled.queuedBytes).toBeLessThanOrEqual(maxQueuedBytes + 65536);
    expect(client.writableLength, 'the sender is held back, not the proxy buffering everything').toBeGreaterThan(0);
    const received: Buffer[] = [];
    let total = 0;
    const all = new Promise<void>((resolve) =>
      target.on('data', (d: Buffer) => {
        received.push(d);
        total += d.length;
        if (total >= data.length) resolve();
      }),
    );
    target.resume();
    await all;
    expect(Buffer.concat(received).equals(data)).toBe(true);
    expect(proxy.stats().clientToTarget.peakQueuedBytes).toBeLessThanOrEqual(maxQueuedBytes + 65536);
  });

  it('closing the proxy closes every connection it carries', async () => {
    const targetSockets: net.Socket[] = [];
    const port = await listen(
      net.createServer((s) => {
        targetSockets.push(s);
        s.on('error', () => {}).resume(); // reading, so it sees the proxy's close
      }),
    );
    const proxy = await startJitterProxy({ listenPort: 0, target: `127.0.0.1:${port}`, delayMs: 5, jitterMs: 5, mss: 1460 });
    const clients = await Promise.all([connect(proxy.port), connect(proxy.port), connect(proxy.port)]);
    const clientClosed = clients.map((c) => new Promise<void>((r) => c.on('error', () => {}).once('close', () => r())));
    for (const c of clients) c.write('x');
    await waitFor(() => targetSockets.length === 3, 'three connections to reach the target');
    expect(proxy.stats().connections.open).toBe(3);
    const targetClosed = targetSockets.map((s) => new Promise<void>((r) => s.once('close', () => r())));
    await proxy.close();
    await Promise.all([...clientClosed, ...targetClosed]);
    expect(proxy.stats().connections.open).toBe(0);
    await expect(connect(proxy.port)).rejects.toThrow(/ECONNREFUSED/);
    expect(typeof proxy.seed).toBe('number'); // drawn fresh when not given, and reported
  });

  it('rejects bad options with one-line errors', async () => {
    const base = { listenPort: 0, target: '127.0.0.1:1', delayMs: 1, jitterMs: 1, mss: 1460 };
    await expect(startJitterProxy({ ...base, mss: 0 })).rejects.toThrow(/mss: 0 must be a whole number of bytes from 1 to 65535/);
    await expect(startJitterProxy({ ...base, mss: 65536 })).rejects.toThrow(/mss/);
    await expect(startJitterProxy({ ...base, jitterMs: -1 })).rejects.toThrow(/jitter: -1ms must be from 0/);
    await expect(startJitterProxy({ ...base, delayMs: NaN })).rejects.toThrow(/delay/);
    await expect(startJitterProxy({ ...base, target: 'nohost' })).rejects.toThrow(/target: "nohost" is not host:port/);
    const taken = await startJitterProxy(base);
    cleanups.push(() => taken.close());
    await expect(startJitterProxy({ ...base, listenPort: taken.port })).rejects.toMatchObject({ code: 'PORT_IN_USE' });
  });
});

describe('jitter proxy: gRPC', () => {
  it('carries gRPC calls to a racelab counter server', async () => {
    const server = await startCounterServer({ variant: 'atomic', port: 0, delayMs: 0 });
    cleanups.push(() => server.close(100));
    const proxy = await startJitterProxy({ listenPort: 0, target: `127.0.0.1:${server.port}`, delayMs: 10, jitterMs: 5, mss: 1460 });
    cleanups.push(() => proxy.close());
    const client = counterClient(`127.0.0.1:${proxy.port}`);
    cleanups.push(() => client.close());
    for (let i = 0; i < 5; i++) {
      const r = await callUnary(client, 'Increment', {}, { deadlineMs: 10_000 });
      expect(r.error).toBeUndefined();
    }
    const t0 = performance.now();
    const value = await callUnary<object, { value: string | number }>(client, 'GetValue', {}, { deadlineMs: 10_000 });
    const rtt = performance.now() - t0;
    expect(Number(value.response?.value)).toBe(5);
    // One call on an open channel crosses the path twice: at least two delays.
    expect(rtt).toBeGreaterThanOrEqual(20);
    const stats = proxy.stats();
    expect(stats.connections.accepted).toBe(1);
    expect(stats.clientToTarget.bytes).toBeGreaterThan(0);
    expect(stats.targetToClient.bytes).toBeGreaterThan(0);
    expect(stats.targetToClient.addedDelayMs.min).toBeGreaterThanOrEqual(10);
    // Closing the channel ends the connection cleanly through the proxy, both ways, without a reset.
    client.close();
    await waitFor(() => proxy.stats().connections.open === 0, 'the gRPC connection to close');
    expect(proxy.stats().connections.reset).toBe(0);
  });
});
