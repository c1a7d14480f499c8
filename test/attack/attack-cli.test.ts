import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../src/check/index.js';
import { parseHistoryJsonl } from '../../src/history/index.js';
import type { AttackReport } from '../../src/attack/index.js';
import { startCounterServer, type CounterServer } from '../../src/scenarios/counter/server.js';
import { expectOneLineError, runCli } from '../helpers/cli.js';
import { TLS_DIR, startPlainCounter, writeSeedProto, type PlainCounter } from '../helpers/plain-counter.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('racelab-attack-cli-');

describe('racelab attack (CLI)', () => {
  let vulnerable: CounterServer;
  let mutex: CounterServer;
  let secure: PlainCounter;
  beforeAll(async () => {
    vulnerable = await startCounterServer({ variant: 'vulnerable', delayMs: 100, maxConcurrency: 100 });
    mutex = await startCounterServer({ variant: 'mutex', delayMs: 5, maxConcurrency: 100 });
    secure = await startPlainCounter({ variant: 'mutex', delayMs: 1, tls: {} });
  });
  afterAll(async () => {
    await vulnerable?.close(200);
    await mutex?.close(200);
    await secure?.close();
  });

  it('exits 1 when it finds a race, with the verdict, spreads, histogram and status codes', async () => {
    const run = await runCli(['attack', '--target', vulnerable.target, '--scenario', 'counter', '--count', '5', '--rounds', '2', '--sync', 'last-frame']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/RACE FOUND in 2 of 2 rounds \(detection rate 100%\)/);
    expect(run.stdout).toMatch(/server handler start/);
    expect(run.stdout).toMatch(/Response time histogram:/);
    expect(run.stdout).toMatch(/\[OK\]\s+10 responses/);
    expect(run.stdout).toMatch(/1 \(5 frames\)/);
  });

  it('exits 0 when none is found, and --json prints the report', async () => {
    const run = await runCli(['attack', '--target', mutex.target, '--scenario', 'counter', '--count', '5', '--rounds', '2', '--sync', 'parallel', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as AttackReport;
    expect(report).toMatchObject({ kind: 'attack', verdict: 'no-race', detectionRate: 0, sync: 'parallel', callsPerBurst: 5, roundsRun: 2 });
    expect(report.latency?.distribution.map((d) => d.percent)).toEqual([10, 25, 50, 75, 90, 95, 99]);
  });

  it('records a history that the linearizability checker judges: illegal for the vulnerable server', async () => {
    const fresh = await startCounterServer({ variant: 'vulnerable', delayMs: 100, maxConcurrency: 100 });
    try {
      const file = join(dir, 'history.jsonl');
      const run = await runCli(['attack', '--target', fresh.target, '--scenario', 'counter', '--count', '4', '--rounds', '2', '--sync', 'parallel', '--record', file]);
      expect(run.code, run.stderr).toBe(1);
      const events = parseHistoryJsonl(readFileSync(file, 'utf8'));
      // Per round: before get, 4 increments, after get; each an invoke and a completion.
      expect(events).toHaveLength(2 * (1 + 4 + 1) * 2);
      expect(new Set(events.map((e) => e.f))).toEqual(new Set(['get', 'increment']));
      expect(check(events, 'counter').verdict).toBe('illegal');
    } finally {
      await fresh.close(200);
    }
  });

  it('floods at a fixed rate for a fixed time, and still judges the invariant', async () => {
    const run = await runCli(['attack', '--target', vulnerable.target, '--scenario', 'counter', '--flood', '--rate', '200', '--duration', '400ms', '--sync', 'connections', '--connections', '4', '--json']);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as AttackReport;
    expect(report.flood).toMatchObject({ rate: 200, durationMs: 400, skipped: 0 });
    // 200 calls/s for 0.4 s: 80 calls, on a schedule fixed in advance.
    expect(report.flood?.sent).toBe(80);
    expect(report.flood?.completed).toBe(80);
    expect(report.rounds[0]?.lost).toBeGreaterThan(0);
  });

  it('--flood as typed, without --sync, floods over one connection (parallel)', async () => {
    const run = await runCli(['attack', '--target', mutex.target, '--scenario', 'counter', '--flood', '--rate', '100', '--duration', '300ms', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as AttackReport;
    expect(report.sync).toBe('parallel');
    // 100 calls/s for 0.3 s: 30 calls, on a schedule fixed in advance.
    expect(report.flood).toMatchObject({ rate: 100, durationMs: 300, sent: 30, completed: 30 });
  });

  describe('bad input: one line, exit 2', () => {
    const attack = (...args: string[]) => runCli(['attack', ...args]);
    it('a flood with a sync mode it cannot run names the fix', async () => {
      expect(expectOneLineError(await attack('--target', mutex.target, '--scenario', 'counter', '--flood', '--sync', 'last-frame'))).toBe(
        "racelab: --flood: runs over one channel (--sync parallel) or several (--sync connections), not --sync last-frame; drop --sync for parallel, a flood's default",
      );
    });
    it('unknown method and unknown service', async () => {
      expect(expectOneLineError(await attack('--target', mutex.target, '--call', 'Counter/Incremnt'))).toBe('racelab: --call: Counter has no method Incremnt; it has Increment, GetValue');
      expect(expectOneLineError(await attack('--target', mutex.target, '--call', 'shop.Coupons/Redeem'))).toMatch(/service shop.Coupons is not offered by .*; it offers Counter/);
      expect(expectOneLineError(await attack('--target', mutex.target, '--proto', writeSeedProto(), '--call', 'Counter/Reset'))).toMatch(/Counter has no method Reset/);
    });
    it('a proto that does not parse', async () => {
      const bad = join(dir, 'bad.proto');
      writeFileSync(bad, 'syntax = "proto3";\nservice Counter {\n  rpc Increment (IncrementRequest) returns (IncrementResponse)\n}\n');
      expect(expectOneLineError(await attack('--target', mutex.target, '--proto', bad, '--call', 'Counter/Increment'))).toMatch(/^racelab: --proto: .*bad\.proto does not parse: illegal token '}'.*line 4/);
    });
    it('JSON that does not fit the message type names the field', async () => {
      expect(expectOneLineError(await attack('--target', mutex.target, '--call', 'Counter/Increment', '--data', '{"amount": 5}'))).toBe(
        'racelab: --data: IncrementRequest has no field "amount"; it has no fields',
      );
      expect(expectOneLineError(await attack('--target', mutex.target, '--call', 'Counter/Increment', '--data', '{"amount": 5'))).toMatch(/--data: not valid JSON/);
      const file = join(dir, 'request.json');
      writeFileSync(file, '{"by": 2}');
      expect(expectOneLineError(await attack('--target', mutex.target, '--call', 'Counter/Increment', '--data-file', file))).toBe(
        `racelab: --data-file ${file}: IncrementRequest has no field "by"; it has no fields`,
      );
      expect(expectOneLineError(await attack('--target', mutex.target, '--call', 'Counter/Increment', '--before', 'Counter/GetValue', '--invariant', 'before.valu == 0'))).toBe(
        'racelab: --invariant: before.valu: GetValueResponse has no field valu; it has value (column 1 of "before.valu == 0")',
      );
    });
    it('an unreachable target', async () => {
      expect(expectOneLineError(await attack('--target', '127.0.0.1:1', '--scenario', 'counter'))).toMatch(/nothing accepts connections at 127.0.0.1:1 \(ECONNREFUSED\)/);
      expect(expectOneLineError(await attack('--target', 'nowhere', '--scenario', 'counter'))).toMatch(/--target: "nowhere" is not host:port/);
    });
    it('TLS mismatch, both ways, and an untrusted certificate', async () => {
      expect(expectOneLineError(await attack('--target', secure.target, '--scenario', 'counter'))).toMatch(/the server at .* speaks TLS; add --tls/);
      expect(expectOneLineError(await attack('--target', mutex.target, '--scenario', 'counter', '--tls'))).toMatch(/does not speak TLS .*; drop --tls/);
      expect(expectOneLineError(await attack('--target', secure.target, '--scenario', 'counter', '--tls'))).toMatch(/unable to verify the first certificate.*pass the CA .* with --ca/);
      const ok = await attack('--target', secure.target, '--scenario', 'counter', '--ca', join(TLS_DIR, 'ca.pem'), '--count', '3', '--rounds', '1');
      expect(ok.code, ok.stderr).toBe(0);
    });
    it('options out of bounds or in the wrong place', async () => {
      expect(expectOneLineError(await attack('--target', mutex.target, '--scenario', 'counter', '--count', '5000'))).toMatch(/--count: "5000" must be a whole number from 1 to 1000/);
      expect(expectOneLineError(await attack('--target', mutex.target, '--scenario', 'counter', '--sync', 'telepathy'))).toMatch(/--sync: "telepathy" is not a sync mode/);
      expect(expectOneLineError(await attack('--target', mutex.target, '--scenario', 'counter', '--rate', '10'))).toMatch(/belong to --flood/);
      expect(expectOneLineError(await attack('--target', mutex.target, '--scenario', 'counter', '--invariant', 'after.value ==='))).toMatch(/^racelab: --invariant: not valid CEL: .* \(column 13 of "after.value ==="\)$/);
      expect(expectOneLineError(await attack('--target', mutex.target, '--scenario', 'vault'))).toMatch(/--scenario: "vault" has no built-in attack check/);
      // bank is built in now; against the counter server it does not fit the target's methods.
      expect(expectOneLineError(await attack('--target', mutex.target, '--scenario', 'bank'))).toMatch(/--scenario bank: .* does not offer racelab\.bank\.v1\.Bank/);
      expect(expectOneLineError(await attack('--target', mutex.target))).toMatch(/--call: say which method to burst/);
    });
  });
});
