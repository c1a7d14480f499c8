import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, describe, expect, it } from 'vitest';
import { runCounterClient, startCounterServer } from '../../src/scenarios/counter/index.js';

// The seed's proto text, loaded at run time: whatever racelab's own proto says, this is what the seed's
// generated clients and servers speak.
const seedProtoPath = fileURLToPath(new URL('../fixtures/seed-counter.proto', import.meta.url));

function loadSeed(): { Counter: grpc.ServiceClientConstructor } {
  const def = protoLoader.loadSync(seedProtoPath, { keepCase: true, defaults: true });
  return grpc.loadPackageDefinition(def) as unknown as { Counter: grpc.ServiceClientConstructor };
}

const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

describe('wire compatibility with the seed\'s proto', () => {
  it('the seed\'s proto text is racelab\'s, message for message', () => {
    const ours = readFileSync(fileURLToPath(new URL('../../proto/counter.proto', import.meta.url)), 'utf8');
    const strip = (s: string) => s.replace(/\/\/.*$/gm, '').replace(/\s+/g, ' ').trim();
    expect(strip(ours)).toBe(strip(readFileSync(seedProtoPath, 'utf8')));
  });

  it('a client built from the seed\'s proto calls racelab\'s server at /Counter/Increment', async () => {
    const server = await startCounterServer({ variant: 'mutex', delayMs: 0 });
    closers.push(() => server.close(200));
    const { Counter } = loadSeed();
    expect(Counter.service.Increment?.path).toBe('/Counter/Increment');
    const client = new Counter(server.target, grpc.credentials.createInsecure());
    closers.push(() => client.close());
    const call = (method: string) =>
      new Promise<{ value?: number }>((resolve, reject) =>
        (client as unknown as Record<string, (req: object, cb: (e: Error | null, r: { value?: number }) => void) => void>)[method]!({}, (e, r) => (e ? reject(e) : resolve(r))),
      );
    for (let i = 0; i < 3; i++) await call('Increment');
    expect((await call('GetValue')).value).toBe(3);
  });

  it('racelab\'s client calls a plain grpc-js server built from the seed\'s proto', async () => {
    const { Counter } = loadSeed();
    let value = 0;
    const server = new grpc.Server();
    server.addService(Counter.service, {
      Increment: (_call: unknown, cb: grpc.sendUnaryData<object>) => {
        value += 1;
        cb(null, {});
      },
      GetValue: (_call: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { value }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    closers.push(() => void server.forceShutdown());
    const result = await runCounterClient({ target: `127.0.0.1:${port}`, increments: 7 });
    expect(result.acknowledged).toBe(7);
    expect(result.value).toBe(7);
    expect(value).toBe(7);
  });
});
