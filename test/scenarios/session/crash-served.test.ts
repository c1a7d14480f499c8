import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { impactScenario } from '../../../src/scenarios/impacts/registry.js';
import { checkServedVariant } from '../../../src/scenarios/impacts/scenario.js';
import { loadScenarioProto, startScenarioServer, type ScenarioServer } from '../../../src/scenarios/impacts/server.js';
import { measureDoubleEndBurstOverGrpc } from '../../../src/scenarios/session/availability.js';
import type { AttackReport } from '../../../src/attack/report.js';
import { runCli, startCli } from '../../helpers/cli.js';

/*
 * The session table's supervisor-crash form served over gRPC (`racelab serve --scenario session --variant
 * crash-vulnerable|crash-fixed`). 200 ms between End's check and its removal: the two Ends of a session, sent at
 * once, both pass the check however loaded the machine. Every call has a deadline (10 s), so a hung server fails
 * the test rather than stalling it.
 */

type Answer = { code: number; details: string; response?: { free: number } };

function sessionClient(target: string) {
  const Client = 'racelab.session.v1.Sessions'.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], loadScenarioProto(impactScenario('session')).grpcObject) as grpc.ServiceClientConstructor;
  const client = new Client(target, grpc.credentials.createInsecure());
  const call = (method: 'Open' | 'End' | 'Pool', request: object): Promise<Answer> =>
    new Promise((resolve) => {
      const fn = (client as unknown as Record<string, (q: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { free: number }) => void) => void>)[method]!;
      fn.call(client, request, { deadline: Date.now() + 10_000 }, (e, r) => resolve(e ? { code: e.code, details: e.details } : { code: 0, details: '', response: r }));
    });
  return { call, close: () => client.close() };
}

let server: ScenarioServer | undefined;
afterEach(async () => {
  await server?.close(500);
  server = undefined;
});

describe('session crash form served over gRPC', () => {
  it('crash-vulnerable: the End that crashes the table is answered UNAVAILABLE (restarting), the restarted table answers again, empty', async () => {
    server = await startScenarioServer({ scenario: 'session', variant: 'crash-vulnerable', delayMs: 200 });
    const c = sessionClient(server.target);
    try {
      expect((await c.call('Open', { session: 'alice' })).response).toEqual({ free: 9 });
      const ends = await Promise.all([c.call('End', { session: 'alice' }), c.call('End', { session: 'alice' })]);
      expect(ends.map((e) => e.code).sort()).toEqual([grpc.status.OK, grpc.status.UNAVAILABLE]);
      expect(ends.find((e) => e.code === grpc.status.UNAVAILABLE)?.details).toMatch(/^the session table is restarting after a crash/);
      expect(server.service.supervision?.()).toEqual({ crashes: 1, gaveUp: false });
      // One crash is within the restart intensity: the table is back, and lost every session it held.
      expect((await c.call('Pool', {})).response).toEqual({ free: 10, capacity: 10 });
    } finally {
      c.close();
    }
  }, 30_000);

  it('crash-vulnerable: a burst of double Ends exceeds the restart intensity; every later call is UNAVAILABLE (service down)', async () => {
    server = await startScenarioServer({ scenario: 'session', variant: 'crash-vulnerable', delayMs: 200 });
    const r = await measureDoubleEndBurstOverGrpc({ target: server.target });
    expect(r.before).toEqual({ calls: 6, answered: 6 });
    expect(r.during.calls).toBe(12);
    expect(r.during.answered).toBeLessThan(12);
    expect(r.after).toEqual({ calls: 4, answered: 0 });
    expect(r.afterRefusal).toMatch(/^service down: the session table crashed \d+ times and its supervisor gave up/);
    const seen = server.service.supervision?.();
    expect(seen?.gaveUp).toBe(true);
    expect(seen?.crashes).toBeGreaterThan(3);
    const c = sessionClient(server.target);
    try {
      for (const [method, request] of [['Pool', {}], ['Open', { session: 'bob' }], ['End', { session: 'bob' }]] as const) {
        const a = await c.call(method, request);
        expect(a.code, method).toBe(grpc.status.UNAVAILABLE);
        expect(a.details).toMatch(/^service down/);
      }
    } finally {
      c.close();
    }
  }, 30_000);

  it('crash-fixed: every call answered in two bursts in a row, no crash', async () => {
    server = await startScenarioServer({ scenario: 'session', variant: 'crash-fixed', delayMs: 200 });
    for (let run = 0; run < 2; run++) {
      const r = await measureDoubleEndBurstOverGrpc({ target: server.target });
      expect(r).toEqual({ before: { calls: 6, answered: 6 }, during: { calls: 12, answered: 12 }, after: { calls: 4, answered: 4 } });
    }
    expect(server.service.supervision?.()).toEqual({ crashes: 0, gaveUp: false });
  }, 30_000);

  it('takes neither replicas nor a store: one line each', () => {
    const session = impactScenario('session');
    expect(() => checkServedVariant(session, 'crash-vulnerable', 'redis://127.0.0.1:6379', 3)).toThrow(/^replicas: `variant` crash-vulnerable of session keeps its state in one server process/);
    expect(() => checkServedVariant(session, 'crash-fixed', 'postgres://postgres@127.0.0.1:5432/test')).toThrow(/^store: `variant` crash-fixed of session keeps its state in the server process, not in a store/);
    expect(checkServedVariant(session, 'crash-fixed', 'memory').name).toBe('crash-fixed');
    expect(() => checkServedVariant(session, 'crash', 'memory')).toThrow(/use one of vulnerable, mutex, cas, txn, pg-conditional, redis-lua, crash-vulnerable, crash-fixed$/);
  });
});

describe('racelab serve --scenario session --variant crash-vulnerable|crash-fixed (the CLI process)', () => {
  it('vulnerable: down after the burst of double Ends; fixed: up; bad input one line, exit 2', async () => {
    const started = await Promise.all(
      ['crash-vulnerable', 'crash-fixed'].map((variant) => startCli(['serve', '--scenario', 'session', '--variant', variant, '--port', '0', '--delay', '200ms'], / on (\S+:\d+) /, 60_000)),
    );
    try {
      const [vulnerable, fixed] = await Promise.all(started.map((s) => measureDoubleEndBurstOverGrpc({ target: s.match[1]! })));
      expect(vulnerable).toMatchObject({ before: { calls: 6, answered: 6 }, after: { calls: 4, answered: 0 } });
      expect(vulnerable!.afterRefusal).toMatch(/^service down/);
      expect(fixed).toEqual({ before: { calls: 6, answered: 6 }, during: { calls: 12, answered: 12 }, after: { calls: 4, answered: 4 } });
    } finally {
      for (const s of started) s.child.kill('SIGTERM');
    }
    const bad = await Promise.all([
      runCli(['serve', '--scenario', 'session', '--variant', 'crash-vulnerable', '--port', '0', '--store', 'redis://127.0.0.1:6379', '--replicas', '3']),
      runCli(['serve', '--scenario', 'session', '--variant', 'crash-nope', '--port', '0']),
    ]);
    for (const b of bad) {
      expect(b.code, b.stderr).toBe(2);
      expect(b.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(bad[0]!.stderr).toMatch(/--replicas: --variant crash-vulnerable of session keeps its state in one server process/);
    expect(bad[1]!.stderr).toMatch(/crash-vulnerable, crash-fixed/);
  }, 120_000);
});

describe('racelab attack measures availability: a target the bursts take down is a finding, not bad input', () => {
  const endBurst = (target: string) => [
    'attack', '--target', target, '--call', 'racelab.session.v1.Sessions/End=4', '--data', '{"session":"s-{{run}}-{{round}}"}',
    '--before', 'racelab.session.v1.Sessions/Open', '--before-data', '{"session":"s-{{run}}-{{round}}"}', '--rounds', '6', '--json',
  ];
  it('crash-vulnerable: TARGET DOWN after a round, the summary so far, exit 1; crash-fixed: every round answered, exit 0', async () => {
    const started = await Promise.all(
      ['crash-vulnerable', 'crash-fixed'].map((variant) => startCli(['serve', '--scenario', 'session', '--variant', variant, '--port', '0', '--delay', '100ms'], / on (\S+:\d+) /, 60_000)),
    );
    try {
      const [down, up] = await Promise.all(started.map((s) => runCli(endBurst(s.match[1]!), { timeoutMs: 60_000 })));
      expect(down!.code, down!.stderr).toBe(1);
      const d = JSON.parse(down!.stdout) as AttackReport;
      // Each round's 4 Ends of one session crash the table at least once; 3 restarts in 5 s are allowed, so it is
      // down after round 4 at the latest, and the attack stops there.
      expect(d.targetDown?.afterRound).toBeGreaterThanOrEqual(1);
      expect(d.targetDown!.afterRound).toBeLessThanOrEqual(4);
      expect(d.targetDown!.message).toMatch(/service down: the session table crashed \d+ times/);
      expect(d.roundsRun).toBe(d.targetDown!.read === 'after' ? d.targetDown!.afterRound - 1 : d.targetDown!.afterRound);
      expect(up!.code, up!.stderr).toBe(0);
      const u = JSON.parse(up!.stdout) as AttackReport;
      expect(u.targetDown).toBeUndefined();
      expect(u.totals).toMatchObject({ calls: 24, ok: 24 });
    } finally {
      for (const s of started) s.child.kill('SIGTERM');
    }
  }, 120_000);

  it('the same with the Open as --setup-call: the setup call of the next round finds it down (TARGET DOWN, exit 1)', async () => {
    const server = await startCli(['serve', '--scenario', 'session', '--variant', 'crash-vulnerable', '--port', '0', '--delay', '100ms'], / on (\S+:\d+) /, 60_000);
    try {
      const args = endBurst(server.match[1]!).map((x) => (x === '--before' ? '--setup-call' : x === '--before-data' ? '--setup-data' : x));
      const run = await runCli(args, { timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(1);
      const d = JSON.parse(run.stdout) as AttackReport;
      expect(d.targetDown?.read).toBe('setup');
      expect(d.targetDown!.message).toMatch(/service down: the session table crashed \d+ times/);
      expect(d.roundsRun).toBe(d.targetDown!.afterRound);
      expect(d.roundsRun).toBeGreaterThanOrEqual(1);
    } finally {
      server.child.kill('SIGTERM');
    }
  }, 120_000);

  it('--scenario session-end: the double logout gives back slots twice on vulnerable, takes crash-vulnerable down, and neither on the fixes', async () => {
    const variants = ['vulnerable', 'crash-vulnerable', 'mutex', 'crash-fixed'];
    const started = await Promise.all(variants.map((variant) => startCli(['serve', '--scenario', 'session', '--variant', variant, '--port', '0', '--delay', '100ms'], / on (\S+:\d+) /, 60_000)));
    try {
      const runs = await Promise.all(started.map((s) => runCli(['attack', '--target', s.match[1]!, '--scenario', 'session-end', '--count', '4', '--rounds', '3', '--json'], { timeoutMs: 60_000 })));
      const [vulnerable, crash, mutex, crashFixed] = runs.map((r) => ({ code: r.code, stderr: r.stderr, report: JSON.parse(r.stdout) as AttackReport }));
      // vulnerable: each of the 4 Ends finds the session open and gives its slot back.
      expect(vulnerable!.code, vulnerable!.stderr).toBe(1);
      expect(vulnerable!.report.verdict).toBe('race');
      expect(vulnerable!.report.racesFound).toBe(3);
      expect(crash!.code, crash!.stderr).toBe(1);
      expect(crash!.report.targetDown?.message).toMatch(/service down: the session table crashed \d+ times/);
      for (const fixed of [mutex!, crashFixed!]) {
        expect(fixed.code, fixed.stderr).toBe(0);
        expect(fixed.report.verdict).toBe('no-race');
        expect(fixed.report.rounds.map((r) => r.verdict)).toEqual(['ok', 'ok', 'ok']);
      }
    } finally {
      for (const s of started) s.child.kill('SIGTERM');
    }
  }, 120_000);

  it('a target that is not there before the first burst is still bad input: one line, exit 2', async () => {
    const run = await runCli(endBurst('127.0.0.1:1'), { timeoutMs: 30_000 });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
