import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { openStore, type PostgresStore } from '../../src/store/index.js';
import { PG_URL, serviceAvailable } from '../helpers/services.js';
import { expectOpenFailures, namespacedStores, storeContract, urlWith } from './store-contract.js';

const available = await serviceAvailable('PostgreSQL', PG_URL);
const { suffix, open } = namespacedStores<PostgresStore>(PG_URL);

storeContract('PostgresStore', 'postgres', open, { skip: !available });

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (up to 10 s, then fails the test) until `ready()`: a window held open by the test, not by a guessed pause. */
const bothHere = (ready: () => boolean) =>
  vi.waitFor(
    () => {
      if (!ready()) throw new Error('the other transaction never got here');
    },
    { timeout: 10_000, interval: 5 },
  );

describe.skipIf(!available)('PostgresStore', () => {
  it('SERIALIZABLE aborts one of two overlapping read-wait-writes (40001), and the retry makes the sum exact', async () => {
    const s = await open('serializable');
    await s.set('k', 0);
    const retries: string[] = [];
    // Both read before either writes, however long a loaded machine takes to open the second connection.
    let reads = 0;
    const rmw = () =>
      s.transaction(
        async (tx) => {
          const v = await tx.get('k');
          reads++;
          await bothHere(() => reads >= 2);
          await tx.set('k', v + 1);
        },
        { isolation: 'serializable', onRetry: (code) => retries.push(code) },
      );
    await Promise.all([rmw(), rmw()]);
    expect(await s.get('k')).toBe(2);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]).toBe('40001');
  });

  it('insertIfAbsent: the unique key makes a second inserter wait for the first, then find its row (or take it after a rollback)', async () => {
    const s = await open('insert-once');
    const pay = (key: string, o: { fail?: boolean; inserted?: () => void } = {}) =>
      s.transaction(
        async (tx) => {
          if (!(await tx.insertIfAbsent(key, 1))) return 'replayed';
          o.inserted?.();
          await pause(150);
          await tx.increment('charges');
          if (o.fail) throw new Error('payment declined');
          return 'charged';
        },
        { isolation: 'read committed' },
      );
    expect(await Promise.all([pay('k1'), pay('k1'), pay('k1')])).toEqual(expect.arrayContaining(['charged', 'replayed', 'replayed']));
    expect(await s.get('charges')).toBe(1);
    // The first rolls back: its key goes with its charge, and the second, sent once the first holds the key, waits and then charges.
    let second: Promise<string> | undefined;
    const inserted = (): void => {
      second = pay('k2');
    };
    await expect(pay('k2', { fail: true, inserted })).rejects.toThrow(/payment declined/);
    expect(await second).toBe('charged');
    expect(await s.get('charges')).toBe(2);
  });

  it('SELECT … FOR UPDATE makes the second transaction wait for the first, even on a missing row', async () => {
    const s = await open('for-update');
    const t0 = Date.now();
    const rmw = () =>
      s.transaction(
        async (tx) => {
          const v = await tx.getForUpdate('k');
          await pause(150);
          await tx.set('k', v + 1);
        },
        { isolation: 'read committed' },
      );
    await Promise.all([rmw(), rmw()]);
    expect(await s.get('k')).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('SELECT … FOR UPDATE counts a wait only when another transaction holds the row lock', async () => {
    const s = await open('for-update-waits');
    let waits = 0;
    const rmw = (locked?: () => Promise<void>) =>
      s.transaction(
        async (tx) => {
          const v = await tx.getForUpdate('k', { onWait: () => waits++ });
          await locked?.();
          await tx.set('k', v + 1);
        },
        { isolation: 'read committed' },
      );
    await rmw();
    expect(waits).toBe(0);
    // The second starts once the first holds the lock, which holds it until the second has found the row locked:
    // it is counted once, and waits its turn.
    let second: Promise<void> | undefined;
    await rmw(async () => {
      second ??= rmw();
      await bothHere(() => waits >= 1);
    });
    await second;
    expect(await s.get('k')).toBe(3);
    expect(waits).toBe(1);
  });

  it('advisory lock sections never overlap, and a waiter is counted', async () => {
    const s = await open('advisory');
    const log: string[] = [];
    let waits = 0;
    const section = (id: number) =>
      s.withAdvisoryLock(
        'k',
        async (session) => {
          log.push(`in ${id}`);
          const v = await session.get('k');
          // The holder keeps the lock until the other section has found it taken.
          await bothHere(() => waits >= 1);
          await session.set('k', v + 1);
          log.push(`out ${id}`);
        },
        { onWait: () => waits++ },
      );
    await Promise.all([section(1), section(2)]);
    expect(await s.get('k')).toBe(2);
    expect(log[0]?.startsWith('in')).toBe(true);
    expect(log[1]?.startsWith('out')).toBe(true);
    expect(waits).toBe(1);
  });

  it('creates its table idempotently, even with eight processes-worth of creators at once', async () => {
    const table = `racelab_schema_${suffix}`.toLowerCase();
    const url = urlWith(PG_URL, { table, namespace: 'schema' });
    try {
      const stores = await Promise.all(Array.from({ length: 8 }, () => openStore(url)));
      await stores[0]!.set('k', 1);
      expect(await stores[7]!.get('k')).toBe(1);
      for (const st of stores) await st.close();
      const again = await openStore(url);
      expect(await again.get('k')).toBe(1);
      await again.close();
    } finally {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS "${table}"`);
      await client.end();
    }
  });

  it('fails with one line, no password, for a closed port, an unknown user and an unknown database', async () => {
    const closed = new URL(PG_URL);
    closed.password = 'hunter2';
    closed.port = '1';
    const badUser = new URL(PG_URL);
    badUser.username = 'racelab_no_such_user';
    badUser.password = 'hunter2';
    const badDb = new URL(PG_URL);
    badDb.pathname = '/racelab_no_such_db';
    const cases: Array<[string, string, RegExp]> = [
      [closed.href, 'UNREACHABLE', /nothing answers PostgreSQL at 127\.0\.0\.1:1/],
      [badUser.href, 'BAD_STORE', /refused user "racelab_no_such_user"/],
      [badDb.href, 'BAD_STORE', /no database "racelab_no_such_db"/],
      ['postgres://user:hunter2@', 'BAD_STORE', /not a valid URL/],
      [urlWith(PG_URL, { table: 'Bad-Name' }), 'BAD_STORE', /table "Bad-Name"/],
    ];
    await expectOpenFailures(cases);
  });
});
