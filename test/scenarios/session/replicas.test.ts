import { describe, expect, it } from 'vitest';
import type { ScenarioBurstResult } from '../../../src/scenarios/impacts/burst.js';
import { burstOnReplicas } from '../../helpers/scenario-replicas.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const pg = await serviceAvailable('PostgreSQL', PG_URL);
const redis = await serviceAvailable('Redis', REDIS_URL);

/** 8 Opens of one session at once, spread over the replicas, in a pool of 10; 150 ms between check and write, wide enough for a loaded machine. */
const onReplicas = (storeUrl: string, variant: string, replicas: number): Promise<ScenarioBurstResult> => burstOnReplicas(storeUrl, 'session', variant, replicas, 8, 150);

function exact(r: ScenarioBurstResult): void {
  expect(r.unknown + r.refused).toBe(0);
  expect(r.impact.violated, r.impact.detail).toBe(false);
  expect((r.before as { free: number }).free - (r.after as { free: number }).free).toBe(1);
}

function leaks(r: ScenarioBurstResult): void {
  expect(r.unknown).toBe(0);
  expect(r.impact.violated, r.impact.detail).toBe(true);
  expect(r.impact.unit).toBe('slots leaked');
}

describe.skipIf(!pg)('session on PostgreSQL, 3 replica processes', () => {
  it('mutex leaks on 3 (its lock is per process); pg-conditional and txn exact on 3', async () => {
    leaks(await onReplicas(PG_URL, 'mutex', 3));
    for (const variant of ['pg-conditional', 'txn']) exact(await onReplicas(PG_URL, variant, 3));
  }, 120_000);
});

describe.skipIf(!redis)('session on Redis, 3 replica processes', () => {
  it('vulnerable leaks; redis-lua and cas exact', async () => {
    leaks(await onReplicas(REDIS_URL, 'vulnerable', 3));
    for (const variant of ['redis-lua', 'cas']) exact(await onReplicas(REDIS_URL, variant, 3));
  }, 120_000);
});
