import { afterEach, describe, expect, it } from 'vitest';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { grpcFrame, requestHeaderPairs, type UnaryResult } from '../../src/burst/h2-call.js';
import { WireSession } from '../../src/burst/h2-wire.js';
import type { BurstTransport } from '../../src/burst/sync-policy.js';
import { connectSocket } from '../../src/grpc/transport.js';
import { status } from '../../src/grpc/status.js';

// The flood's HTTP/2 client against Node's own HTTP/2 server (nghttp2), set up to use what a plain gRPC server
// rarely does: padding, tiny flow-control windows, header blocks split over CONTINUATION frames, PING, and
// answers that never come. test/burst/flood.test.ts runs the same client against grpc-js servers.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

interface Seen {
  paths: string[];
  metadataBytes: number[];
  cancelled: number;
}

/** An HTTP/2 server answering like gRPC: the request echoed, the path in a trailer, `onStream` before answering. */
async function h2Server(options: http2.ServerOptions, answer?: (stream: http2.ServerHttp2Stream, body: Buffer, headers: http2.IncomingHttpHeaders) => boolean): Promise<{ target: string; seen: Seen; server: http2.Http2Server }> {
  const seen: Seen = { paths: [], metadataBytes: [], cancelled: 0 };
  const server = http2.createServer(options);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    // A stream the client resets, or one the server's GOAWAY left out, errors: that is what the tests make happen.
    stream.on('error', () => undefined);
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('close', () => {
      if (stream.rstCode === http2.constants.NGHTTP2_CANCEL) seen.cancelled++;
    });
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.paths.push(String(headers[':path']));
      seen.metadataBytes.push(String(headers['x-big'] ?? '').length);
      if (answer?.(stream, body, headers) === false) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-path': String(headers[':path']) }));
      stream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { target: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const transportTo = (target: string, extra: Partial<BurstTransport> = {}): BurstTransport => ({ target, metadata: [], deadlineMs: 5000, connectTimeoutMs: 3000, ...extra });

async function session(t: BurstTransport): Promise<WireSession> {
  const s = await WireSession.open(t, await connectSocket(t, t.connectTimeoutMs));
  closers.unshift(() => s.close(200));
  return s;
}

function call(s: WireSession, t: BurstTransport, path: string, message: Buffer): Promise<UnaryResult> {
  return new Promise((resolve, reject) => {
    if (!s.call(path, requestHeaderPairs(t, path, 'test'), grpcFrame(message), resolve)) reject(new Error('session refused the call'));
  });
}

describe('HTTP/2 by hand (the flood\'s transport)', () => {
  it('sends a request larger than the server\'s windows and reads a padded answer larger than one frame', async () => {
    const { target } = await h2Server({ settings: { initialWindowSize: 1000 }, paddingStrategy: http2.constants.PADDING_STRATEGY_MAX });
    const t = transportTo(target);
    const s = await session(t);
    expect(s.settings.initialWindowSize).toBe(1000);
    const big = Buffer.alloc(100_000, 7);
    big.write('first', 0);
    big.write('last', big.length - 4);
    const results = await Promise.all([call(s, t, '/t.T/Big', big), call(s, t, '/t.T/Small', Buffer.from('tiny'))]);
    expect(results.map((r) => r.code)).toEqual([status.OK, status.OK]);
    expect(results[0]?.response?.equals(big)).toBe(true);
    expect(results[1]?.response?.toString()).toBe('tiny');
  });

  it('splits a header block over CONTINUATION frames, and reads one so split', async () => {
    const { target, seen } = await h2Server({ maxHeaderListPairs: 4096, maxSendHeaderBlockLength: 200_000, settings: { maxHeaderListSize: 200_000 } }, (stream, body) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      // A 40 KB trailer: more than two 16 KB frames of header block.
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '3', 'grpc-message': `big%20${'m'.repeat(40_000)}` }));
      stream.end(body);
      return false;
    });
    const t = transportTo(target, { metadata: [['x-big', 'b'.repeat(40_000)]] });
    const s = await session(t);
    const r = await call(s, t, '/t.T/Headers', Buffer.from('x'));
    expect(r.code).toBe(status.INVALID_ARGUMENT);
    expect(r.details).toBe(`big ${'m'.repeat(40_000)}`);
    expect(seen.metadataBytes).toEqual([40_000]);
  });

  it('indexes request headers in the server\'s table and stays in step with it while entries are evicted', async () => {
    const { target, seen } = await h2Server({}, (stream, body, headers) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-path': String(headers[':path']) }));
      stream.end(body);
      return false;
    });
    const t = transportTo(target, { metadata: [['x-tenant', 't1']] });
    const s = await session(t);
    // Twelve paths of about 400 bytes: four fit in a 4,096-byte table, so cycling over them evicts all the time;
    // each path is sent several times in a row too, so most blocks are indexes only.
    const paths = Array.from({ length: 12 }, (_, i) => `/t.T/${String(i).padStart(2, '0')}${'p'.repeat(400)}`);
    const order: string[] = [];
    for (let round = 0; round < 3; round++) for (const p of paths) for (let k = 0; k < 3; k++) order.push(p);
    const results = await Promise.all(order.map((p) => call(s, t, p, Buffer.from(p.slice(5, 7)))));
    expect(results.every((r) => r.code === status.OK)).toBe(true);
    expect([...seen.paths].sort()).toEqual([...order].sort());
    expect(results.map((r) => r.response?.toString())).toEqual(order.map((p) => p.slice(5, 7)));
  });

  it('answers the server\'s PING', async () => {
    const { target, server } = await h2Server({});
    const pinged = new Promise<number>((resolve, reject) => {
      server.once('session', (sess) => {
        sess.once('remoteSettings', () => sess.ping((e, ms) => (e ? reject(e) : resolve(ms))));
      });
    });
    const t = transportTo(target);
    const s = await session(t);
    expect(await pinged).toBeGreaterThanOrEqual(0);
    expect((await call(s, t, '/t.T/After', Buffer.from('ok'))).code).toBe(status.OK);
  });

  it('cancels a call at its deadline (RST_STREAM CANCEL) and reports DEADLINE_EXCEEDED, the session still usable', async () => {
    const { target, seen } = await h2Server({}, (_stream, body) => body.toString('latin1', 5) !== 'hang');
    // The session's deadline is every call's: wide enough that the calls the server answers at once beat it on a
    // loaded machine too.
    const t = transportTo(target, { deadlineMs: 500 });
    const s = await session(t);
    const t0 = performance.now();
    const [hung, fine] = await Promise.all([call(s, t, '/t.T/Hang', Buffer.from('hang')), call(s, t, '/t.T/Fine', Buffer.from('fine'))]);
    expect(hung.code).toBe(status.DEADLINE_EXCEEDED);
    expect(hung.details).toBe('deadline of 500ms exceeded');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(495);
    expect(fine.code).toBe(status.OK);
    await expect.poll(() => seen.cancelled).toBe(1);
    expect(s.usable).toBe(true);
    expect((await call(s, t, '/t.T/Again', Buffer.from('again'))).code).toBe(status.OK);
  });

  it('ends the calls the server did not handle when it says GOAWAY, and takes no new call', async () => {
    const held: http2.ServerHttp2Stream[] = [];
    const { target } = await h2Server({}, (stream) => {
      held.push(stream);
      if (held.length === 2) {
        // GOAWAY naming the first stream as the last one handled: the second call was not.
        const first = held[0] as http2.ServerHttp2Stream;
        stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, first.id);
        first.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        first.on('wantTrailers', () => first.sendTrailers({ 'grpc-status': '0' }));
        first.end(grpcFrame(Buffer.from('done')));
      }
      return false;
    });
    const t = transportTo(target);
    const s = await session(t);
    const [a, b] = await Promise.all([call(s, t, '/t.T/A', Buffer.from('a')), call(s, t, '/t.T/B', Buffer.from('b'))]);
    expect(a.code).toBe(status.OK);
    expect(a.response?.toString()).toBe('done');
    expect(b.code).toBe(status.UNAVAILABLE);
    expect(b.details).toMatch(/GOAWAY \(code 0\) before handling it/);
    expect(s.usable).toBe(false);
  });

  it('refuses a server that does not speak HTTP/2, at once, with the reason', async () => {
    // resume(): the server reads, so it sees racelab close the connection.
    const plain = net.createServer((c) => c.resume().end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => plain.close(() => resolve())));
    const t = transportTo(`127.0.0.1:${(plain.address() as AddressInfo).port}`);
    const t0 = performance.now();
    await expect(WireSession.open(t, await connectSocket(t, 1000))).rejects.toMatchObject({ code: 'NOT_GRPC', message: expect.stringMatching(/did not start an HTTP\/2 session \(HTTP\/2 protocol error from the server: a \d+-byte frame/) });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
