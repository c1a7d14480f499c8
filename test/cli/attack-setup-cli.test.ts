import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScenarioServer, type ScenarioServer } from '../../src/scenarios/impacts/server.js';
import { expectOneLineError, runCli } from '../helpers/cli.js';

const Coupons = 'racelab.coupon.v1.Coupons';
const CODE = 'C-{{run}}-{{round}}';
const INVARIANT = 'ok <= before.remaining && after.remaining == before.remaining - ok';

/** An attack of the coupon with everything named by flags (no --scenario): the code is `CODE`, read by Status. */
const onOwnCode = (target: string): string[] => [
  'attack',
  '--target', target,
  '--call', `${Coupons}/Redeem`,
  '--data', JSON.stringify({ code: CODE, user: 'u-{{index}}' }),
  '--before', `${Coupons}/Status`,
  '--before-data', JSON.stringify({ code: CODE }),
  '--after', `${Coupons}/Status`,
  '--after-data', JSON.stringify({ code: CODE }),
  '--invariant', INVARIANT,
  '--sync', 'parallel',
  '--pause', '0ms',
];

describe('racelab attack --setup-call / --setup-data', () => {
  let server: ScenarioServer;
  beforeAll(async () => {
    server = await startScenarioServer({ scenario: 'coupon', variant: 'mutex', delayMs: 20 });
  });
  afterAll(() => server.close());

  it('issues a fresh code before each round: every round of 6 users on a code good for 3 accepts 3 (exit 0)', async () => {
    const setup = ['--setup-call', `${Coupons}/Issue`, '--setup-data', JSON.stringify({ code: CODE, limit: 3 })];
    const run = await runCli([...onOwnCode(server.target), ...setup, '--count', '6', '--rounds', '3', '--json'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { verdict: string; rounds: Array<{ verdict: string; ok: number; before: { remaining: number; limit: number } }> };
    expect(report.verdict).toBe('no-race');
    expect(report.rounds.map((r) => [r.verdict, r.ok, r.before.remaining, r.before.limit])).toEqual([
      ['ok', 3, 3, 3],
      ['ok', 3, 3, 3],
      ['ok', 3, 3, 3],
    ]);
  }, 90_000);

  it('without it, the same rounds find no code: the before read fails in one line', async () => {
    const line = expectOneLineError(await runCli([...onOwnCode(server.target), '--count', '2', '--rounds', '1', '--json'], { timeoutMs: 60_000 }));
    expect(line).toMatch(/^racelab: --before: \/racelab\.coupon\.v1\.Coupons\/Status failed with NotFound: no coupon "C-[0-9a-f]{8}-1"/);
  }, 60_000);

  it('an unknown method is one line, before any burst', async () => {
    const line = expectOneLineError(await runCli([...onOwnCode(server.target), '--setup-call', `${Coupons}/Nope`], { timeoutMs: 60_000 }));
    expect(line).toBe(`racelab: --setup-call: ${Coupons} has no method Nope; it has Redeem, Status, Issue`);
  }, 60_000);

  it('a setup call the target refuses (a code that exists) is one line and exit 2, and the process is gone', async () => {
    const run = await runCli([...onOwnCode(server.target), '--setup-call', `${Coupons}/Issue`, '--setup-data', '{"code":"SPRING","limit":5}', '--sync', 'processes', '--processes', '2', '--json'], { timeoutMs: 60_000 });
    expect(run.signal).toBeNull();
    expect(expectOneLineError(run)).toBe(`racelab: --setup-call: /${Coupons}/Issue failed with AlreadyExists: coupon "SPRING" was already issued; issue a code of another name`);
    // Nothing was redeemed: the run stopped before round 1's burst.
    const status = await runCli(['call', server.target, `${Coupons}/Status`, '--data', '{"code":"SPRING"}'], { timeoutMs: 30_000 });
    expect(status.stdout).toMatch(/"remaining": 5/);
  }, 60_000);

  it('bad --setup-data is one line before connecting; --setup-data, --before-data or --after-data alone names its call', async () => {
    const base = ['attack', '--target', '127.0.0.1:1', '--call', `${Coupons}/Redeem`];
    expect(expectOneLineError(await runCli([...base, '--setup-call', `${Coupons}/Issue`, '--setup-data', '{nope']))).toMatch(/^racelab: --setup-data: not valid JSON/);
    expect(expectOneLineError(await runCli([...base, '--setup-data', '{}']))).toBe('racelab: --setup-data belongs to --setup-call; add --setup-call Service/Method');
    // With a scenario too: its own reads take its own data, so the user's would be dropped without a word.
    expect(expectOneLineError(await runCli([...base, '--scenario', 'coupon', '--before-data', '{"code":"X"}']))).toBe('racelab: --before-data belongs to --before; add --before Service/Method');
    expect(expectOneLineError(await runCli([...base, '--after-data', '{}']))).toBe('racelab: --after-data belongs to --after; add --after Service/Method');
  }, 60_000);
});
