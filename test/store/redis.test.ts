import { describe, expect, it, vi } from 'vitest';
import type { RedisStore } from '../../src/store/index.js';
import { REDIS_URL, serviceAvailable } from '../helpers/services.js';
import { expectOpenFailures, namespacedStores, storeContract } from './store-contract.js';

const available = await serviceAvailable('Redis', REDIS_URL);
const { open } = namespacedStores<RedisStore>(REDIS_URL);

storeContract('RedisStore', 'redis', open, { skip: !available });

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!available)('RedisStore', () => {
  it('luaIncrement is an atomic add that bumps the version like any write', async () => {
    const s = await open('lua');
    await s.set('a', 8);
    expect(await s.luaIncrement('a', 2)).toBe(10);
    expect(await s.read('a')).toEqual({ value: 10, version: 2 });
  });

  it('luaAddOnce sets the once-key and adds in one script: only the first of several calls adds', async () => {
    const s = await open('once');
    const results = await Promise.all([1, 2, 3].map(() => s.luaAddOnce('key(k1)', 'charges', 1)));
    expect(results.filter((r) => r.added)).toEqual([{ added: true, value: 1 }]);
    expect(results.filter((r) => !r.added)).toEqual([{ added: false, value: 1 }, { added: false, value: 1 }]);
    expect(await s.get('key(k1)')).toBe(1);
    expect(await s.read('charges')).toEqual({ value: 1, version: 1 });
    expect(await s.luaAddOnce('key(k2)', 'charges', 1)).toEqual({ added: true, value: 2 });
  });

  it('WATCH/MULTI/EXEC refuses the second of two overlapping read-wait-writes, and the retry makes the sum exact', async () => {
    const s = await open('watch');
    let retries = 0;
    // All three have read (and so watched) the key before any writes, however long a loaded machine takes to
    // open their dedicated connections: the first EXEC then refuses the other two.
    let reads = 0;
    const rmw = () =>
      s.transaction(
        async (tx) => {
          const v = await tx.get('k');
          reads++;
          await vi.waitFor(
            () => {
              if (reads < 3) throw new Error('the other transactions never read');
            },
            { timeout: 10_000, interval: 5 },
          );
          await tx.set('k', v + 1);
        },
        { onRetry: () => retries++ },
      );
    await Promise.all([rmw(), rmw(), rmw()]);
    expect(await s.get('k')).toBe(3);
    expect(retries).toBeGreaterThanOrEqual(2);
  });

  it('a lock excludes a second holder until released; a holder past its TTL loses it without knowing', async () => {
    const s = await open('lock');
    const first = await s.acquireLock('k', { ttlMs: 5000 });
    let waited = 0;
    const second = s.acquireLock('k', { ttlMs: 5000, onWait: () => waited++ });
    // However long a loaded machine takes, the second finds the lock taken (and is counted once) while the first holds it.
    await vi.waitFor(() => expect(waited).toBe(1), { timeout: 10_000, interval: 5 });
    await pause(50);
    expect(waited).toBe(1);
    expect(await s.releaseLock(first)).toBe(true);
    const got = await second;
    expect(await s.releaseLock(got)).toBe(true);

    const expiring = await s.acquireLock('k', { ttlMs: 100 });
    const t0 = Date.now();
    const taker = await s.acquireLock('k', { ttlMs: 5000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(60);
    // The first holder's release finds someone else's lock and leaves it alone.
    expect(await s.releaseLock(expiring)).toBe(false);
    expect(await s.releaseLock(taker)).toBe(true);
  });

  it('fencing: tokens grow with each holding, and the store refuses a token older than one it has seen', async () => {
    const s = await open('fence');
    const a = await s.acquireLock('k', { ttlMs: 100, fencing: true });
    expect(await s.fencedGet('k', a.token!)).toBe(0);
    const b = await s.acquireLock('k', { ttlMs: 5000, fencing: true }); // after a's lock expired
    expect(b.token!).toBeGreaterThan(a.token!);
    expect(await s.fencedGet('k', b.token!)).toBe(0);
    expect(await s.fencedSet('k', 1, a.token!)).toBe(false); // the stale holder's write
    expect(await s.fencedGet('k', a.token!)).toBeUndefined();
    expect(await s.fencedSet('k', 1, b.token!)).toBe(true);
    expect(await s.get('k')).toBe(1);
    expect(await s.releaseLock(b)).toBe(true);
  });

  it('fails with one line, no password, for a closed port, wrong credentials and a database index it lacks', async () => {
    const closed = new URL(REDIS_URL);
    closed.port = '1';
    closed.password = 'hunter2';
    const badUser = new URL(REDIS_URL);
    badUser.username = 'racelab_no_such_user';
    badUser.password = 'hunter2';
    const badDb = new URL(REDIS_URL);
    badDb.pathname = '/999';
    const cases: Array<[string, string, RegExp]> = [
      [closed.href, 'UNREACHABLE', /nothing answers Redis at 127\.0\.0\.1:1/],
      [badUser.href, 'BAD_STORE', /refused the credentials of user "racelab_no_such_user"/],
      [badDb.href, 'BAD_STORE', /has no database 999/],
      ['redis://h?namespace=a*b', 'BAD_STORE', /namespace "a\*b"/],
    ];
    await expectOpenFailures(cases);
  });
});
