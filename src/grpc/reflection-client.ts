import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor/index.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { tracer } from '../core/trace.js';
import { schemaFromRoot, type ServiceSchema } from './schema.js';

const trace = tracer('reflection');

/**
 * The server reflection protocol (grpc/reflection/v1/reflection.proto, trimmed to what a client sends and
 * reads). v1alpha is the same messages under another package, and many servers still speak only that one.
 */
const REFLECTION_PROTO = `
syntax = "proto3";
package reflection;
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}
message ExtensionRequest { string containing_type = 1; int32 extension_number = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ExtensionNumberResponse { string base_type_name = 1; repeated int32 extension_number = 2; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ServiceResponse { string name = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
`;

const reflectionRoot = protobuf.parse(REFLECTION_PROTO, { keepCase: true }).root;
const RequestType = reflectionRoot.lookupType('reflection.ServerReflectionRequest');
const ResponseType = reflectionRoot.lookupType('reflection.ServerReflectionResponse');

interface ReflectionRequest {
  file_by_filename?: string;
  file_containing_symbol?: string;
  list_services?: string;
}

interface ReflectionResponse {
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
  list_services_response?: { service: Array<{ name: string }> };
  error_response?: { error_code: number; error_message: string };
}

type FileDescriptorProto = protobuf.Message & { name?: string; dependency?: string[] };
const FileDescriptorProtoType = (descriptorExt as unknown as { FileDescriptorProto: protobuf.Type }).FileDescriptorProto;
const FileDescriptorSetType = (descriptorExt as unknown as { FileDescriptorSet: protobuf.Type }).FileDescriptorSet;
const rootFromDescriptor = (protobuf.Root as unknown as { fromDescriptor(d: protobuf.Message): protobuf.Root }).fromDescriptor;

export type ReflectionVersion = 'v1' | 'v1alpha';

export interface ReflectionOptions {
  credentials: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  metadata?: grpc.Metadata;
  /** For the whole exchange. */
  timeoutMs?: number;
  /** Services to resolve (any spelling, with or without a leading dot); all listed services when absent. */
  services?: readonly string[];
}

/** One reflection stream: requests go out one at a time and each waits for its response (the protocol answers in order). */
class ReflectionStream {
  private readonly call: grpc.ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
  private readonly waiting: Array<{ resolve: (r: ReflectionResponse) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(client: grpc.Client, version: ReflectionVersion, metadata: grpc.Metadata, deadline: number) {
    this.call = client.makeBidiStreamRequest<ReflectionRequest, ReflectionResponse>(
      `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      (req) => Buffer.from(RequestType.encode(RequestType.fromObject(req)).finish()),
      (buf) => ResponseType.toObject(ResponseType.decode(buf), { defaults: false, arrays: true }) as ReflectionResponse,
      metadata,
      { deadline },
    );
    this.call.on('data', (r: ReflectionResponse) => this.waiting.shift()?.resolve(r));
    this.call.on('error', (e: Error) => this.fail(e));
    this.call.on('end', () => this.fail(new Error('the server closed the reflection stream')));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  ask(req: ReflectionRequest): Promise<ReflectionResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.call.write(req);
    });
  }

  close(): void {
    this.call.end();
    this.call.cancel();
  }
}

const stripDot = (name: string): string => name.replace(/^\./, '');

/**
 * Asks a server for its services and their types over server reflection (v1, then v1alpha) and builds the same
 * schema a .proto file gives. grpc-js names a package-less service `.Counter` and finds it only under that
 * name, so every symbol is asked for with and without the leading dot.
 */
export async function loadSchemaByReflection(target: string, options: ReflectionOptions): Promise<ServiceSchema> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = new grpc.Client(target, options.credentials, options.channelOptions ?? {});
  const deadline = Date.now() + timeoutMs;
  try {
    let lastError: unknown;
    for (const version of ['v1', 'v1alpha'] as const) {
      const stream = new ReflectionStream(client, version, options.metadata ?? new grpc.Metadata(), deadline);
      try {
        const root = await resolveServices(stream, options.services, target);
        trace(`resolved ${target} over reflection ${version}`);
        return schemaFromRoot(root, `server reflection (${version}) at ${target}`);
      } catch (e) {
        lastError = e;
        const code = (e as { code?: unknown }).code;
        if (code === grpc.status.UNIMPLEMENTED) {
          trace(`${target} does not implement reflection ${version}`);
          continue;
        }
        throw e;
      } finally {
        stream.close();
      }
    }
    throw new RacelabError(
      'UNKNOWN_METHOD',
      `${target} does not answer server reflection (grpc.reflection.v1 or v1alpha: ${messageOf(lastError)}); pass the service's .proto file with \`proto\``,
    );
  } catch (e) {
    if (e instanceof RacelabError) throw e;
    const code = (e as { code?: unknown }).code;
    if (code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.UNAVAILABLE) {
      throw new RacelabError('NOT_GRPC', `server reflection at ${target} did not answer within ${timeoutMs}ms (${messageOf(e)}); check the target, or pass \`proto\``, { subject: 'target' });
    }
    throw new RacelabError('UNKNOWN_METHOD', `server reflection at ${target} failed: ${messageOf(e)}; pass the service's .proto file with \`proto\``);
  } finally {
    client.close();
  }
}

async function resolveServices(stream: ReflectionStream, wanted: readonly string[] | undefined, target: string): Promise<protobuf.Root> {
  const listed = await stream.ask({ list_services: '*' });
  if (listed.error_response) throw new Error(listed.error_response.error_message);
  const offered = (listed.list_services_response?.service ?? []).map((s) => s.name);
  const byPlainName = new Map(offered.map((n) => [stripDot(n), n]));
  const names = wanted
    ? [...new Set(wanted.map(stripDot))]
    : [...byPlainName.keys()].filter((n) => !n.startsWith('grpc.reflection.'));
  const files = new Map<string, Uint8Array>();
  const add = (bytes: Uint8Array[]): void => {
    for (const b of bytes) {
      const fd = FileDescriptorProtoType.decode(b) as FileDescriptorProto;
      const name = fd.name ?? `unnamed-${files.size}.proto`;
      if (!files.has(name)) files.set(name, b);
    }
  };
  for (const name of names) {
    const spelled = byPlainName.get(name);
    if (!spelled) {
      const list = [...byPlainName.keys()].filter((n) => !n.startsWith('grpc.reflection.'));
      throw new RacelabError('UNKNOWN_METHOD', `service ${name} is not offered by ${target}; it offers ${list.join(', ') || 'no services'}`);
    }
    let found: ReflectionResponse | undefined;
    for (const symbol of [...new Set([spelled, name, `.${name}`])]) {
      const r = await stream.ask({ file_containing_symbol: symbol });
      if (r.file_descriptor_response) {
        found = r;
        break;
      }
    }
    if (!found?.file_descriptor_response) {
      throw new RacelabError('UNKNOWN_METHOD', `server reflection at ${target} lists ${spelled} but returns no descriptor for it; pass \`proto\``);
    }
    add(found.file_descriptor_response.file_descriptor_proto);
  }
  // Dependencies the server did not send with the file: ask by file name, else use protobufjs' copies of
  // google/protobuf/*.proto.
  for (let pass = 0; pass < 32; pass++) {
    const missing = [...files.values()]
      .flatMap((b) => (FileDescriptorProtoType.decode(b) as FileDescriptorProto).dependency ?? [])
      .filter((d) => !files.has(d));
    if (missing.length === 0) break;
    for (const dep of new Set(missing)) {
      const r = await stream.ask({ file_by_filename: dep });
      if (r.file_descriptor_response) add(r.file_descriptor_response.file_descriptor_proto);
      else if (!addBuiltin(dep, files)) {
        throw new RacelabError('UNKNOWN_METHOD', `server reflection at ${target} did not provide ${dep}, which its services import; pass \`proto\``);
      }
    }
  }
  const set = FileDescriptorSetType.fromObject({ file: [...files.values()].map((b) => FileDescriptorProtoType.decode(b)) });
  return rootFromDescriptor(set);
}

function addBuiltin(name: string, files: Map<string, Uint8Array>): boolean {
  const json = protobuf.common.get(name);
  if (!json) return false;
  const root = protobuf.Root.fromJSON(json);
  const set = (root as unknown as { toDescriptor(syntax: string): { file: Array<protobuf.Message & { name?: string }> } }).toDescriptor('proto3');
  for (const fd of set.file) {
    fd.name = name;
    files.set(name, FileDescriptorProtoType.encode(fd).finish());
  }
  return true;
}
