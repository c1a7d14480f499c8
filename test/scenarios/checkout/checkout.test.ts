import { afterEach, describe, expect, it } from 'vitest';
import { recordedVerdict } from '../../helpers/scenario-history.js';
import { explore } from '../../../src/explore/explore.js';
import { runAttack } from '../../../src/attack/index.js';
import { checkoutVariants } from '../../../src/scenarios/checkout/variants.js';
import { checkoutWorkload } from '../../../src/scenarios/checkout/workload.js';
import { startScenarioServer, type ScenarioServer } from '../../../src/scenarios/impacts/server.js';

const memoryVariants = checkoutVariants.filter((v) => !v.requires);

describe('checkout under the explorer', () => {
  for (const strategy of ['pct', 'random'] as const) {
    it(`${strategy} finds two checkouts with one key both charging, shrunk to the two key checks before either record`, async () => {
      const r = await explore(checkoutWorkload({ variant: 'vulnerable', clients: 2 }), { strategy, runs: 2000, seed: 7 });
      expect(r.firstFailure?.message).toMatch(/order-1 charged 2 times under one idempotency key \(t1 and t2 each charged it\): 60 taken for an order of 30/);
      expect(r.firstFailure?.shrunk.trace).toMatch(/^t\d get idempotency\(chk-1\)->0 \. t\d get idempotency\(chk-1\)->0 \. /);
      expect(r.firstFailure?.shrunk.trace).toMatch(/incr charges\(order-1\)->2/);
    });
  }
  it('dfs finds it at 3 clients too (3 charges)', async () => {
    const r = await explore(checkoutWorkload({ variant: 'vulnerable', clients: 3 }), { strategy: 'dfs', runs: 100_000, seed: 1 });
    expect(r.firstFailure?.message).toMatch(/order-1 charged [23] times/);
  });
  for (const v of memoryVariants.filter((x) => x.safe)) {
    for (const clients of [2, 3]) {
      it(`proves ${v.name} at ${clients} clients`, async () => {
        const r = await explore(checkoutWorkload({ variant: v.name, clients }), { strategy: 'dfs', runs: 1_000_000, seed: 1 });
        expect(r.firstFailure?.message).toBeUndefined();
        expect(r.dfs?.exhausted).toBe(true);
      }, 60_000);
    }
  }
});

describe('racelab attack --scenario checkout --sync last-frame against racelab serve --scenario checkout', () => {
  let server: ScenarioServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  for (const v of memoryVariants) {
    it(`${v.name}: ${v.safe ? 'no race in any round of two attacks (one charge per burst, the other calls replayed)' : 'a race in every round of two attacks in a row (each burst has a new key)'}`, async () => {
      // 150 ms between the key check and the charge: 8 calls released together by last-frame cannot miss it.
      server = await startScenarioServer({ scenario: 'checkout', variant: v.name, delayMs: 150 });
      // Two attacks of 2 rounds on one server, 8 checkouts of order-1 at once per round: every burst has a key
      // of its own ({{run}}-{{round}}), so neither a later round nor the second attack replays an earlier key.
      for (const attack of [1, 2]) {
        const report = await runAttack({ target: server.target, scenario: 'checkout', sync: 'last-frame', count: 8, rounds: 2, pauseMs: 0 });
        expect(report.totals.ok, `attack ${attack}`).toBe(16);
        expect(
          report.rounds.map((r) => r.verdict),
          `attack ${attack}: ${report.warnings.join('\n')}`,
        ).toEqual(v.safe ? ['ok', 'ok'] : ['race', 'race']);
      }
      const stats = server.service.stats as { replayed: number };
      const { charges } = await (server.service.handlers.Charges as (q: unknown) => Promise<{ charges: number }>)({ order: 'order-1' });
      // 4 bursts of 8: a fix charges once per burst and replays the other 7.
      if (v.safe) {
        expect(charges).toBe(4);
        expect(stats.replayed).toBe(28);
      } else expect(charges).toBeGreaterThan(4);
    }, 60_000);
  }
  it('records a history racelab check --model checkout finds illegal for vulnerable and ok for txn and mutex', async () => {
    expect(await recordedVerdict('checkout', 'vulnerable', 'checkout', 6)).toBe('illegal');
    expect(await recordedVerdict('checkout', 'txn', 'checkout', 6)).toBe('ok');
    expect(await recordedVerdict('checkout', 'mutex', 'checkout', 6)).toBe('ok');
  }, 60_000);
});
