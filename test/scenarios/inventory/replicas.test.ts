import { describe, expect, it } from 'vitest';
import type { ScenarioBurstResult } from '../../../src/scenarios/impacts/burst.js';
import { burstOnReplicas } from '../../helpers/scenario-replicas.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const pg = await serviceAvailable('PostgreSQL', PG_URL);
const redis = await serviceAvailable('Redis', REDIS_URL);

/** 10 reservations of 1 against 5 widgets, at once, spread over the replicas; 150 ms between check and write, wide enough for a loaded machine. */
const onReplicas = (storeUrl: string, variant: string, replicas: number): Promise<ScenarioBurstResult> => burstOnReplicas(storeUrl, 'inventory', variant, replicas, 10, 150);

function exact(r: ScenarioBurstResult): void {
  expect(r.unknown).toBe(0);
  expect(r.accepted.Reserve).toBe(5);
  expect(r.impact.violated, r.impact.detail).toBe(false);
}

function oversells(r: ScenarioBurstResult): void {
  expect(r.unknown).toBe(0);
  expect(r.impact.violated, r.impact.detail).toBe(true);
  expect(r.impact.unit).toBe('units oversold');
}

describe.skipIf(!pg)('inventory on PostgreSQL, 3 replica processes', () => {
  it('mutex oversells on 3 (its lock is per process); pg-conditional and txn exact on 3', async () => {
    oversells(await onReplicas(PG_URL, 'mutex', 3));
    for (const variant of ['pg-conditional', 'txn']) exact(await onReplicas(PG_URL, variant, 3));
  }, 120_000);
});

describe.skipIf(!redis)('inventory on Redis, 3 replica processes', () => {
  it('vulnerable oversells; redis-lua and cas exact', async () => {
    oversells(await onReplicas(REDIS_URL, 'vulnerable', 3));
    for (const variant of ['redis-lua', 'cas']) exact(await onReplicas(REDIS_URL, variant, 3));
  }, 120_000);
});
