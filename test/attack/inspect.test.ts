import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callMethod, describeSymbol, listServices } from '../../src/attack/inspect.js';
import { BIN, expectOneLineError, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// A plain grpc-js server, not racelab's: two services, a nested message, an enum, a map, a oneof.
const SHOP_PROTO = `syntax = "proto3";
package shop.v1;
service Coupons {
  rpc Redeem (RedeemRequest) returns (RedeemResponse);
  rpc Watch (RedeemRequest) returns (stream RedeemResponse);
}
service Health { rpc Check (Empty) returns (Empty); }
message Empty {}
message RedeemRequest { string code = 1; int64 user = 2; map<string, string> labels = 3; }
message RedeemResponse {
  enum Outcome { UNKNOWN = 0; GRANTED = 1; REFUSED = 2; }
  Outcome outcome = 1;
  int32 left = 2;
  oneof why { string reason = 3; int32 retry_after = 4; }
  int64 user = 5;
  repeated uint64 ids = 6;
}
`;

describe('list, describe and call through server reflection', () => {
  const dir = tempDir('racelab-inspect-');
  const protoFile = join(dir, 'shop.proto');
  let server: grpc.Server;
  let bare: grpc.Server;
  let target: string;
  let bareTarget: string;
  let left = 3;
  /** The metadata of the last Redeem call, as the server received it. */
  let seenMetadata: grpc.Metadata | undefined;
  const bind = (s: grpc.Server): Promise<string> =>
    new Promise((resolve, reject) => s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(`127.0.0.1:${p}`))));
  beforeAll(async () => {
    writeFileSync(protoFile, SHOP_PROTO);
    const pkg = protoLoader.loadSync(protoFile, { keepCase: true, defaults: true });
    const proto = grpc.loadPackageDefinition(pkg) as unknown as { shop: { v1: { Coupons: { service: grpc.ServiceDefinition }; Health: { service: grpc.ServiceDefinition } } } };
    const handlers = {
      Redeem: (call: grpc.ServerUnaryCall<{ code: string; user: unknown }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        seenMetadata = call.metadata;
        if (call.request.code !== 'WELCOME') return cb({ code: grpc.status.NOT_FOUND, details: `no coupon ${call.request.code}` });
        left--;
        // The request's int64 comes back as it arrived, with a uint64 above 2^53 beside it.
        return cb(null, { outcome: 'GRANTED', left, reason: 'first time', user: call.request.user, ids: ['18446744073709551615', 7] });
      },
      Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
    };
    server = new grpc.Server();
    server.addService(proto.shop.v1.Coupons.service, handlers);
    server.addService(proto.shop.v1.Health.service, { Check: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}) });
    new ReflectionService(pkg).addToServer(server);
    target = await bind(server);
    bare = new grpc.Server();
    bare.addService(proto.shop.v1.Coupons.service, handlers);
    bareTarget = await bind(bare);
  });
  afterAll(() => {
    server?.forceShutdown();
    bare?.forceShutdown();
  });

  it('lists the services, and one service its methods', async () => {
    expect(await listServices({ target })).toEqual(['shop.v1.Coupons', 'shop.v1.Health']);
    expect(await listServices({ target }, 'shop.v1.Coupons')).toEqual(['shop.v1.Coupons.Redeem', 'shop.v1.Coupons.Watch']);
    const run = await runCli(['list', target, '.shop.v1.Health']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('shop.v1.Health.Check\n');
    expect(expectOneLineError(await runCli(['list', target, 'shop.v1.Cart']))).toBe(`racelab: list: server reflection (v1) at ${target} has no service shop.v1.Cart; it has shop.v1.Coupons, shop.v1.Health`);
  });

  it('describes services, methods, messages (map, oneof, nested enum) and enums as .proto source', async () => {
    expect((await describeSymbol({ target }, 'shop.v1.Coupons')).proto).toBe(
      'service Coupons {\n  rpc Redeem ( .shop.v1.RedeemRequest ) returns ( .shop.v1.RedeemResponse );\n  rpc Watch ( .shop.v1.RedeemRequest ) returns ( stream .shop.v1.RedeemResponse );\n}',
    );
    expect(await describeSymbol({ target }, 'shop.v1.Coupons/Redeem')).toEqual({ symbol: 'shop.v1.Coupons.Redeem', kind: 'a method', proto: 'rpc Redeem ( .shop.v1.RedeemRequest ) returns ( .shop.v1.RedeemResponse );' });
    expect((await describeSymbol({ target }, '.shop.v1.RedeemRequest')).proto).toBe('message RedeemRequest {\n  string code = 1;\n  int64 user = 2;\n  map<string, string> labels = 3;\n}');
    expect((await describeSymbol({ target }, 'shop.v1.RedeemResponse')).proto).toBe(
      'message RedeemResponse {\n  .shop.v1.RedeemResponse.Outcome outcome = 1;\n  int32 left = 2;\n  int64 user = 5;\n  repeated uint64 ids = 6;\n  oneof why {\n    string reason = 3;\n    int32 retry_after = 4;\n  }\n  enum Outcome {\n    UNKNOWN = 0;\n    GRANTED = 1;\n    REFUSED = 2;\n  }\n}',
    );
    const run = await runCli(['describe', target, 'shop.v1.RedeemResponse.Outcome']);
    expect(run.stdout).toBe('shop.v1.RedeemResponse.Outcome is an enum:\nenum Outcome {\n  UNKNOWN = 0;\n  GRANTED = 1;\n  REFUSED = 2;\n}\n');
    expect(expectOneLineError(await runCli(['describe', target, 'shop.v1.Cart']))).toMatch(/^racelab: describe: server reflection \(v1\) at .* has no symbol shop\.v1\.Cart; its services are shop\.v1\.Coupons, shop\.v1\.Health/);
    // With --proto, nothing is asked of the server: the one without reflection is described from the file.
    expect((await describeSymbol({ target: bareTarget, proto: [protoFile] }, 'shop.v1.Health')).proto).toBe('service Health {\n  rpc Check ( .shop.v1.Empty ) returns ( .shop.v1.Empty );\n}');
  });

  it('calls a unary method with JSON (inline, @file, @ for stdin); a server error exits 1', async () => {
    const before = left;
    expect(await callMethod({ target }, 'shop.v1.Coupons/Redeem', { code: 'WELCOME' })).toEqual({
      method: '/shop.v1.Coupons/Redeem',
      code: 0,
      status: 'OK',
      details: 'OK',
      response: { outcome: 'GRANTED', left: before - 1, reason: 'first time', user: '0', ids: ['18446744073709551615', '7'] },
    });
    const file = join(dir, 'request.json');
    writeFileSync(file, '{"code": "WELCOME", "user": "9007199254740993"}');
    const fromFile = await runCli(['call', target, 'shop.v1.Coupons/Redeem', '-d', `@${file}`]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    // 64-bit integers print as strings (the proto3 JSON mapping, as grpcurl prints them): exact above 2^53.
    expect(JSON.parse(fromFile.stdout)).toEqual({ outcome: 'GRANTED', left: before - 2, reason: 'first time', user: '9007199254740993', ids: ['18446744073709551615', '7'] });
    const fromStdin = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'call', target, 'shop.v1.Coupons.Redeem', '-d', '@', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.once('close', (code) => resolve({ code, stdout }));
      child.stdin.end('{"code": "WELCOME", "user": 42}');
    });
    expect(fromStdin.code).toBe(0);
    // -d takes a 64-bit integer as a JSON number too; --json prints it as a string like the text output.
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ kind: 'call', status: 'OK', response: { left: before - 3, user: '42' } });
    const refused = await runCli(['call', target, 'shop.v1.Coupons/Redeem', '-d', '{"code": "NOPE"}']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe('racelab: /shop.v1.Coupons/Redeem answered NotFound: no coupon NOPE\n');
    expect(left).toBe(before - 3);
  });

  it("sends metadata given as -m, --metadata or grpcurl's -H, in the order typed", async () => {
    const run = await runCli(['call', target, 'shop.v1.Coupons/Redeem', '-d', '{"code": "NOPE"}', '-m', 'x-tenant: a', '-H', 'x-tenant: b', '--metadata', 'x-tenant: c', '-H', 'Authorization: Bearer t0k']);
    expect(run.stderr).toBe('racelab: /shop.v1.Coupons/Redeem answered NotFound: no coupon NOPE\n');
    // grpc-js joins a header's repeated values with ", " (as HTTP/2 allows): one string, in the order sent.
    expect(seenMetadata?.get('x-tenant')).toEqual(['a, b, c']);
    expect(seenMetadata?.get('authorization')).toEqual(['Bearer t0k']);
    for (const verb of ['call', 'list', 'describe', 'attack']) expect((await runCli([verb, '--help'])).stdout, verb).toMatch(/-H, --header <key: value> +the same as -m, as grpcurl spells it/);
    // attack and list take -H too, and check it as they check -m before connecting.
    expect(expectOneLineError(await runCli(['attack', '--target', target, '--scenario', 'counter', '-H', 'no colon']))).toBe('racelab: --metadata: "no colon" is not "key: value" with a key of lowercase letters, digits, - _ .');
    expect(expectOneLineError(await runCli(['list', target, '-H', 'grpc-timeout: 1S']))).toBe('racelab: --metadata: "grpc-timeout" is reserved by gRPC; pick another header name');
  });

  it('bad input is one line and exit 2: a field the type lacks, a streaming method, no reflection, nothing listening', async () => {
    expect(expectOneLineError(await runCli(['call', target, 'shop.v1.Coupons/Redeem', '-d', '{"coupon": "X"}']))).toMatch(/^racelab: --data: shop\.v1\.RedeemRequest has no field "coupon"/);
    await expect(callMethod({ target }, 'shop.v1.Coupons/Watch', {})).rejects.toThrow('method: /shop.v1.Coupons/Watch is a streaming method; only unary methods can be called');
    await expect(callMethod({ target }, 'shop.v1.Coupons/Nope', {})).rejects.toThrow(/method: shop\.v1\.Coupons has no method Nope; it has Redeem, Watch/);
    expect(expectOneLineError(await runCli(['list', bareTarget]))).toMatch(/does not answer server reflection .*; pass the service's \.proto file with --proto/);
    const gone = new grpc.Server();
    const down = await bind(gone);
    gone.forceShutdown(); // nothing listens there now
    expect(expectOneLineError(await runCli(['describe', down, 'shop.v1.Coupons']))).toMatch(/nothing accepts connections at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });
});
