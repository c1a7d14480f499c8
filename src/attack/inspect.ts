import protobuf from 'protobufjs';
import { status } from '@grpc/grpc-js';
import { RacelabError, messageOf } from '../core/errors.js';
import { connectChannel, openChannel, sendUnary } from '../burst/grpc-call.js';
import { decodeMessage, encodeJsonMessage } from '../grpc/json-message.js';
import { protoKind, protoText } from '../grpc/proto-text.js';
import { findMethod, loadSchemaFromProto, type ServiceSchema } from '../grpc/schema.js';
import { statusName } from '../grpc/status.js';
import { probeTarget } from '../grpc/transport.js';
import type { TargetOptions } from './report.js';
import { reflectSchema, targetTransport } from './resolve.js';

/**
 * grpcurl's everyday verbs on racelab's transport and type loading (the code `attack` uses): list the services
 * or one service's methods, describe a symbol as .proto source, call one unary method with JSON. Types come
 * from --proto (no connection needed to list or describe) or from server reflection.
 */

async function schemaOf(o: TargetOptions): Promise<ServiceSchema> {
  if (o.proto?.length) return loadSchemaFromProto(o.proto, o.importPaths ?? []);
  const transport = targetTransport(o);
  await probeTarget(transport, transport.connectTimeoutMs);
  return reflectSchema(transport);
}

const strip = (name: string): string => name.replace(/^\./, '');

/** The services a target offers, or with `service`, its methods as `Service.Method` (both sorted). */
export async function listServices(o: TargetOptions, service?: string): Promise<string[]> {
  const schema = await schemaOf(o);
  const methods = [...schema.methods.values()];
  const services = [...new Set(methods.map((m) => m.service))].sort();
  if (service === undefined) return services;
  const wanted = strip(service);
  const found = methods.filter((m) => m.service === wanted);
  if (found.length === 0) {
    throw new RacelabError('UNKNOWN_METHOD', `list: ${schema.source} has no service ${wanted}; it has ${services.join(', ') || 'no services'}`);
  }
  return found.map((m) => `${m.service}.${m.name}`).sort();
}

export interface Description {
  /** The symbol's full name, without a leading dot. */
  readonly symbol: string;
  /** `a service`, `a method`, `a message`, `an enum`. */
  readonly kind: string;
  /** Its .proto source. */
  readonly proto: string;
}

/** A service, method, message or enum of the target, as .proto source. */
export async function describeSymbol(o: TargetOptions, symbol: string): Promise<Description> {
  const schema = await schemaOf(o);
  const name = strip(symbol.trim()).replace(/\//g, '.');
  let el: protobuf.ReflectionObject | null;
  try {
    el = schema.root.lookup(name);
  } catch {
    el = null;
  }
  if (!el && name.includes('.')) {
    const service = schema.root.lookup(name.slice(0, name.lastIndexOf('.')));
    if (service instanceof protobuf.Service) el = service.methods[name.slice(name.lastIndexOf('.') + 1)] ?? null;
  }
  if (!el || el instanceof protobuf.Field || el instanceof protobuf.OneOf) {
    const services = [...new Set([...schema.methods.values()].map((m) => m.service))].sort();
    throw new RacelabError('UNKNOWN_METHOD', `describe: ${schema.source} has no symbol ${name}; its services are ${services.join(', ') || 'none'} (describe one to see its types)`);
  }
  return { symbol: strip(el.fullName), kind: protoKind(el), proto: protoText(el) };
}

export interface CallResult {
  readonly method: string;
  readonly code: number;
  readonly status: string;
  readonly details: string;
  /** The response, when the call succeeded: defaults included, enums by name, bytes as base64, 64-bit integers as strings (as the proto3 JSON mapping prints them). */
  readonly response?: Record<string, unknown>;
}

/** One unary call with a JSON request checked against the method's type before anything is sent. */
export async function callMethod(o: TargetOptions, method: string, data: unknown, what = 'method'): Promise<CallResult> {
  const schema = await schemaOf(o);
  const m = findMethod(schema, method, what);
  const request = encodeJsonMessage(m.requestType, data, 'data');
  const transport = targetTransport(o);
  const client = openChannel(transport, false);
  try {
    await connectChannel(client, transport).catch((e: unknown) => {
      throw new RacelabError('UNREACHABLE', `could not connect to ${transport.target} (${messageOf(e)})`, { subject: 'target' });
    });
    const out = await sendUnary(client, { index: 0, client: 0, path: m.path, request, offsetMicros: 0 }, transport);
    return {
      method: m.path,
      code: out.code,
      status: statusName(out.code),
      details: out.details,
      ...(out.code === status.OK && out.response ? { response: decodeMessage(m.responseType, out.response, { longs: 'string' }) } : {}),
    };
  } finally {
    client.close();
  }
}
