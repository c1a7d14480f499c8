/**
 * A plain grpc-js Counter server built the way a user's own service would be: from the seed's proto text, with
 * @grpc/proto-loader and hand-written handlers, and nothing of racelab's server code. racelab attack must reach
 * the same verdicts against it as against racelab's own server.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { tempDir } from './tmp.js';

/** The seed's counter.proto, verbatim (test/fixtures/seed-counter.proto): no package, so the service is `Counter`. */
export const SEED_PROTO = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'seed-counter.proto'), 'utf8');

export const TLS_DIR = join(import.meta.dirname, '..', 'fixtures', 'tls');

/** Writes the seed's proto to a fresh temp folder and returns its path. */
export function writeSeedProto(): string {
  const dir = tempDir('racelab-seed-proto-');
  const file = join(dir, 'counter.proto');
  writeFileSync(file, SEED_PROTO);
  return file;
}

export interface PlainCounterOptions {
  variant: 'vulnerable' | 'mutex';
  delayMs: number;
  /** Serve grpc.reflection v1 and v1alpha, only v1alpha, or none. */
  reflection?: 'both' | 'v1alpha' | 'none';
  tls?: { requireClientCert?: boolean };
  grpcOptions?: grpc.ServerOptions;
}

export interface PlainCounter {
  readonly target: string;
  readonly protoFile: string;
  value(): number;
  /** The peer (client address:port) of every Increment so far, in arrival order: one per TCP connection. */
  incrementPeers(): string[];
  close(): Promise<void>;
}

export async function startPlainCounter(o: PlainCounterOptions): Promise<PlainCounter> {
  const protoFile = writeSeedProto();
  const pkg = protoLoader.loadSync(protoFile, { keepCase: true, defaults: true });
  const proto = grpc.loadPackageDefinition(pkg) as unknown as { Counter: { service: grpc.ServiceDefinition } };
  let value = 0;
  const peers: string[] = [];
  let lock: Promise<void> = Promise.resolve();
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const readWaitWrite = async (): Promise<void> => {
    const read = value;
    await sleep(o.delayMs);
    value = read + 1;
  };
  const server = new grpc.Server(o.grpcOptions ?? {});
  server.addService(proto.Counter.service, {
    Increment: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      peers.push(call.getPeer());
      const run = o.variant === 'mutex' ? (lock = lock.then(readWaitWrite)) : readWaitWrite();
      run.then(
        () => cb(null, {}),
        (e: Error) => cb(e),
      );
    },
    GetValue: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, { value }),
  });
  const reflection = o.reflection ?? 'both';
  if (reflection !== 'none') {
    const svc = new ReflectionService(pkg);
    svc.addToServer({
      addService: (def, impl) => {
        const path = Object.values(def)[0]?.path ?? '';
        if (reflection === 'both' || path.includes('v1alpha')) server.addService(def, impl);
      },
    });
  }
  const creds = o.tls
    ? grpc.ServerCredentials.createSsl(
        o.tls.requireClientCert ? readFileSync(join(TLS_DIR, 'ca.pem')) : null,
        [{ private_key: readFileSync(join(TLS_DIR, 'server.key')), cert_chain: readFileSync(join(TLS_DIR, 'server.pem')) }],
        Boolean(o.tls.requireClientCert),
      )
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  return {
    target: `127.0.0.1:${port}`,
    protoFile,
    value: () => value,
    incrementPeers: () => [...peers],
    close: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}
