import { describe, expect, it } from 'vitest';
import { PG_URL, serviceAvailable } from '../../helpers/services.js';
import { onOneAndThree, type Verdict } from './verdict.js';

const available = await serviceAvailable('PostgreSQL', PG_URL);

// 30 increments, 9 in flight, a 30 ms window: unsafe variants overlap on every call, so losses are certain;
// the safe ones must be exact whatever the interleaving.
const settings = { calls: 30, concurrency: 9, delayMs: 30 };

function exact(v: Verdict): void {
  expect(v.failed + v.unknown, `replicas=${v.replicas}`).toBe(0);
  expect(v.acknowledged).toBe(settings.calls);
  expect(v.finalValue, `replicas=${v.replicas}`).toBe(settings.calls);
}

function loses(v: Verdict): void {
  expect(v.acknowledged).toBe(settings.calls);
  expect(v.lost, `replicas=${v.replicas}`).toBeGreaterThan(0);
}

describe.skipIf(!available)('counter variants on PostgreSQL, 1 and 3 replica processes', () => {
  it('mutex: exact on 1 replica, loses updates on 3 (each process has its own mutex)', async () => {
    const [one, three] = await onOneAndThree(PG_URL, 'mutex', settings);
    exact(one);
    loses(three);
  });

  it('pg-read-write (autocommit read, then write): loses updates on 1 and on 3', async () => {
    const [one, three] = await onOneAndThree(PG_URL, 'pg-read-write', settings);
    loses(one);
    loses(three);
  });

  it('pg-atomic (UPDATE … SET value = value + 1 RETURNING): exact on 1 and 3', async () => {
    const [one, three] = await onOneAndThree(PG_URL, 'pg-atomic', settings);
    exact(one);
    exact(three);
  });

  it('pg-for-update (SELECT … FOR UPDATE in a transaction): exact on 1 and 3, with the waits for its row lock counted', async () => {
    const [one, three] = await onOneAndThree(PG_URL, 'pg-for-update', settings);
    exact(one);
    exact(three);
    // 9 in flight, each holding the row 30 ms: most find it locked. A call that finds it free is not counted.
    for (const v of [one, three]) {
      expect(v.stats.lockWaits).toBeGreaterThan(0);
      expect(v.stats.lockWaits).toBeLessThan(settings.calls);
    }
  });

  it('pg-serializable: exact on 1 and 3, paid for in counted retries', async () => {
    const [one, three] = await onOneAndThree(PG_URL, 'pg-serializable', settings);
    exact(one);
    exact(three);
    expect(three.stats.retries).toBeGreaterThan(0);
    expect(one.stats.retries).toBeGreaterThan(0);
  });

  it('pg-version (optimistic version column): exact on 1 and 3, paid for in counted conflicts', async () => {
    const [one, three] = await onOneAndThree(PG_URL, 'pg-version', settings);
    exact(one);
    exact(three);
    expect(three.stats.conflicts).toBeGreaterThan(0);
  });

  it('pg-advisory (pg_advisory_lock): exact on 1 and 3, with lock waits', async () => {
    const [one, three] = await onOneAndThree(PG_URL, 'pg-advisory', settings);
    exact(one);
    exact(three);
    expect(three.stats.lockWaits).toBeGreaterThan(0);
  });
});
