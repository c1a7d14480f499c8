import { RacelabError } from '../../core/errors.js';
import { DEFAULT_PG_URL, DEFAULT_REDIS_URL } from '../../store/specs.js';
import { realScheduler, sleep } from '../../sched/scheduler.js';
import type { PostgresStore } from '../../store/postgres.js';
import type { RedisStore } from '../../store/redis.js';
import type { Store } from '../../store/store.js';
import {
  COUNTER_KEY,
  type CounterLockOptions,
  type CounterPorts,
  type CounterService,
  type CounterStats,
  type CounterVariant,
} from './variants.js';

/*
 * The counter on real shared stores, one lesson per variant. These are what still hold when several server
 * processes share the state, where the seed's in-process mutex does not. Type-only imports of the adapters
 * keep `pg` and `ioredis` unloaded until a store URL asks for them.
 */

const STORE_NAMES = { postgres: 'PostgreSQL', redis: 'Redis' } as const;
const STORE_EXAMPLES = { postgres: DEFAULT_PG_URL, redis: DEFAULT_REDIS_URL } as const;

export function wrongStore(variant: string, needs: 'postgres' | 'redis', has: string): RacelabError {
  return new RacelabError(
    'BAD_OPTION',
    `${variant} needs a ${STORE_NAMES[needs]} store, but \`store\` is ${has}; use \`store\` ${STORE_EXAMPLES[needs]} or a variant for ${has}`,
    { subject: 'variant' },
  );
}

function postgresOf(variant: string, store: Store): PostgresStore {
  if (store.kind !== 'postgres') throw wrongStore(variant, 'postgres', store.kind);
  return store as PostgresStore;
}

function redisOf(variant: string, store: Store): RedisStore {
  if (store.kind !== 'redis') throw wrongStore(variant, 'redis', store.kind);
  return store as RedisStore;
}

function service(ports: CounterPorts, increment: (stats: CounterStats) => Promise<void>): CounterService {
  const stats: CounterStats = { conflicts: 0, retries: 0, lockWaits: 0, lockExpiries: 0, fencedRejections: 0, holderPauses: 0 };
  return { increment: () => increment(stats), getValue: () => ports.store.get(COUNTER_KEY), stats };
}

const wait = (ports: CounterPorts, ms = ports.delayMs): Promise<void> => sleep(ms, ports.scheduler ?? realScheduler);

/** Optimistic loops retry until they win; bounded so a pathological run ends with an error, not a hang. */
const MAX_ATTEMPTS = 10_000;

/** The lock's TTL: comfortably longer than the work it guards unless the user chose otherwise. */
export function lockTtlMs(ports: Pick<CounterPorts, 'delayMs' | 'lock'>): number {
  return ports.lock?.ttlMs ?? Math.max(1000, 4 * ports.delayMs);
}

/** The simulated pause (a GC pause, a stalled VM) of every Nth lock holding in this server. */
function holderPause(lock: CounterLockOptions | undefined): (stats: CounterStats) => number {
  let holdings = 0;
  const every = lock?.holderPauseEvery ?? 0;
  const pauseMs = lock?.holderPauseMs ?? 0;
  return (stats) => {
    holdings++;
    if (every <= 0 || pauseMs <= 0 || holdings % every !== 0) return 0;
    stats.holderPauses = (stats.holderPauses ?? 0) + 1;
    return pauseMs;
  };
}

const bump = (stats: CounterStats, field: Exclude<keyof CounterStats, 'conflicts'>): void => {
  stats[field] = (stats[field] ?? 0) + 1;
};

function pgVariant(name: string, summary: string, safe: boolean, body: (pg: PostgresStore, ports: CounterPorts, stats: CounterStats) => Promise<void>): CounterVariant {
  return {
    name,
    summary,
    safe,
    requires: 'postgres',
    make: (ports) => {
      const pg = postgresOf(name, ports.store);
      return service(ports, (stats) => body(pg, ports, stats));
    },
  };
}

function redisVariant(
  name: string,
  summary: string,
  safe: boolean,
  make: (redis: RedisStore, ports: CounterPorts) => (stats: CounterStats) => Promise<void>,
): CounterVariant {
  return {
    name,
    summary,
    safe,
    requires: 'redis',
    make: (ports) => service(ports, make(redisOf(name, ports.store), ports)),
  };
}

export const storeCounterVariants: Readonly<Record<string, CounterVariant>> = {
  'pg-read-write': pgVariant(
    'pg-read-write',
    'SELECT the value, wait, UPDATE it to read+1, each statement in autocommit: every statement is atomic, the pair is not',
    false,
    async (pg, ports) => {
      const value = await pg.get(COUNTER_KEY);
      await wait(ports);
      await pg.set(COUNTER_KEY, value + 1);
    },
  ),
  'pg-atomic': pgVariant(
    'pg-atomic',
    'does the work, then UPDATE … SET value = value + 1 RETURNING value: PostgreSQL does the read-modify-write under its row lock',
    true,
    async (pg, ports) => {
      await wait(ports);
      await pg.increment(COUNTER_KEY);
    },
  ),
  'pg-for-update': pgVariant(
    'pg-for-update',
    'SELECT … FOR UPDATE in a transaction, wait, UPDATE, COMMIT: the row lock makes other transactions wait, whatever process they run in',
    true,
    async (pg, ports, stats) => {
      await pg.transaction(
        async (tx) => {
          const value = await tx.getForUpdate(COUNTER_KEY, { onWait: () => bump(stats, 'lockWaits') });
          await wait(ports);
          await tx.set(COUNTER_KEY, value + 1);
        },
        { isolation: 'read committed' },
      );
    },
  ),
  'pg-serializable': pgVariant(
    'pg-serializable',
    'the read-wait-write in a SERIALIZABLE transaction: PostgreSQL aborts all but one of the overlapping ones (40001) and they run again',
    true,
    async (pg, ports, stats) => {
      await pg.transaction(
        async (tx) => {
          const value = await tx.get(COUNTER_KEY);
          await wait(ports);
          await tx.set(COUNTER_KEY, value + 1);
        },
        { isolation: 'serializable', maxAttempts: MAX_ATTEMPTS, onRetry: () => bump(stats, 'retries') },
      );
    },
  ),
  'pg-version': pgVariant(
    'pg-version',
    'reads value and version, waits, UPDATE … WHERE version = the one read; zero rows updated is a conflict and it tries again (optimistic)',
    true,
    async (pg, ports, stats) => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const { value, version } = await pg.read(COUNTER_KEY);
        await wait(ports);
        if (await pg.compareAndSet(COUNTER_KEY, version, value + 1)) return;
        stats.conflicts++;
      }
      throw new RacelabError('TIMEOUT', `pg-version lost ${MAX_ATTEMPTS} compare-and-set rounds in a row`);
    },
  ),
  'pg-advisory': pgVariant(
    'pg-advisory',
    'the read-wait-write while holding pg_advisory_lock on the counter: a lock every process asks PostgreSQL for, released if its holder dies',
    true,
    async (pg, ports, stats) => {
      await pg.withAdvisoryLock(
        COUNTER_KEY,
        async (session) => {
          const value = await session.get(COUNTER_KEY);
          await wait(ports);
          await session.set(COUNTER_KEY, value + 1);
        },
        { onWait: () => bump(stats, 'lockWaits') },
      );
    },
  ),

  'redis-get-set': redisVariant(
    'redis-get-set',
    'GET, wait, SET read+1: each command is atomic, the pair is not',
    false,
    (redis, ports) => async () => {
      const value = await redis.get(COUNTER_KEY);
      await wait(ports);
      await redis.set(COUNTER_KEY, value + 1);
    },
  ),
  'redis-incr': redisVariant(
    'redis-incr',
    'does the work, then INCR: Redis runs one command at a time, so the add cannot interleave',
    true,
    (redis, ports) => async () => {
      await wait(ports);
      await redis.increment(COUNTER_KEY);
    },
  ),
  'redis-watch': redisVariant(
    'redis-watch',
    'WATCH, GET, wait, MULTI SET EXEC: EXEC is refused if the key changed since WATCH, and it tries again (optimistic)',
    true,
    (redis, ports) => async (stats) => {
      await redis.transaction(
        async (tx) => {
          const value = await tx.get(COUNTER_KEY);
          await wait(ports);
          await tx.set(COUNTER_KEY, value + 1);
        },
        { maxAttempts: MAX_ATTEMPTS, onRetry: () => stats.conflicts++ },
      );
    },
  ),
  'redis-lua': redisVariant(
    'redis-lua',
    'does the work, then a Lua script that GETs and SETs: Redis runs a script to completion before any other command',
    true,
    (redis, ports) => async () => {
      await wait(ports);
      await redis.luaIncrement(COUNTER_KEY);
    },
  ),
  'redis-lock': redisVariant(
    'redis-lock',
    'the read-wait-write while holding SET NX PX lock with a TTL: exact while holders finish within the TTL; a holder paused past it writes anyway',
    false,
    (redis, ports) => {
      const pause = holderPause(ports.lock);
      const ttlMs = lockTtlMs(ports);
      return async (stats) => {
        const lock = await redis.acquireLock(COUNTER_KEY, { ttlMs, onWait: () => bump(stats, 'lockWaits') });
        try {
          const value = await redis.get(COUNTER_KEY);
          await wait(ports, ports.delayMs + pause(stats));
          // Nothing here can tell that the lock expired during the pause: the write goes through.
          await redis.set(COUNTER_KEY, value + 1);
        } finally {
          if (!(await redis.releaseLock(lock))) bump(stats, 'lockExpiries');
        }
      };
    },
  ),
  'redis-lock-fencing': redisVariant(
    'redis-lock-fencing',
    'the lock plus a fencing token per holding; the store refuses reads and writes with a token older than the newest it has seen, and the refused holder starts again',
    true,
    (redis, ports) => {
      const pause = holderPause(ports.lock);
      const ttlMs = lockTtlMs(ports);
      return async (stats) => {
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          if (attempt > 1) bump(stats, 'retries');
          const lock = await redis.acquireLock(COUNTER_KEY, { ttlMs, fencing: true, onWait: () => bump(stats, 'lockWaits') });
          const token = lock.token as number;
          try {
            const value = await redis.fencedGet(COUNTER_KEY, token);
            if (value === undefined) {
              bump(stats, 'fencedRejections');
              continue;
            }
            await wait(ports, ports.delayMs + pause(stats));
            if (await redis.fencedSet(COUNTER_KEY, value + 1, token)) return;
            bump(stats, 'fencedRejections');
          } finally {
            if (!(await redis.releaseLock(lock))) bump(stats, 'lockExpiries');
          }
        }
        throw new RacelabError('TIMEOUT', `redis-lock-fencing was refused ${MAX_ATTEMPTS} times in a row`);
      };
    },
  ),
};
