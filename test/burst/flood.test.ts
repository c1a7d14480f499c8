import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { runFlood, type FloodOptions } from '../../src/burst/flood.js';
import { grpcStatusOfHttp } from '../../src/burst/h2-call.js';
import type { CallOutcome } from '../../src/burst/call.js';
import type { BurstTransport } from '../../src/burst/sync-policy.js';
import { loadTlsMaterial } from '../../src/grpc/transport.js';
import { isUnknownOutcome, status } from '../../src/grpc/status.js';
import { TLS_DIR } from '../helpers/plain-counter.js';

const raw = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
});

/** Request byte 0 of /t.T/Answer picks the answer: the status code to return (0: echo the request). */
interface TestServer {
  readonly target: string;
  readonly seen: { metadata: grpc.Metadata[]; peers: Set<string>; slowCalls: number };
  close(): Promise<void>;
  /** Cuts every connection at once (a server that crashes). */
  force(): void;
  /** /t.T/Slow calls from now on answer no sooner than `until` settles (and 150 ms after they arrive). */
  holdSlow(until: Promise<unknown>): void;
}

async function startServer(tls?: 'tls' | 'mtls'): Promise<TestServer> {
  const seen = { metadata: [] as grpc.Metadata[], peers: new Set<string>(), slowCalls: 0 };
  let slowGate: Promise<unknown> = Promise.resolve();
  const server = new grpc.Server();
  server.addService(
    { Answer: raw('/t.T/Answer'), Slow: raw('/t.T/Slow') },
    {
      Answer: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        seen.metadata.push(call.metadata);
        seen.peers.add(call.getPeer());
        const code = call.request[0] ?? 0;
        if (code === 0) cb(null, call.request);
        else cb({ code, details: `refused: ü ${code}` });
      },
      // Answers after 150 ms (and once the gate, if any, has settled): calls stay in flight long enough to be aborted.
      Slow: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        seen.slowCalls++;
        const gate = slowGate;
        const answer = (): void => cb(null, call.request);
        setTimeout(() => void gate.then(answer, answer), 150);
      },
    },
  );
  const creds = tls
    ? grpc.ServerCredentials.createSsl(
        tls === 'mtls' ? readFileSync(join(TLS_DIR, 'ca.pem')) : null,
        [{ private_key: readFileSync(join(TLS_DIR, 'server.key')), cert_chain: readFileSync(join(TLS_DIR, 'server.pem')) }],
        tls === 'mtls',
      )
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  return { target: `127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())), force: () => server.forceShutdown(), holdSlow: (until) => void (slowGate = until) };
}

const transportTo = (target: string, extra: Partial<BurstTransport> = {}): BurstTransport => ({ target, metadata: [], deadlineMs: 5000, connectTimeoutMs: 3000, ...extra });
const calls =
  (path: string, request: (i: number) => Buffer): FloodOptions['makeCall'] =>
  (index, client) => ({ index, client, path, request: request(index), offsetMicros: 0 });

/** `makeCall` and `onOutcome` for one request on `path` that count the calls in flight at the client, and the most at once. */
function countedCalls(path: string, request: Buffer): Pick<FloodOptions, 'makeCall' | 'onOutcome'> & { most(): number } {
  let open = 0;
  let most = 0;
  const make = calls(path, () => request);
  return {
    makeCall: (index, client) => {
      most = Math.max(most, ++open);
      return make(index, client);
    },
    onOutcome: () => {
      open--;
    },
    most: () => most,
  };
}

/** The client-side sockets and timers of this process, by kind: what a flood must give back when it ends. */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (/TCP|TLS|Timeout/.test(r)) out[r] = (out[r] ?? 0) + 1;
  return out;
}
const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The handles once the previous test's have gone (the same twice, 50 ms apart). */
async function settledHandles(): Promise<Record<string, number>> {
  let prev = '';
  for (let i = 0; i < 40; i++) {
    const now = JSON.stringify(handles());
    if (now === prev) break;
    prev = now;
    await tick(50);
  }
  return handles();
}
/** Kinds of handle of which there are more than `before` (a socket or timer left behind), once closing has run. */
async function leftOver(before: Record<string, number>): Promise<Record<string, number>> {
  // A closed socket's handle goes on a later turn of the loop; the server side closes on the client's GOAWAY.
  const extra = (): Record<string, number> =>
    Object.fromEntries(Object.entries(handles()).filter(([k, n]) => n > (before[k] ?? 0)));
  for (let i = 0; i < 50 && Object.keys(extra()).length > 0; i++) await tick(20);
  return extra();
}

describe('flood over node:http2', () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startServer();
  });
  afterAll(async () => {
    await plain?.close();
  });

  it('sends every scheduled call at a fixed rate over the given connections, with the metadata, and reads the values back', async () => {
    const outcomes: CallOutcome[] = [];
    const metadata: Array<[string, string]> = [
      ['x-tenant', 'a'],
      ['x-tenant', 'b'],
      ['trace-bin', Buffer.from([0, 1, 254]).toString('base64')],
    ];
    const r = await runFlood({
      transport: transportTo(plain.target, { metadata }),
      rate: 200,
      durationMs: 300,
      connections: 3,
      concurrency: 100,
      makeCall: calls('/t.T/Answer', (i) => Buffer.from([0, i % 256])),
      onOutcome: (o) => outcomes.push(o),
    });
    expect(r).toMatchObject({ sent: 60, completed: 60, skipped: 0, ok: 60, failed: 0, unknown: 0 });
    expect(r.latenciesMs).toHaveLength(60);
    // Each call's own response: the server echoes the request.
    for (const o of outcomes) expect(o.response).toEqual(Buffer.from([0, o.index % 256]));
    expect(new Set(outcomes.map((o) => o.client))).toEqual(new Set([0, 1, 2]));
    expect(plain.seen.peers.size).toBe(3);
    const md = plain.seen.metadata.at(-1) as grpc.Metadata;
    expect(md.get('trace-bin')).toEqual([Buffer.from([0, 1, 254])]);
    expect(md.get('user-agent')[0]).toMatch(/racelab-flood/);
    // A repeated key arrives as a grpc-js client's would (Node's server joins repeated headers: 'a, b').
    const viaGrpcJs = new grpc.Client(plain.target, grpc.credentials.createInsecure());
    try {
      const gmd = new grpc.Metadata();
      gmd.add('x-tenant', 'a');
      gmd.add('x-tenant', 'b');
      await new Promise((resolve) => viaGrpcJs.makeUnaryRequest('/t.T/Answer', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0]), gmd, resolve));
    } finally {
      viaGrpcJs.close();
    }
    expect(md.get('x-tenant')).toEqual((plain.seen.metadata.at(-1) as grpc.Metadata).get('x-tenant'));
    expect(md.get('x-tenant').join()).toMatch(/a.*b/);
  });

  it('counts each gRPC error by code with its decoded message, and asks grpc/status which are unknown outcomes', async () => {
    const codes = [status.OK, status.NOT_FOUND, status.ABORTED, status.INVALID_ARGUMENT];
    const r = await runFlood({
      transport: transportTo(plain.target),
      rate: 400,
      durationMs: 100,
      connections: 1,
      concurrency: 100,
      makeCall: calls('/t.T/Answer', (i) => Buffer.from([codes[i % codes.length] as number])),
    });
    expect(r.completed).toBe(40);
    expect([...r.outcomesByCode.keys()].sort((a, b) => a - b)).toEqual([...codes].sort((a, b) => a - b));
    for (const c of codes) expect(r.outcomesByCode.get(c)?.count).toBe(10);
    expect(r.outcomesByCode.get(status.NOT_FOUND)?.example).toBe(`refused: ü ${status.NOT_FOUND}`);
    expect(r.ok).toBe(10);
    expect(r.unknown).toBe(codes.filter((c) => c !== status.OK && isUnknownOutcome(c)).length * 10);
    expect(r.failed).toBe(codes.filter((c) => c !== status.OK && !isUnknownOutcome(c)).length * 10);
  });

  it('runs closed-loop at max rate with `concurrency` calls in flight, and gives back every socket and timer', async () => {
    const before = await settledHandles();
    const counted = countedCalls('/t.T/Answer', Buffer.from([0]));
    const r = await runFlood({ transport: transportTo(plain.target), rate: 'max', durationMs: 1000, connections: 1, concurrency: 8, makeCall: counted.makeCall, onOutcome: counted.onOutcome });
    expect(r.completed).toBe(r.sent);
    expect(r.ok).toBe(r.sent);
    // Closed loop: each answer sends the next call, so far more than one wave of 8 goes out in a second (hundreds
    // on a quiet machine; in 300 ms, a loaded machine once turned the loop over only twice: 16 calls).
    expect(r.sent).toBeGreaterThan(3 * 8);
    expect(counted.most()).toBe(8);
    expect(await leftOver(before)).toEqual({});
  });

  it('stops on abort: no new call, the ones in flight complete, the sessions close, no handle is left', async () => {
    const before = await settledHandles();
    const ac = new AbortController();
    const slowBefore = plain.seen.slowCalls;
    // Abort while the first wave is in flight: once the server has seen all 10, however long a loaded machine takes
    // to connect and send them (the two connections' calls may arrive far apart); the server answers none of them
    // before the abort.
    const aborted = vi
      .waitFor(
        () => {
          if (plain.seen.slowCalls - slowBefore < 10) throw new Error('the first wave never reached the server');
        },
        { timeout: 10_000, interval: 5 },
      )
      .then(() => ac.abort());
    plain.holdSlow(aborted);
    const t0 = performance.now();
    const r = await runFlood({
      transport: transportTo(plain.target),
      rate: 'max',
      durationMs: 30_000,
      connections: 2,
      concurrency: 10,
      makeCall: calls('/t.T/Slow', () => Buffer.alloc(0)),
      signal: ac.signal,
    });
    await aborted;
    expect(performance.now() - t0).toBeLessThan(2000);
    // One wave of 10 went out and was answered after the abort: nothing after it.
    expect(r).toMatchObject({ sent: 10, completed: 10, ok: 10 });
    expect(plain.seen.slowCalls - slowBefore).toBe(10);
    expect(await leftOver(before)).toEqual({});
  });

  it('keeps within the server\'s MAX_CONCURRENT_STREAMS', async () => {
    const server = new grpc.Server({ 'grpc.max_concurrent_streams': 3 });
    let open = 0;
    let most = 0;
    server.addService({ Slow: raw('/t.T/Slow') }, {
      Slow: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        most = Math.max(most, ++open);
        setTimeout(() => {
          open--;
          cb(null, call.request);
        }, 20);
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    try {
      // Past the limit http2 would queue streams client-side (the server would still see 3): count at the client.
      const counted = countedCalls('/t.T/Slow', Buffer.alloc(0));
      const r = await runFlood({ transport: transportTo(`127.0.0.1:${port}`), rate: 'max', durationMs: 200, connections: 1, concurrency: 20, makeCall: counted.makeCall, onOutcome: counted.onOutcome });
      expect(r.failed + r.unknown).toBe(0);
      expect(r.completed).toBeGreaterThan(0);
      expect(counted.most()).toBe(3);
      expect(most).toBe(3);
    } finally {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    }
  });

  it('when the server goes away, counts the calls as UNAVAILABLE (unknown), redials at most once a second, and ends on time', async () => {
    const server = await startServer();
    const before = await settledHandles();
    // The server goes away once it has seen a sixth call: closed-loop over five lanes, one of them has then had an
    // answer (an ok), however long a loaded machine takes to connect.
    let cut = false;
    const going = vi
      .waitFor(
        () => {
          if (server.seen.metadata.length <= 5) throw new Error('the flood never reached the server');
        },
        { timeout: 10_000, interval: 5 },
      )
      .then(() => {
        server.force();
        cut = true;
      });
    const t0 = performance.now();
    const r = await runFlood({ transport: transportTo(server.target), rate: 'max', durationMs: 1200, connections: 1, concurrency: 5, makeCall: calls('/t.T/Answer', () => Buffer.from([0])) });
    await going;
    expect(cut).toBe(true);
    // The last backoff is cut short at the end: not duration + a second.
    expect(performance.now() - t0).toBeLessThan(1900);
    expect(r.ok).toBeGreaterThan(0);
    expect(r.completed).toBe(r.sent);
    expect(r.failed).toBe(0);
    expect(r.outcomesByCode.get(status.UNAVAILABLE)?.count).toBe(r.unknown);
    // Five lanes, each waiting out a redial and its one-second backoff: a handful of calls, not a busy loop.
    expect(r.unknown).toBeGreaterThanOrEqual(5);
    expect(r.unknown).toBeLessThanOrEqual(20);
    expect(await leftOver(before)).toEqual({});
  });

  describe('TLS', () => {
    const tlsFiles = { ca: join(TLS_DIR, 'ca.pem') };
    const clientCert = { cert: join(TLS_DIR, 'client.pem'), key: join(TLS_DIR, 'client.key') };

    it('floods a TLS server, and a mutual-TLS one with a client certificate, metadata included', async () => {
      for (const mode of ['tls', 'mtls'] as const) {
        const server = await startServer(mode);
        try {
          const tls = loadTlsMaterial(mode === 'mtls' ? { ...tlsFiles, ...clientCert } : tlsFiles);
          const r = await runFlood({
            transport: transportTo(server.target, { tls, metadata: [['x-mode', mode]] }),
            rate: 100,
            durationMs: 200,
            connections: 1,
            // As many as the run's 20 calls: however slow a loaded machine makes them, or however many fall due at
            // once after a stalled timer, none is skipped for want of a free slot.
            concurrency: 20,
            makeCall: calls('/t.T/Answer', () => Buffer.from([0])),
          });
          expect(r).toMatchObject({ sent: 20, ok: 20 });
          expect(server.seen.metadata[0]?.get('x-mode')).toEqual([mode]);
        } finally {
          await server.close();
        }
      }
    });

    it('refuses to start against a mutual-TLS server without a client certificate, and leaves nothing open', async () => {
      const server = await startServer('mtls');
      const before = await settledHandles();
      try {
        const t0 = Date.now();
        const flood = runFlood({
          // The server's alert after the TLS 1.3 handshake ends the wait for its SETTINGS at once, not the timeout.
          transport: transportTo(server.target, { tls: loadTlsMaterial(tlsFiles), connectTimeoutMs: 5000 }),
          rate: 100,
          durationMs: 200,
          connections: 1,
          concurrency: 10,
          makeCall: calls('/t.T/Answer', () => Buffer.from([0])),
        });
        await expect(flood).rejects.toThrow(/refused the connection \(tlsv13 alert certificate required\); if it wants a client certificate, pass `cert` and `key`/);
        expect(Date.now() - t0).toBeLessThan(4000);
        expect(server.seen.metadata).toHaveLength(0);
        expect(await leftOver(before)).toEqual({});
      } finally {
        await server.close();
      }
    });
  });

  describe('responses without a gRPC status', () => {
    let h2: http2.Http2Server;
    let target = '';
    beforeAll(async () => {
      // A plain HTTP/2 server standing where the gRPC server should be (a proxy's error page, a wrong port).
      h2 = http2.createServer();
      h2.on('stream', (stream, headers) => {
        const path = String(headers[':path']);
        if (path === '/hang') return; // never answers
        const code = Number(path.slice(1));
        stream.respond({ ':status': code, 'content-type': code === 200 ? 'application/grpc' : 'text/plain' });
        stream.end(code === 200 ? Buffer.alloc(0) : 'not gRPC');
      });
      await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
      const addr = h2.address();
      target = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => h2.close(resolve));
    });

    it('maps the HTTP status as grpc\'s http-grpc-status-mapping says (200 without grpc-status is UNKNOWN)', async () => {
      const paths = ['/200', '/400', '/401', '/403', '/404', '/429', '/502', '/503', '/504', '/500'];
      const seen = new Map<string, number>();
      const r = await runFlood({
        transport: transportTo(target),
        rate: 1000,
        durationMs: 10,
        connections: 1,
        concurrency: 100,
        makeCall: (index, client) => ({ index, client, path: paths[index] as string, request: Buffer.alloc(0), offsetMicros: 0 }),
        onOutcome: (o) => seen.set(o.path, o.code),
      });
      expect(r.completed).toBe(10);
      expect(Object.fromEntries(seen)).toEqual({
        '/200': status.UNKNOWN,
        '/400': status.INTERNAL,
        '/401': status.UNAUTHENTICATED,
        '/403': status.PERMISSION_DENIED,
        '/404': status.UNIMPLEMENTED,
        '/429': status.UNAVAILABLE,
        '/502': status.UNAVAILABLE,
        '/503': status.UNAVAILABLE,
        '/504': status.UNAVAILABLE,
        '/500': status.UNKNOWN,
      });
      expect(r.ok).toBe(0);
      expect(r.unknown).toBe(paths.filter((p) => isUnknownOutcome(grpcStatusOfHttp(Number(p.slice(1))))).length);
      expect(r.outcomesByCode.get(status.UNAVAILABLE)?.example).toMatch(/HTTP (429|502|503|504) without a gRPC status/);
    });

    it('gives up on a call at its deadline: DEADLINE_EXCEEDED, an unknown outcome', async () => {
      const r = await runFlood({
        transport: transportTo(target, { deadlineMs: 100 }),
        rate: 100,
        durationMs: 20,
        connections: 1,
        concurrency: 10,
        makeCall: calls('/hang', () => Buffer.alloc(0)),
      });
      expect(r).toMatchObject({ sent: 2, completed: 2, ok: 0, failed: 0, unknown: 2 });
      expect(r.outcomesByCode.get(status.DEADLINE_EXCEEDED)).toEqual({ count: 2, example: 'deadline of 100ms exceeded' });
      expect(Math.min(...r.latenciesMs)).toBeGreaterThanOrEqual(99);
    });
  });

  it('names the target when nothing listens there', async () => {
    const closed = http2.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const addr = closed.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      runFlood({ transport: transportTo(`127.0.0.1:${port}`), rate: 10, durationMs: 100, connections: 1, concurrency: 1, makeCall: calls('/t.T/Answer', () => Buffer.alloc(0)) }),
    ).rejects.toThrow(new RegExp(`127.0.0.1:${port}`));
  });
});
