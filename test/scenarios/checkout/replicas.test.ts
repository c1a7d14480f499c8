import { describe, expect, it } from 'vitest';
import type { ScenarioBurstResult } from '../../../src/scenarios/impacts/burst.js';
import { burstOnReplicas } from '../../helpers/scenario-replicas.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const pg = await serviceAvailable('PostgreSQL', PG_URL);
const redis = await serviceAvailable('Redis', REDIS_URL);

/**
 * 10 checkouts of one order with one idempotency key, at once, spread over the replicas; 300 ms between the key
 * check and the charge: at a load average of 28, 150 ms once let the calls to three Redis replicas miss each other.
 */
const onReplicas = (storeUrl: string, variant: string, replicas: number): Promise<ScenarioBurstResult> => burstOnReplicas(storeUrl, 'checkout', variant, replicas, 10, 300);

/** One charge, every other call answered as a replay of it. */
function exact(r: ScenarioBurstResult): void {
  expect(r.unknown + r.refused).toBe(0);
  expect(r.accepted.Checkout).toBe(10);
  expect((r.after as { charges: number }).charges).toBe(1);
  expect(r.impact.violated, r.impact.detail).toBe(false);
}

function chargesTwice(r: ScenarioBurstResult): void {
  expect(r.unknown).toBe(0);
  expect(r.impact.violated, r.impact.detail).toBe(true);
  expect(r.impact.unit).toBe('money charged twice');
  expect(r.impact.amount).toBe(((r.after as { charges: number }).charges - 1) * 30);
}

describe.skipIf(!pg)('checkout on PostgreSQL, 1 and 3 replica processes', () => {
  it('mutex: exact on 1 replica, charges twice on 3 (its lock is per process)', async () => {
    exact(await onReplicas(PG_URL, 'mutex', 1));
    chargesTwice(await onReplicas(PG_URL, 'mutex', 3));
  }, 400_000);
  it('pg-unique (key and charge in one transaction) and txn (SERIALIZABLE, retried): exact on 3', async () => {
    for (const variant of ['pg-unique', 'txn']) exact(await onReplicas(PG_URL, variant, 3));
  }, 400_000);
});

describe.skipIf(!redis)('checkout on Redis, 3 replica processes', () => {
  it('vulnerable and mutex charge twice; redis-lua (SET NX and the charge in one script) and txn (WATCH) exact', async () => {
    chargesTwice(await onReplicas(REDIS_URL, 'vulnerable', 3));
    chargesTwice(await onReplicas(REDIS_URL, 'mutex', 3));
    for (const variant of ['redis-lua', 'txn']) exact(await onReplicas(REDIS_URL, variant, 3));
  }, 400_000);
});
