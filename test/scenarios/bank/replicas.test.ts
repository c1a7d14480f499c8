import { describe, expect, it } from 'vitest';
import type { ScenarioBurstResult } from '../../../src/scenarios/impacts/burst.js';
import { burstOnReplicas } from '../../helpers/scenario-replicas.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const pg = await serviceAvailable('PostgreSQL', PG_URL);
const redis = await serviceAvailable('Redis', REDIS_URL);

/**
 * R `racelab serve --scenario bank` processes of a variant on a fresh namespace of the store, 8 Withdraw and 8
 * Transfer calls spread over them at once, 150 ms between check and write: overlapping calls on every replica,
 * on a loaded machine too (150 ms, as inventory and session use since a 40 ms window once missed a mutex race).
 */
const onReplicas = (storeUrl: string, variant: string, replicas: number): Promise<ScenarioBurstResult> => burstOnReplicas(storeUrl, 'bank', variant, replicas, 8, 150);

function exact(r: ScenarioBurstResult): void {
  expect(r.unknown + r.refused).toBe(0);
  expect(r.impact.violated, r.impact.detail).toBe(false);
}

function races(r: ScenarioBurstResult): void {
  expect(r.unknown).toBe(0);
  expect(r.impact.violated, r.impact.detail).toBe(true);
  expect(r.impact.unit).toBe('money created');
}

describe.skipIf(!pg)('bank on PostgreSQL, 1 and 3 replica processes', () => {
  it('mutex-ordered and actor: exact on 1 replica, money created on 3 (each process has its own locks and actors)', async () => {
    for (const variant of ['mutex-ordered', 'actor']) {
      exact(await onReplicas(PG_URL, variant, 1));
      races(await onReplicas(PG_URL, variant, 3));
    }
  }, 400_000);
  it('vulnerable: money created on 3', async () => {
    races(await onReplicas(PG_URL, 'vulnerable', 3));
  }, 200_000);
  it('pg-for-update, pg-conditional, txn (SERIALIZABLE, retried), cas: exact on 3', async () => {
    for (const variant of ['pg-for-update', 'pg-conditional', 'txn', 'cas']) exact(await onReplicas(PG_URL, variant, 3));
  }, 400_000);
});

describe.skipIf(!redis)('bank on Redis, 3 replica processes', () => {
  it('mutex-ordered: money created; redis-lua, txn (WATCH), cas: exact', async () => {
    races(await onReplicas(REDIS_URL, 'mutex-ordered', 3));
    for (const variant of ['redis-lua', 'txn', 'cas']) exact(await onReplicas(REDIS_URL, variant, 3));
  }, 400_000);
});
