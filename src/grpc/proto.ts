import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { RacelabError, messageOf } from '../core/errors.js';

/** proto-loader options shared by every racelab host: the seed's field names, int64 as strings. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** The `proto/` folder shipped with racelab (next to `dist/` and `src/`). */
export function builtinProtoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'counter.proto'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('racelab installation is incomplete: proto/counter.proto not found');
}

export function builtinProtoPath(name: string): string {
  return join(builtinProtoDir(), name);
}

export interface LoadedProto {
  readonly packageDefinition: protoLoader.PackageDefinition;
  readonly grpcObject: grpc.GrpcObject;
}

/** Loads a .proto file; a file that is missing or does not parse is bad input, named with the parser's reason. */
export function loadProto(file: string, includeDirs: string[] = []): LoadedProto {
  const path = resolve(file);
  if (!existsSync(path)) throw new RacelabError('BAD_PROTO', `${file} does not exist; pass the path of a .proto file`, { subject: 'proto' });
  try {
    const packageDefinition = protoLoader.loadSync(path, { ...LOADER_OPTIONS, includeDirs: [dirname(path), ...includeDirs] });
    return { packageDefinition, grpcObject: grpc.loadPackageDefinition(packageDefinition) };
  } catch (e) {
    throw new RacelabError('BAD_PROTO', `${file} does not parse: ${messageOf(e)}`, { subject: 'proto' });
  }
}

/** Finds a service by its full name (`Counter`, `pkg.Service`) in a loaded proto. */
export function serviceDefinition(proto: LoadedProto, fullName: string): grpc.ServiceDefinition {
  const entry = proto.packageDefinition[fullName.replace(/^\./, '')];
  if (!entry || !isServiceDefinition(entry)) {
    const services = Object.entries(proto.packageDefinition).filter(([, v]) => isServiceDefinition(v)).map(([k]) => k);
    throw new RacelabError('UNKNOWN_METHOD', `service ${fullName} is not in the proto; it has ${services.join(', ') || 'no services'}`);
  }
  return entry as grpc.ServiceDefinition;
}

function isServiceDefinition(v: unknown): boolean {
  if (!v || typeof v !== 'object' || 'format' in v) return false;
  return Object.values(v).every((m) => m && typeof m === 'object' && 'path' in m && 'requestSerialize' in m);
}
