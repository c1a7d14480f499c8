import { describe, expect, it } from 'vitest';
import type { ScenarioBurstResult } from '../../../src/scenarios/impacts/burst.js';
import { burstOnReplicas } from '../../helpers/scenario-replicas.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const pg = await serviceAvailable('PostgreSQL', PG_URL);
const redis = await serviceAvailable('Redis', REDIS_URL);

/**
 * R replica processes of a coupon variant on a fresh namespace; 10 users redeem a code good for 5, at once, 150 ms
 * between check and write: wide enough that the calls overlap on a loaded machine (as inventory and session use
 * since a 40 ms window once missed a mutex race).
 */
const onReplicas = (storeUrl: string, variant: string, replicas: number): Promise<ScenarioBurstResult> => burstOnReplicas(storeUrl, 'coupon', variant, replicas, 10, 150);

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
  }, 400_000);
});

describe.skipIf(!redis)('coupon on Redis, 3 replica processes', () => {
  it('vulnerable overruns; redis-lua and unique-cas exact', async () => {
    overruns(await onReplicas(REDIS_URL, 'vulnerable', 3));
    for (const variant of ['redis-lua', 'unique-cas']) exact(await onReplicas(REDIS_URL, variant, 3));
  }, 400_000);
});
