import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { recordedVerdict } from '../../helpers/scenario-history.js';
import { explore } from '../../../src/explore/explore.js';
import { runAttack } from '../../../src/attack/index.js';
import { runScenarioBurst } from '../../../src/scenarios/impacts/burst.js';
import { loadScenarioProto, startScenarioServer, type ScenarioServer } from '../../../src/scenarios/impacts/server.js';
import { impactScenarios } from '../../../src/scenarios/impacts/registry.js';
import { sessionScenario } from '../../../src/scenarios/session/scenario.js';
import { sessionVariants } from '../../../src/scenarios/session/variants.js';
import { sessionWorkload } from '../../../src/scenarios/session/workload.js';

const memoryVariants = sessionVariants.filter((v) => !v.requires);

describe('session under the explorer', () => {
  it('finds the double End: both of alice\'s tabs pass the check and each gives a slot back (2 clients)', async () => {
    const two = await explore(sessionWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 10_000, seed: 1 });
    expect(two.firstFailure?.message).toBe('1 slot more free than the pool has: the pool has 3 of 2 free with 0 sessions open (none)');
    expect(two.firstFailure?.shrunk.trace).toMatch(/t\d get session\(alice\)->1 . t\d set session\(alice\)=0 .*t\d set session\(alice\)=0 . t\d incr free\(pool\)->3/);
  });
  it('every schedule of 3 clients: the double End, and the double Open that leaks a slot and refuses bob', async () => {
    const messages = new Set<string>();
    const r = await explore(sessionWorkload({ variant: 'vulnerable', clients: 3 }), {
      strategy: 'dfs',
      runs: 100_000,
      seed: 1,
      stopOnFailure: false,
      onRun: (_run, record) => {
        if (record.failure) messages.add(record.failure.message);
      },
    });
    expect(r.dfs?.exhausted).toBe(true);
    expect([...messages].some((m) => /slot more free than the pool has/.test(m))).toBe(true);
    expect([...messages].some((m) => /^1 slot leaked: .*; bob refused: pool full$/.test(m))).toBe(true);
  }, 60_000);
  for (const v of memoryVariants.filter((x) => x.safe)) {
    for (const clients of [2, 3]) {
      it(`proves ${v.name} at ${clients} clients`, async () => {
        const r = await explore(sessionWorkload({ variant: v.name, clients }), { strategy: 'dfs', runs: 1_000_000, seed: 1 });
        expect(r.firstFailure?.message).toBeUndefined();
        expect(r.dfs?.exhausted).toBe(true);
      }, 60_000);
    }
  }
});

/** One Open over gRPC: the status code (0 = a slot). */
function open(target: string, session: string): Promise<number> {
  const proto = loadScenarioProto(sessionScenario);
  const Client = (proto.grpcObject as unknown as { racelab: { session: { v1: { Sessions: grpc.ServiceClientConstructor } } } }).racelab.session.v1.Sessions;
  const client = new Client(target, grpc.credentials.createInsecure());
  return new Promise<number>((resolve) => {
    (client as unknown as { Open(q: unknown, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void }).Open({ session }, { deadline: Date.now() + 10_000 }, (e) => {
      client.close();
      resolve(e ? e.code : 0);
    });
  });
}

describe('racelab attack --scenario session --sync last-frame against racelab serve --scenario session', () => {
  let server: ScenarioServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  for (const v of memoryVariants) {
    it(`${v.name}: ${v.safe ? 'no race' : 'race (slots leaked)'}`, async () => {
      server = await startScenarioServer({ scenario: 'session', variant: v.name, delayMs: 60 });
      // 8 Opens of one session at once per round, in a pool of 10.
      const report = await runAttack({ target: server.target, scenario: 'session', sync: 'last-frame', count: 8, rounds: 2, pauseMs: 0 });
      expect(report.verdict, report.warnings.join('\n')).toBe(v.safe ? 'no-race' : 'race');
      expect(report.totals.ok).toBe(16);
      const pool = (await server.service.handlers.Pool!({} as never, new grpc.Metadata())) as { free: number; capacity: number };
      if (v.safe) expect(pool).toEqual({ free: 8, capacity: 10 });
      else expect(pool.free).toBeLessThan(8);
    }, 60_000);
  }
  it('denial of service: after one burst of 10 Opens of one session, vulnerable refuses the next user with one session open; txn serves them', async () => {
    for (const variant of ['vulnerable', 'txn']) {
      server = await startScenarioServer({ scenario: 'session', variant, delayMs: 60 });
      const before = await open(server.target, 'bob');
      const burst = await runScenarioBurst({ scenario: 'session', targets: [server.target], count: 10 });
      const after = await open(server.target, 'carol');
      expect(before).toBe(0);
      if (variant === 'vulnerable') {
        expect(burst.impact).toMatchObject({ violated: true, unit: 'slots leaked' });
        expect(burst.impact.amount).toBeGreaterThanOrEqual(8);
        expect(after).toBe(grpc.status.RESOURCE_EXHAUSTED);
      } else {
        expect(burst.impact.violated, burst.impact.detail).toBe(false);
        expect(after).toBe(0);
      }
      await server.close();
      server = undefined;
    }
  }, 60_000);
  it('records a history racelab check --model session finds illegal for vulnerable and ok for txn', async () => {
    expect(await recordedVerdict('session', 'vulnerable', 'session', 6)).toBe('illegal');
    expect(await recordedVerdict('session', 'txn', 'session', 6)).toBe('ok');
  }, 60_000);
  it('a double End gives back one slot in the fixes, several in vulnerable (the pool then holds more than it has)', async () => {
    for (const v of memoryVariants) {
      server = await startScenarioServer({ scenario: 'session', variant: v.name, delayMs: 60 });
      const h = server.service.handlers as unknown as Record<'Open' | 'End' | 'Pool', (q: unknown) => Promise<{ free: number }>>;
      await h.Open({ session: 'alice' });
      await Promise.all(Array.from({ length: 6 }, () => h.End({ session: 'alice' })));
      const { free } = await h.Pool({});
      if (v.safe) expect(free, v.name).toBe(10);
      else expect(free).toBeGreaterThan(10);
      await server.close();
      server = undefined;
    }
  }, 60_000);
});

// grpc-js gives every client a lowercase alias of each method: an rpc named Close would shadow Client.close(),
// and the burst's clients would send an RPC where they meant to close the channel (hence session's End).
it('no scenario has an rpc whose grpc-js alias shadows a method of grpc.Client', () => {
  const own = new Set(Object.getOwnPropertyNames(grpc.Client.prototype).map((n) => n.toLowerCase()));
  for (const scenario of impactScenarios) {
    const Client = scenario.service.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], loadScenarioProto(scenario).grpcObject) as grpc.ServiceClientConstructor;
    for (const rpc of Object.keys(Client.service)) expect(own.has(rpc.toLowerCase()), `${scenario.service}/${rpc}`).toBe(false);
  }
  expect(own.has('close')).toBe(true);
});
