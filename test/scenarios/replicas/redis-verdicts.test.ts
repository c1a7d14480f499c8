import { describe, expect, it } from 'vitest';
import { REDIS_URL, serviceAvailable } from '../../helpers/services.js';
import { onOneAndThree, runVerdict, type Verdict } from './verdict.js';

const available = await serviceAvailable('Redis', REDIS_URL);

// 30 increments, 9 in flight, a 30 ms window: unsafe variants overlap on every call, so losses are certain;
// the safe ones must be exact whatever the interleaving.
const settings = { calls: 30, concurrency: 9, delayMs: 30 };

function exact(v: Verdict, calls = settings.calls): void {
  expect(v.failed + v.unknown, `replicas=${v.replicas}`).toBe(0);
  expect(v.acknowledged).toBe(calls);
  expect(v.finalValue, `replicas=${v.replicas}`).toBe(calls);
}

function loses(v: Verdict, calls = settings.calls): void {
  expect(v.acknowledged).toBe(calls);
  expect(v.lost, `replicas=${v.replicas}`).toBeGreaterThan(0);
}

describe.skipIf(!available)('counter variants on Redis, 1 and 3 replica processes', () => {
  it('mutex: exact on 1 replica, loses updates on 3 (each process has its own mutex)', async () => {
    const [one, three] = await onOneAndThree(REDIS_URL, 'mutex', settings);
    exact(one);
    loses(three);
  });

  it('redis-get-set: loses updates on 1 and on 3', async () => {
    const [one, three] = await onOneAndThree(REDIS_URL, 'redis-get-set', settings);
    loses(one);
    loses(three);
  });

  it('redis-incr: exact on 1 and 3', async () => {
    const [one, three] = await onOneAndThree(REDIS_URL, 'redis-incr', settings);
    exact(one);
    exact(three);
  });

  it('redis-watch (WATCH/MULTI/EXEC): exact on 1 and 3, paid for in counted conflicts', async () => {
    const [one, three] = await onOneAndThree(REDIS_URL, 'redis-watch', settings);
    exact(one);
    exact(three);
    expect(three.stats.conflicts).toBeGreaterThan(0);
  });

  it('redis-lua: exact on 1 and 3', async () => {
    const [one, three] = await onOneAndThree(REDIS_URL, 'redis-lua', settings);
    exact(one);
    exact(three);
  });

  it('redis-lock and redis-lock-fencing with holders that finish within the TTL: exact on 1 and 3', async () => {
    const [[one, three], [fencedOne, fencedThree]] = await Promise.all([
      onOneAndThree(REDIS_URL, 'redis-lock', settings),
      onOneAndThree(REDIS_URL, 'redis-lock-fencing', settings),
    ]);
    for (const v of [one, three, fencedOne, fencedThree]) {
      exact(v);
      expect(v.stats.lockExpiries).toBe(0);
    }
    expect(three.stats.lockWaits).toBeGreaterThan(0);
  });

  it('holders paused past the TTL on 3 replicas: redis-lock loses updates, redis-lock-fencing stays exact', async () => {
    // Every 4th holding in each replica stalls 600 ms under a 200 ms TTL; the other replicas' waiters take the
    // expired lock and finish increments (30 ms each) long before the paused holder wakes and writes.
    const caution = { ...settings, lock: { ttlMs: 200, holderPauseMs: 600, holderPauseEvery: 4 } };
    const [plain, fenced] = await Promise.all([runVerdict(REDIS_URL, 'redis-lock', 3, caution), runVerdict(REDIS_URL, 'redis-lock-fencing', 3, caution)]);
    loses(plain);
    expect(plain.stats.holderPauses).toBeGreaterThan(0);
    expect(plain.stats.lockExpiries).toBeGreaterThan(0);
    exact(fenced);
    expect(fenced.stats.holderPauses).toBeGreaterThan(0);
    expect(fenced.stats.fencedRejections).toBeGreaterThan(0);
    expect(fenced.stats.retries).toBe(fenced.stats.fencedRejections);
  });
});
