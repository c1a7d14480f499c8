import { ActorSystem, GenServer } from '../../actor/index.js';
import { RacelabError } from '../../core/errors.js';
import { Mutex } from '../../sched/mutex.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { RedisStore } from '../../store/redis.js';
import type { Store } from '../../store/store.js';
import { actorPerKey, storeOf, type ScenarioVariant } from '../impacts/scenario.js';

/*
 * A fixed-window rate limit: at most `limit` calls per user per window. The count lives in the store under
 * `calls(mallory,w0)` (w0 = the window's number on the clock: virtual under the explorer).
 */

export interface RateLimitPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /** The work between reading the count and writing it (authenticating, logging). */
  readonly delayMs: number;
  readonly limit: number;
  readonly windowMs: number;
}

export type CallResult = { readonly accepted: true; readonly used: number } | { readonly accepted: false; readonly message: string };

export interface RateLimitStats {
  refused: number;
  conflicts: number;
}

export interface RateLimitService {
  call(user: string): Promise<CallResult>;
  usage(user: string): Promise<number>;
  readonly stats: RateLimitStats;
  close(): Promise<void>;
}

export type RateLimitVariant = ScenarioVariant<RateLimitPorts, RateLimitService>;

const clockOf = (ports: RateLimitPorts) => (ports.scheduler ?? realScheduler).clock;
export const windowKey = (user: string, window: number): string => `calls(${user},w${window})`;
const currentKey = (ports: RateLimitPorts, user: string): string => windowKey(user, Math.floor(clockOf(ports).now() / ports.windowMs));
const wait = (ports: RateLimitPorts): Promise<void> => sleep(ports.delayMs, ports.scheduler ?? realScheduler);
const limited = (ports: RateLimitPorts, user: string): CallResult => ({ accepted: false, message: `${user} has made ${ports.limit} calls in this ${ports.windowMs} ms window; try again later` });

function limiter(ports: RateLimitPorts, take: (user: string, stats: RateLimitStats) => Promise<CallResult>, close?: () => Promise<void>): RateLimitService {
  const stats: RateLimitStats = { refused: 0, conflicts: 0 };
  return {
    async call(user) {
      const r = await take(user, stats);
      if (!r.accepted) stats.refused++;
      return r;
    },
    usage: (user) => ports.store.get(currentKey(ports, user)),
    stats,
    close: async () => {
      await close?.();
    },
  };
}

/** Read the count, check it, do the work, write count + 1: a synchronized burst all reads the same count. */
async function readCheckCount(ports: RateLimitPorts, user: string): Promise<CallResult> {
  const key = currentKey(ports, user);
  const used = await ports.store.get(key);
  if (used >= ports.limit) return limited(ports, user);
  await wait(ports);
  await ports.store.set(key, used + 1);
  return { accepted: true, used: used + 1 };
}

interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

const MAX_ATTEMPTS = 10_000;

export const rateLimitVariants: readonly RateLimitVariant[] = [
  {
    name: 'vulnerable',
    summary: 'reads the window\'s count, checks it against the limit, does the work, writes count + 1: a burst passes the check on one count',
    safe: false,
    make: (ports) => limiter(ports, (user) => readCheckCount(ports, user)),
  },
  {
    name: 'mutex',
    summary: 'an in-process mutex per user around the read, check and write: exact in one process, not across replicas',
    safe: true,
    make: (ports) => {
      const locks = new Map<string, Mutex>();
      return limiter(ports, (user) => {
        let m = locks.get(user);
        if (!m) locks.set(user, (m = new Mutex(`limit(${user})`, ports.scheduler)));
        return m.runExclusive(() => readCheckCount(ports, user));
      });
    },
  },
  {
    name: 'token-bucket-actor',
    summary: 'a token bucket per user held in one actor\'s state (capacity = limit, refilled at limit per window): one message at a time; in-process only',
    safe: true,
    spawnsProcesses: true,
    make: (ports) => {
      const system = new ActorSystem(ports.scheduler ? { scheduler: ports.scheduler } : {});
      const scheduler = ports.scheduler ?? realScheduler;
      const rate = ports.limit / ports.windowMs;
      const bucketOf = actorPerKey(scheduler, (user) => `bucket(${user})`, (user, name) =>
        GenServer.start(
          system,
          {
            init: (): Bucket => ({ tokens: ports.limit, at: scheduler.clock.now() }),
            async handleCall(_take: unknown, _from: unknown, b: Bucket) {
              const now = scheduler.clock.now();
              const tokens = Math.min(ports.limit, b.tokens + (now - b.at) * rate);
              // 0: refused (an accepted call's count is at least 1).
              if (tokens < 1) return { reply: 0, state: { tokens, at: now } };
              await wait(ports);
              // The store's count is only the report (Usage and the reply); the bucket in this state is what decides.
              const used = await ports.store.increment(currentKey(ports, user));
              return { reply: used, state: { tokens: tokens - 1, at: now } };
            },
          },
          undefined,
          { name },
        ),
      );
      return limiter(
        ports,
        async (user) => {
          // The count this call made, from inside the actor: read afterwards, a call running next could be in it.
          const used = await (await bucketOf(user)).call<number>('take');
          return used === 0 ? limited(ports, user) : { accepted: true, used };
        },
        () => system.shutdown(),
      );
    },
  },
  {
    name: 'cas',
    summary: 'reads count and version, checks, does the work, writes count + 1 only if the version is unchanged, else tries again',
    safe: true,
    make: (ports) =>
      limiter(ports, async (user, stats) => {
        const key = currentKey(ports, user);
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const { value, version } = await ports.store.read(key);
          if (value >= ports.limit) return limited(ports, user);
          await wait(ports);
          if (await ports.store.compareAndSet(key, version, value + 1)) return { accepted: true, used: value + 1 };
          stats.conflicts++;
        }
        throw new RacelabError('TIMEOUT', `ratelimit cas lost ${MAX_ATTEMPTS} compare-and-set rounds in a row`);
      }),
  },
  {
    name: 'txn',
    summary: 'the read, check and write in one serializable store transaction',
    safe: true,
    make: (ports) =>
      limiter(ports, (user) =>
        ports.store.transaction(async (tx) => {
          const key = currentKey(ports, user);
          const used = await tx.get(key);
          if (used >= ports.limit) return limited(ports, user);
          await wait(ports);
          await tx.set(key, used + 1);
          return { accepted: true, used: used + 1 } as CallResult;
        }),
      ),
  },
  {
    name: 'redis-lua',
    summary: 'does the work, then one Lua script: count the call only if the window has room, and set the window\'s expiry in the same step (INCR + EXPIRE)',
    safe: true,
    requires: 'redis',
    make: (ports) => {
      const redis = storeOf<RedisStore>('redis-lua', 'redis', ports.store);
      return limiter(ports, async (user) => {
        await wait(ports);
        const used = await redis.luaCountWithin(currentKey(ports, user), ports.limit, ports.windowMs);
        return used === undefined ? limited(ports, user) : { accepted: true, used };
      });
    },
  },
];
