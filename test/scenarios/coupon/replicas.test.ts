import { describe, expect, it } from 'vitest';
import { openStore, startReplicaSet } from '../../../src/index.js';
import { runNamespace, withNamespace } from '../../../src/store/specs.js';
import { runScenarioBurst, type ScenarioBurstResult } from '../../../src/scenarios/impacts/burst.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const pg = await serviceAvailable('PostgreSQL', PG_URL);
const redis = await serviceAvailable('Redis', REDIS_URL);

/** R replica processes of a coupon variant on a fresh namespace; 10 users redeem a code good for 5, at once. */
async function onReplicas(storeUrl: string, variant: string, replicas: number): Promise<ScenarioBurstResult> {
  const url = withNamespace(storeUrl, runNamespace(`coupon-${variant}-${replicas}`));
  const store = await openStore(url);
  try {
    const set = await startReplicaSet({ replicas, scenario: 'coupon', variant, store: url, delayMs: 40, maxConcurrency: 50 });
    try {
      return await runScenarioBurst({ scenario: 'coupon', targets: set.targets, count: 10 });
    } finally {
      await set.stop(2000);
    }
  } finally {
    await store.reset();
    await store.close();
  }
}

function exact(r: ScenarioBurstResult): void {
  expect(r.unknown).toBe(0);
  expect(r.accepted.Redeem).toBe(5);
  expect(r.impact.violated, r.impact.detail).toBe(false);
}

function overruns(r: ScenarioBurstResult): void {
  expect(r.unknown).toBe(0);
  expect(r.impact.violated, r.impact.detail).toBe(true);
}

describe.skipIf(!pg)('coupon on PostgreSQL, 3 replica processes', () => {
  it('mutex: exact on 1 replica, overrun on 3; pg-unique-atomic and txn exact on 3', async () => {
    exact(await onReplicas(PG_URL, 'mutex', 1));
    overruns(await onReplicas(PG_URL, 'mutex', 3));
    for (const variant of ['pg-unique-atomic', 'txn']) exact(await onReplicas(PG_URL, variant, 3));
  }, 120_000);
});

describe.skipIf(!redis)('coupon on Redis, 3 replica processes', () => {
  it('vulnerable overruns; redis-lua and unique-cas exact', async () => {
    overruns(await onReplicas(REDIS_URL, 'vulnerable', 3));
    for (const variant of ['redis-lua', 'unique-cas']) exact(await onReplicas(REDIS_URL, variant, 3));
  }, 120_000);
});
