import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

export interface PlainServer {
  target: string;
  close(): Promise<void>;
}

/**
 * A service of one of racelab's scenario protos written the way a team would, with grpc-js and nothing of
 * racelab's server code: `handlers` are async functions of the request (a thrown `{ code }` is the status), and
 * reflection is served with @grpc/reflection, as a real service might.
 */
export async function startPlainServer(protoFile: string, service: string, handlers: Record<string, (request: never) => Promise<unknown>>): Promise<PlainServer> {
  const definition = protoLoader.loadSync(join(import.meta.dirname, '../../proto', protoFile), { keepCase: true, longs: String, enums: String, defaults: true });
  const ctor = service.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], grpc.loadPackageDefinition(definition)) as grpc.ServiceClientConstructor;
  const server = new grpc.Server();
  server.addService(
    ctor.service,
    Object.fromEntries(
      Object.entries(handlers).map(([name, fn]) => [
        name,
        (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>): void => {
          fn(call.request as never).then(
            (r) => cb(null, r),
            (e: grpc.ServiceError) => cb(e),
          );
        },
      ]),
    ),
  );
  new ReflectionService(definition).addToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { target: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

export const pause = (ms = 60): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const refuse = (code: grpc.status, message: string): Error => Object.assign(new Error(message), { code });
