import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcInterceptor, monitoredStore, raceMonitor, type MonitoredRequest } from '../../src/monitor/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { writeSeedProto } from '../helpers/plain-counter.js';

type Proto = { Counter: grpc.ServiceClientConstructor & { service: grpc.ServiceDefinition } };

let server: grpc.Server | undefined;
let client: grpc.Client | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  if (server) await new Promise<void>((r) => server!.tryShutdown(() => r()));
  server = undefined;
});

/**
 * A user's own grpc-js Counter (the seed's vulnerable read, wait, write) under the monitor's interceptor, its
 * handler naming its request itself: `monitor.requestOf(call)` and a Store made for that request.
 */
async function plainMonitoredCounter(asyncContext: boolean) {
  const monitor = raceMonitor();
  const store = new MemoryStore();
  const proto = grpc.loadPackageDefinition(protoLoader.loadSync(writeSeedProto(), { keepCase: true, defaults: true })) as unknown as Proto;
  const seenInHandler: Array<MonitoredRequest | undefined> = [];
  const named: Array<MonitoredRequest | undefined> = [];
  server = new grpc.Server({ interceptors: [grpcInterceptor(monitor, { asyncContext })] });
  server.addService(proto.Counter.service, {
    Increment: (call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) => {
      const request = monitor.requestOf(call);
      named.push(request);
      const seen = monitoredStore(store, monitor, request);
      void (async () => {
        const v = await seen.get('counter');
        await new Promise((r) => setTimeout(r, 40));
        seenInHandler.push(monitor.current());
        await seen.set('counter', v + 1);
      })().then(() => done(null, {}), (e: Error) => done(e));
    },
    GetValue: (_call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) => void store.get('counter').then((value) => done(null, { value })),
  });
  const port = await new Promise<number>((resolve, reject) => server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  client = new proto.Counter(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) => (client as unknown as Record<string, (req: object, cb: (e: Error | null, r: unknown) => void) => void>)[method]!({}, (e, r) => (e ? reject(e) : resolve(r))));
  return { monitor, store, seenInHandler, named, call };
}

describe('the race monitor with requests named explicitly', () => {
  it('asyncContext false: no async context in the handler, and the request it names sees the lost updates', async () => {
    const c = await plainMonitoredCounter(false);
    await Promise.all(Array.from({ length: 5 }, () => c.call('Increment')));
    const value = await c.store.get('counter');
    const lost = 5 - value;
    expect(lost).toBeGreaterThan(0); // five reads 40 ms before their writes, at once: all but one are lost
    // The handler ran outside any async context of the monitor's, yet every request was found by its call.
    expect(c.seenInHandler).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(c.named.every((r) => r !== undefined && r.method === '/Counter/Increment')).toBe(true);
    expect(new Set(c.named.map((r) => r!.id)).size).toBe(5);
    expect(c.monitor.counts.untracked).toBe(0);
    expect(c.monitor.counts.suspectedLostUpdates).toBe(lost);
  });

  it('asyncContext true (the default): the handler runs in its request, which requestOf names too', async () => {
    const c = await plainMonitoredCounter(true);
    await Promise.all(Array.from({ length: 3 }, () => c.call('Increment')));
    expect(c.seenInHandler.map((r) => r?.id).sort()).toEqual(c.named.map((r) => r!.id).sort());
    expect(c.monitor.counts.suspectedLostUpdates).toBe(3 - (await c.store.get('counter')));
  });

  it('a client-streaming handler runs in its request from the start (grpc-js calls it when the metadata arrives), and so does each message', async () => {
    const monitor = raceMonitor();
    const json = { serialize: (v: unknown) => Buffer.from(JSON.stringify(v)), deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown };
    const def: grpc.ServiceDefinition = {
      Sum: { path: '/t.Adder/Sum', requestStream: true, responseStream: false, requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize, originalName: 'sum' },
    };
    const atStart: Array<string | undefined> = [];
    const inData: Array<string | undefined> = [];
    const named: Array<string | undefined> = [];
    server = new grpc.Server({ interceptors: [grpcInterceptor(monitor)] });
    server.addService(def, {
      Sum: (call: grpc.ServerReadableStream<{ n: number }, unknown>, done: grpc.sendUnaryData<unknown>) => {
        atStart.push(monitor.current()?.id);
        named.push(monitor.requestOf(call)?.id);
        let sum = 0;
        call.on('data', (m: { n: number }) => {
          inData.push(monitor.current()?.id);
          sum += m.n;
        });
        call.on('end', () => done(null, { sum }));
      },
    });
    const port = await new Promise<number>((resolve, reject) => server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const Adder = grpc.makeGenericClientConstructor(def, 'Adder');
    client = new Adder(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const reply = await new Promise<unknown>((resolve, reject) => {
      const stream = (client as unknown as { Sum: (cb: (e: Error | null, r: unknown) => void) => grpc.ClientWritableStream<unknown> }).Sum((e, r) => (e ? reject(e) : resolve(r)));
      stream.write({ n: 2 });
      stream.write({ n: 3 });
      stream.end();
    });
    expect(reply).toEqual({ sum: 5 });
    expect(named).toHaveLength(1);
    expect(named[0]).toBeDefined();
    expect(atStart).toEqual(named);
    expect(inData).toEqual([named[0], named[0]]);
  });

  it('requestOf a call the interceptor never saw is undefined: its reads and writes count as untracked', () => {
    const m = raceMonitor();
    expect(m.requestOf(new grpc.Metadata())).toBeUndefined();
    expect(m.requestOf({ metadata: new grpc.Metadata() })).toBeUndefined();
    m.write('k', 1, m.requestOf(new grpc.Metadata()));
    expect(m.counts.untracked).toBe(1);
  });
});
