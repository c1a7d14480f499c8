import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAttack } from '../../src/attack/run.js';
import type { SyncMode } from '../../src/burst/sync-policy.js';
import { applyTemplate, templatePlaceholders } from '../../src/attack/template.js';
import { tempDir } from '../helpers/tmp.js';

const ECHO_PROTO = `syntax = "proto3";
package demo;
service Echo { rpc Say (Msg) returns (Msg); }
message Msg { string text = 1; int32 n = 2; string token = 3; bytes trace = 4; }
`;

describe('per-call request templating and metadata', () => {
  let server: grpc.Server;
  let target: string;
  const protoFile = join(tempDir('racelab-echo-'), 'echo.proto');
  beforeAll(async () => {
    writeFileSync(protoFile, ECHO_PROTO);
    const pkg = protoLoader.loadSync(protoFile, { keepCase: true, defaults: true });
    const proto = grpc.loadPackageDefinition(pkg) as unknown as { demo: { Echo: { service: grpc.ServiceDefinition } } };
    server = new grpc.Server();
    server.addService(proto.demo.Echo.service, {
      Say: (call: grpc.ServerUnaryCall<{ text: string; n: number }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, { ...call.request, token: String(call.metadata.get('x-token')[0] ?? ''), trace: call.metadata.get('x-trace-bin')[0] ?? Buffer.alloc(0) }),
    });
    new ReflectionService(pkg).addToServer(server);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    target = `127.0.0.1:${port}`;
  });
  afterAll(() => {
    server?.forceShutdown();
  });

  it.each(['connections', 'processes', 'last-frame'] as SyncMode[])('fills {{index}} {{client}} {{uuid}} per call and sends metadata (--sync %s)', async (sync) => {
    const report = await runAttack({
      target,
      endpoints: [{ method: 'demo.Echo/Say', count: 6, data: { text: 'call {{index}} from {{client}} id {{uuid}}', n: '{{index}}' } }],
      metadata: ['x-token: abc', 'x-trace-bin: AAEC'],
      sync,
      rounds: 1,
      seed: 7,
      // Every call carried its own text and number, and the server saw the headers on every one.
      invariant: "responses.size() == count && responses.all(r, responses.exists_one(s, s.text == r.text)) && sum(responses.map(r, r.n)) == 15 && responses.all(r, r.token == 'abc' && r.trace == b'\\x00\\x01\\x02')",
    });
    expect(report.verdict).toBe('no-race');
    expect(report.totals.ok).toBe(6);
  });

  it('checks the data against the type before connecting, for every call of a multi-endpoint burst', async () => {
    await expect(
      runAttack({ target, proto: [protoFile], endpoints: [{ method: 'demo.Echo/Say', data: { n: 'x{{index}}' } }], rounds: 1 }),
    ).rejects.toThrow('data: field "n" of demo.Msg must be an integer (int32), got "x0"');
    await expect(runAttack({ target, endpoints: [{ method: 'Say', data: { text: '{{nope}}' } }], rounds: 1 })).rejects.toThrow(/unknown placeholder \{\{nope\}\}/);
  });

  it('substitutes placeholders in strings and keys only', () => {
    expect(templatePlaceholders({ a: ['{{index}}', { '{{client}}': 1 }], b: 2 })).toEqual(new Set(['index', 'client']));
    expect(applyTemplate({ a: 'i={{ index }}/{{round}}', k: { '{{client}}': true }, n: 3 }, { index: 4, client: 1, round: 2, uuid: () => 'u', run: 'r' })).toEqual({
      a: 'i=4/2',
      k: { 1: true },
      n: 3,
    });
  });
});
