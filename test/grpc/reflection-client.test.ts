import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaByReflection } from '../../src/grpc/reflection-client.js';
import { findMethod } from '../../src/grpc/schema.js';
import { decodeMessage, encodeJsonMessage } from '../../src/grpc/json-message.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('racelab-reflection-');
writeFileSync(join(dir, 'common.proto'), 'syntax = "proto3";\npackage shop.v1;\nmessage Money { string currency = 1; int64 units = 2; }\n');
writeFileSync(
  join(dir, 'coupons.proto'),
  `syntax = "proto3";
package shop.v1;
import "common.proto";
import "google/protobuf/timestamp.proto";
service Coupons {
  rpc Redeem (RedeemRequest) returns (RedeemReply);
  rpc Watch (RedeemRequest) returns (stream RedeemReply);
}
message RedeemRequest { string code = 1; Money amount = 2; google.protobuf.Timestamp at = 3; }
message RedeemReply { bool accepted = 1; }
`,
);
writeFileSync(join(dir, 'counter.proto'), 'syntax = "proto3";\nservice Counter { rpc GetValue (Empty) returns (Value); }\nmessage Empty {}\nmessage Value { int32 value = 1; }\n');

describe('server reflection client', () => {
  let server: grpc.Server;
  let target: string;
  beforeAll(async () => {
    const pkg = protoLoader.loadSync([join(dir, 'coupons.proto'), join(dir, 'counter.proto')], { keepCase: true, includeDirs: [dir] });
    server = new grpc.Server();
    new ReflectionService(pkg).addToServer(server);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    target = `127.0.0.1:${port}`;
  });
  afterAll(() => server?.forceShutdown());

  const opts = () => ({ credentials: grpc.credentials.createInsecure(), timeoutMs: 5000 });

  it('resolves a packaged service with its imports (another file, a well-known type)', async () => {
    const schema = await loadSchemaByReflection(target, { ...opts(), services: ['shop.v1.Coupons'] });
    expect(schema.source).toBe(`server reflection (v1) at ${target}`);
    const redeem = findMethod(schema, 'shop.v1.Coupons/Redeem');
    expect(redeem.path).toBe('/shop.v1.Coupons/Redeem');
    const bytes = encodeJsonMessage(redeem.requestType, { code: 'X', amount: { currency: 'EUR', units: '5' }, at: '2024-01-01T00:00:00Z' });
    expect(decodeMessage(redeem.requestType, bytes)).toMatchObject({ code: 'X', amount: { currency: 'EUR', units: 5 }, at: { seconds: 1704067200, nanos: 0 } });
    expect(() => findMethod(schema, 'shop.v1.Coupons/Watch')).toThrow(/is a streaming method; only unary methods can be called/);
  });

  it("finds grpc-js's package-less \".Counter\" under every spelling", async () => {
    const schema = await loadSchemaByReflection(target, opts());
    for (const spelling of ['Counter/GetValue', '/Counter/GetValue', '.Counter/GetValue', 'Counter.GetValue', 'GetValue']) {
      expect(findMethod(schema, spelling).path).toBe('/Counter/GetValue');
    }
    expect([...schema.methods.keys()].sort()).toEqual(['/Counter/GetValue', '/shop.v1.Coupons/Redeem', '/shop.v1.Coupons/Watch']);
  });

  it('names what the server offers when a service is missing', async () => {
    await expect(loadSchemaByReflection(target, { ...opts(), services: ['shop.v1.Orders'] })).rejects.toThrow(
      /service shop.v1.Orders is not offered by .*; it offers (Counter, shop.v1.Coupons|shop.v1.Coupons, Counter)/,
    );
  });
});
