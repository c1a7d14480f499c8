import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAttack } from '../../src/attack/run.js';
import { startCounterServer, type CounterServer } from '../../src/scenarios/counter/server.js';
import type { SyncMode } from '../../src/burst/sync-policy.js';
import { runCli } from '../helpers/cli.js';

// A 100 ms read-modify-write window: any two calls that start within it lose an update, so every concurrent
// mode detects the race even on a loaded two-core machine; sequential calls never overlap.
const VULNERABLE_DELAY_MS = 100;
const CONCURRENT: SyncMode[] = ['parallel', 'connections', 'processes', 'last-frame'];

describe("racelab attack against racelab's own Counter server", () => {
  let vulnerable: CounterServer;
  let mutex: CounterServer;
  beforeAll(async () => {
    vulnerable = await startCounterServer({ variant: 'vulnerable', delayMs: VULNERABLE_DELAY_MS, maxConcurrency: 100 });
    mutex = await startCounterServer({ variant: 'mutex', delayMs: 10, maxConcurrency: 100 });
  });
  afterAll(async () => {
    await vulnerable?.close(200);
    await mutex?.close(200);
  });

  it.each(CONCURRENT)('finds the race in the vulnerable server with --sync %s', async (sync) => {
    const report = await runAttack({ target: vulnerable.target, scenario: 'counter', sync, count: 4, rounds: 2, pauseMs: 0 });
    expect(report.verdict, report.warnings.join('\n')).toBe('race');
    expect(report.racesFound).toBeGreaterThanOrEqual(1);
    const round = report.rounds.find((r) => r.verdict === 'race');
    expect(round?.lost).toBeGreaterThan(0);
    expect(round?.ok).toBe(4);
    // A racelab server reports when each handler started, so the report has the server-side spread.
    expect(report.serverSpread?.rounds).toBe(2);
    expect(report.statusCodes).toEqual([{ code: 0, name: 'OK', count: 8 }]);
    if (sync === 'last-frame') {
      expect(report.rounds.every((r) => r.release?.releaseWrites === 1 && r.release.finalFramesPerWrite[0] === 4)).toBe(true);
      expect(report.sendSpread?.worstMicros).toBe(0);
    }
    if (sync === 'connections' || sync === 'processes') expect(report.clients).toBe(4);
  });

  it('finds no race with --sync sequential (the seed\'s client), and reports what it checked', async () => {
    const report = await runAttack({ target: vulnerable.target, scenario: 'counter', sync: 'sequential', count: 4, rounds: 2, pauseMs: 0 });
    expect(report.verdict, report.warnings.join('\n')).toBe('no-race');
    expect(report.detectionRate).toBe(0);
    expect(report.rounds.map((r) => [r.observed, r.expected, r.lost])).toEqual([
      [4, 4, 0],
      [4, 4, 0],
    ]);
    // One call after another: each handler starts after the previous one's 100 ms window.
    expect(report.serverSpread?.bestMicros).toBeGreaterThan(3 * VULNERABLE_DELAY_MS * 1000);
  });

  it.each(['sequential', ...CONCURRENT] as SyncMode[])('finds no race in the mutex server with --sync %s', async (sync) => {
    const report = await runAttack({ target: mutex.target, scenario: 'counter', sync, count: 4, rounds: 2, pauseMs: 0 });
    expect(report.verdict, report.warnings.join('\n')).toBe('no-race');
    expect(report.totals, report.warnings.join('\n')).toMatchObject({ calls: 8, ok: 8, lost: 0, extra: 0 });
  });

  it('detects the race with a user-written invariant over a multi-endpoint burst with an offset', async () => {
    const report = await runAttack({
      target: vulnerable.target,
      endpoints: [
        { method: 'Counter/Increment', count: 3 },
        { method: 'Counter/GetValue', count: 1, offsetMs: 20 },
      ],
      before: { method: 'Counter/GetValue' },
      after: { method: 'Counter/GetValue' },
      invariant: 'after.value - before.value == by.Increment.ok',
      sync: 'parallel',
      rounds: 1,
    });
    expect(report.verdict, report.warnings.join('\n')).toBe('race');
    expect(report.rounds[0]).toMatchObject({ observed: 1, expected: 3, lost: 2, extra: 0 });
    expect(report.endpoints).toEqual([
      { method: '/Counter/Increment', count: 3, offsetMicros: 0 },
      { method: '/Counter/GetValue', count: 1, offsetMicros: 20_000 },
    ]);
  });
});

describe('racelab attack: a burst of which every call was refused tests nothing', () => {
  it('a used-up coupon: those rounds are unknown, not "ok"; no round that could race left is inconclusive', async () => {
    const { startScenarioServer } = await import('../../src/scenarios/impacts/server.js');
    const { renderAttackReport } = await import('../../src/report/attack-text.js');
    // Every round on the served code SPRING, good for 5 redemptions (no setup call issuing a code per round, as
    // --scenario coupon makes): the first burst of 8 uses it up, the next ones are all refused.
    const server = await startScenarioServer({ scenario: 'coupon', variant: 'mutex', delayMs: 10 });
    const Coupons = 'racelab.coupon.v1.Coupons';
    const onSpring = {
      endpoints: [{ method: `${Coupons}/Redeem`, data: { code: 'SPRING', user: 'user-{{run}}-{{round}}-{{index}}' } }],
      before: { method: `${Coupons}/Status`, data: { code: 'SPRING' } },
      after: { method: `${Coupons}/Status`, data: { code: 'SPRING' } },
      invariant: 'ok <= before.remaining && after.remaining == before.remaining - ok',
    };
    try {
      const first = await runAttack({ target: server.target, ...onSpring, sync: 'parallel', count: 8, rounds: 3, pauseMs: 0 });
      expect(first.rounds.map((r) => [r.verdict, r.ok, r.nothingAccepted ?? false])).toEqual([
        ['ok', 5, false],
        ['unknown', 0, true],
        ['unknown', 0, true],
      ]);
      // The one round that could race decides; the rate counts only it.
      expect(first.verdict).toBe('no-race');
      expect(first.detectionRate).toBe(0);
      expect(renderAttackReport(first)).toContain('No race found in the 1 of 3 rounds that could race');

      const second = await runAttack({ target: server.target, ...onSpring, sync: 'parallel', count: 8, rounds: 2, pauseMs: 0 });
      expect(second.verdict).toBe('unknown');
      expect(second.rounds.every((r) => r.nothingAccepted)).toBe(true);
      expect(renderAttackReport(second)).toMatch(/Inconclusive: .*in 2 of 2 rounds the target refused every call/);
      // From the CLI: inconclusive is exit 3, never the 0 of "no race".
      const status = ['--before', `${Coupons}/Status`, '--before-data', '{"code":"SPRING"}', '--after', `${Coupons}/Status`, '--after-data', '{"code":"SPRING"}'];
      const cli = await runCli(['attack', '--target', server.target, '--call', `${Coupons}/Redeem`, '--data', '{"code":"SPRING","user":"cli-{{index}}"}', ...status, '--invariant', onSpring.invariant, '--count', '4', '--rounds', '1'], { timeoutMs: 60_000 });
      expect(cli.code, cli.stdout + cli.stderr).toBe(3);
      expect(cli.stdout).toContain('unknown (all refused)');
      // --scenario coupon issues a code of its own per round: on the same server, every round is tested again.
      const fresh = await runAttack({ target: server.target, scenario: 'coupon', sync: 'parallel', count: 8, rounds: 2, pauseMs: 0 });
      expect(fresh.rounds.map((r) => [r.verdict, r.ok, r.nothingAccepted ?? false])).toEqual([['ok', 5, false], ['ok', 5, false]]);
    } finally {
      await server.close();
    }
  }, 60_000);
});
