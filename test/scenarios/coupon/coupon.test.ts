import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { check } from '../../../src/check/checker.js';
import { explore } from '../../../src/explore/explore.js';
import { parseHistoryJsonl } from '../../../src/history/jsonl.js';
import { runAttack } from '../../../src/attack/index.js';
import { couponVariants } from '../../../src/scenarios/coupon/variants.js';
import { couponWorkload } from '../../../src/scenarios/coupon/workload.js';
import { startScenarioServer, type ScenarioServer } from '../../../src/scenarios/impacts/server.js';
import { freshRoundTests } from '../../helpers/fresh-rounds.js';

const memoryVariants = couponVariants.filter((v) => !v.requires);

describe('coupon under the explorer', () => {
  it('finds mallory redeeming the single-use code twice (vulnerable, 2 clients)', async () => {
    const r = await explore(couponWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 10_000, seed: 1 });
    expect(r.firstFailure?.message).toMatch(/mallory redeemed SPRING 2 times/);
    expect(r.firstFailure?.shrunk.trace).toMatch(/get used\(SPRING,mallory\)->0 . t2 get used\(SPRING,mallory\)->0|t1 get used\(SPRING,mallory\)->0/);
  });
  for (const v of memoryVariants.filter((x) => x.safe)) {
    for (const clients of [2, 3]) {
      it(`proves ${v.name} at ${clients} clients`, async () => {
        const r = await explore(couponWorkload({ variant: v.name, clients }), { strategy: 'dfs', runs: 1_000_000, seed: 1 });
        expect(r.firstFailure?.message).toBeUndefined();
        expect(r.dfs?.exhausted).toBe(true);
      }, 60_000);
    }
  }
});

describe('racelab attack --scenario coupon --sync last-frame against racelab serve --scenario coupon', () => {
  const server: { current?: ScenarioServer } = {};
  afterEach(async () => {
    await server.current?.close();
    server.current = undefined;
  });
  freshRoundTests('coupon', memoryVariants, 'coupons over the limit', server);
  it('records a history racelab check --model coupon finds illegal for vulnerable and ok for txn', async () => {
    for (const variant of ['vulnerable', 'txn']) {
      const served = await startScenarioServer({ scenario: 'coupon', variant, delayMs: 60 });
      server.current = served;
      const file = join(tmpdir(), `racelab-coupon-${process.pid}-${variant}.jsonl`);
      try {
        await runAttack({ target: served.target, scenario: 'coupon', sync: 'last-frame', count: 7, rounds: 1, record: file });
        expect(check(parseHistoryJsonl(await readFile(file, 'utf8')), 'coupon', { budgetMs: 10_000 }).verdict).toBe(variant === 'vulnerable' ? 'illegal' : 'ok');
      } finally {
        await rm(file, { force: true });
        await served.close();
        server.current = undefined;
      }
    }
  }, 60_000);
});
