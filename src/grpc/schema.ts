import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { RacelabError, messageOf } from '../core/errors.js';

/**
 * What racelab needs to call one method of any service: its wire path and its message types. It comes from a
 * .proto file or from server reflection; either way the types are protobufjs Types, so request JSON can be
 * checked field by field and responses decoded for invariants.
 */
export interface MethodSchema {
  /** Full service name without a leading dot: `Counter`, `shop.Coupons`. */
  readonly service: string;
  readonly name: string;
  /** The HTTP/2 path: `/Counter/Increment`. */
  readonly path: string;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

export interface ServiceSchema {
  /** Where the types came from, for the report: `proto file counter.proto`, `server reflection (v1)`. */
  readonly source: string;
  readonly root: protobuf.Root;
  /** Every method by path. */
  readonly methods: ReadonlyMap<string, MethodSchema>;
}

/** Builds the method index of a resolved protobufjs root. */
export function schemaFromRoot(root: protobuf.Root, source: string): ServiceSchema {
  const methods = new Map<string, MethodSchema>();
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Service) {
        const service = nested.fullName.replace(/^\./, '');
        for (const m of nested.methodsArray) {
          m.resolve();
          if (!m.resolvedRequestType || !m.resolvedResponseType) continue;
          const path = `/${service}/${m.name}`;
          methods.set(path, {
            service,
            name: m.name,
            path,
            requestType: m.resolvedRequestType,
            responseType: m.resolvedResponseType,
            requestStream: Boolean(m.requestStream),
            responseStream: Boolean(m.responseStream),
          });
        }
      }
      if (nested instanceof protobuf.Namespace) visit(nested);
    }
  };
  visit(root);
  return { source, root, methods };
}

/**
 * Loads .proto files with protobufjs, keeping the fields' own names (as the seed's Python client sees them).
 * Imports resolve against the file's folder, then each `-I` folder; `google/protobuf/*.proto` are built in.
 */
export function loadSchemaFromProto(files: readonly string[], includeDirs: readonly string[] = []): ServiceSchema {
  if (files.length === 0) throw new RacelabError('BAD_PROTO', 'no file given; pass the path of a .proto file', { subject: 'proto' });
  const paths = files.map((f) => {
    const p = resolve(f);
    if (!existsSync(p)) throw new RacelabError('BAD_PROTO', `${f} does not exist; pass the path of a .proto file`, { subject: 'proto' });
    return p;
  });
  const dirs = [...new Set([...paths.map((p) => dirname(p)), ...includeDirs.map((d) => resolve(d))])];
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of [origin ? dirname(origin) : undefined, ...dirs]) {
      if (!dir) continue;
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    // protobufjs knows google/protobuf/*.proto itself; anything else is reported as missing below.
    return target;
  };
  try {
    root.loadSync(paths, { keepCase: true });
    root.resolveAll();
  } catch (e) {
    const shown = files.length === 1 ? files[0] : files.join(', ');
    const why = messageOf(e).replace(/^ENOENT: no such file or directory, open '([^']+)'.*/, 'import $1 not found (add its folder with -I)');
    throw new RacelabError('BAD_PROTO', `${shown} does not parse: ${why}`, { subject: 'proto' });
  }
  const schema = schemaFromRoot(root, `proto file ${files.join(', ')}`);
  if (schema.methods.size === 0) {
    throw new RacelabError('BAD_PROTO', `${files.join(', ')} defines no service; pass the .proto file that declares the service to call`, { subject: 'proto' });
  }
  return schema;
}

/**
 * Finds a method by any of the spellings people use: `pkg.Service/Method`, `/pkg.Service/Method`,
 * `pkg.Service.Method`, or with grpc-js reflection's leading dot for a package-less service (`.Counter/Increment`).
 * A bare `Method` works when exactly one service has it.
 */
export function findMethod(schema: ServiceSchema, spec: string, what = 'method'): MethodSchema {
  const text = spec.trim();
  let service: string | undefined;
  let method: string;
  const slash = text.replace(/^\//, '');
  if (slash.includes('/')) {
    const i = slash.lastIndexOf('/');
    service = slash.slice(0, i);
    method = slash.slice(i + 1);
  } else if (slash.includes('.')) {
    const i = slash.lastIndexOf('.');
    service = slash.slice(0, i);
    method = slash.slice(i + 1);
  } else method = slash;
  service = service?.replace(/^\./, '');
  const all = [...schema.methods.values()];
  const services = [...new Set(all.map((m) => m.service))];
  let found: MethodSchema | undefined;
  if (service !== undefined) {
    found = schema.methods.get(`/${service}/${method}`);
    if (!found) {
      const inService = all.filter((m) => m.service === service);
      if (inService.length === 0) {
        throw new RacelabError(
          'UNKNOWN_METHOD',
          `service ${service} is not in ${schema.source}; it has ${services.join(', ') || 'no services'}`,
          { subject: what },
        );
      }
      throw new RacelabError(
        'UNKNOWN_METHOD',
        `${service} has no method ${method}; it has ${inService.map((m) => m.name).join(', ')}`,
        { subject: what },
      );
    }
  } else {
    const matches = all.filter((m) => m.name === method);
    if (matches.length !== 1) {
      const why = matches.length === 0 ? `no service in ${schema.source} has a method ${method}` : `${method} is in ${matches.map((m) => m.service).join(' and ')}`;
      throw new RacelabError('UNKNOWN_METHOD', `${why}; write Service/Method, e.g. ${all[0] ? `${all[0].service}/${all[0].name}` : 'pkg.Service/Method'}`, { subject: what });
    }
    found = matches[0];
  }
  if (!found) throw new RacelabError('UNKNOWN_METHOD', `${spec} not found`, { subject: what });
  if (found.requestStream || found.responseStream) {
    throw new RacelabError('UNKNOWN_METHOD', `${found.path} is a streaming method; only unary methods can be called`, { subject: what });
  }
  return found;
}
