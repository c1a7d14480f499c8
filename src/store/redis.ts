import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RacelabError, messageOf } from '../core/errors.js';
import { tracer } from '../core/trace.js';
import { currentScheduler, sleep, type Operation, type Scheduler } from '../sched/scheduler.js';
import { checkRedisRights, explainRedisRefusal, isRedisRefusal, type RedisRightsContext } from './redis-rights.js';
import type { Store, StoreTransaction, Versioned } from './store.js';
import { hostPort, parseStoreUrl, type StoreUrl } from './store-url.js';

const trace = tracer('store');

export interface RedisStoreOptions {
  scheduler?: Scheduler;
  connectTimeoutMs?: number;
}

export interface RedisTransactionOptions {
  /** Called before each retry after EXEC found a watched key changed. */
  onRetry?: () => void;
  /** Attempts before giving up; default 1000. */
  maxAttempts?: number;
}

/** A lock held in Redis: who holds it (a random id), and its fencing token when one was asked for. */
export interface RedisLock {
  readonly key: string;
  readonly owner: string;
  /** Strictly increasing per key across every holder; present when acquired with `fencing`. */
  readonly token: number | undefined;
}

export interface AcquireLockOptions {
  ttlMs: number;
  /** Also hand out a fencing token (INCR of a per-key counter, atomic with the SET NX). */
  fencing?: boolean;
  /** Called once when the first attempt finds the lock taken. */
  onWait?: () => void;
  /** Give up after this long; default 30 s. */
  timeoutMs?: number;
}

/** A Lua script run by EVALSHA, falling back to EVAL the first time a server has not seen it. */
class Script {
  private readonly sha: string;
  constructor(
    private readonly lua: string,
    private readonly keys: number,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }
  async run(redis: Redis, ...args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, this.keys, ...args);
    } catch (e) {
      if (!/NOSCRIPT/.test(messageOf(e))) throw e;
      return redis.eval(this.lua, this.keys, ...args);
    }
  }
}

// KEYS[1] value, KEYS[2] version; ARGV[1] expected version, ARGV[2] new value.
const CAS = new Script(
  `if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[1]) then return 0 end
   redis.call('SET', KEYS[1], ARGV[2])
   redis.call('INCR', KEYS[2])
   return 1`,
  2,
);

// The read-modify-write moved into Redis: a script runs alone, nothing can interleave between GET and SET.
const LUA_INCREMENT = new Script(
  `local v = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
   redis.call('SET', KEYS[1], v)
   redis.call('INCR', KEYS[2])
   return v`,
  2,
);

// The guarded update in Redis: check and add in one script. KEYS[1] value, KEYS[2] version; ARGV[1] by,
// ARGV[2] floor. Returns {1, new value} or {0, value}.
const LUA_ADD_IF_AT_LEAST = new Script(
  `local v = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
   if v < tonumber(ARGV[2]) then return {0, v - tonumber(ARGV[1])} end
   redis.call('SET', KEYS[1], v)
   redis.call('INCR', KEYS[2])
   return {1, v}`,
  2,
);

// A guarded move between two keys in one script (a transfer): nothing runs between the check, the debit and
// the credit. KEYS[1..2] source value and version, KEYS[3..4] destination; ARGV[1] amount, ARGV[2] floor.
const LUA_MOVE_IF_AT_LEAST = new Script(
  `local v = tonumber(redis.call('GET', KEYS[1]) or '0') - tonumber(ARGV[1])
   if v < tonumber(ARGV[2]) then return {0, v + tonumber(ARGV[1])} end
   redis.call('SET', KEYS[1], v)
   redis.call('INCR', KEYS[2])
   redis.call('INCRBY', KEYS[3], ARGV[1])
   redis.call('INCR', KEYS[4])
   return {1, v}`,
  4,
);

// A fixed-window rate limit in one script: count the call only if the window has room, and give a new window its
// expiry in the same step (INCR and EXPIRE as two commands leave a key without expiry if the client dies between).
// KEYS[1] value, KEYS[2] version; ARGV[1] limit, ARGV[2] window ms. Returns the count after, or 0 when full.
const LUA_COUNT_WITHIN = new Script(
  `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
   if c >= tonumber(ARGV[1]) then return 0 end
   redis.call('INCR', KEYS[1])
   redis.call('INCR', KEYS[2])
   if c == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
   return c + 1`,
  2,
);

// An idempotent add: SET NX on the once-key and the add in one script, so a key is recorded exactly when its add
// is made. KEYS[1..2] once-key value and version, KEYS[3..4] the value added to; ARGV[1] by. Returns {1, new
// value} or {0, value} when the once-key was already set.
const LUA_ADD_ONCE = new Script(
  `if not redis.call('SET', KEYS[1], 1, 'NX') then return {0, tonumber(redis.call('GET', KEYS[3]) or '0')} end
   redis.call('INCR', KEYS[2])
   local v = redis.call('INCRBY', KEYS[3], ARGV[1])
   redis.call('INCR', KEYS[4])
   return {1, v}`,
  4,
);

// KEYS[1] lock, KEYS[2] token counter; ARGV[1] owner, ARGV[2] ttl ms. The token is issued in the same atomic
// step as the lock, so token order is lock order.
const ACQUIRE_FENCED = new Script(
  `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end
   return 0`,
  2,
);

// Delete the lock only if it is still ours: a holder whose lock expired must not release the next holder's.
const RELEASE = new Script(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
   return 0`,
  1,
);

// The store checks fencing tokens: an access with a token older than the newest one seen is refused, and
// every accepted access raises the mark. Reads count too: a holder that read before a newer holder did may
// not write what it computed from that read.
// KEYS[1] value, KEYS[2] fence mark; ARGV[1] token. Returns {1, value} or {0, mark}.
const FENCED_GET = new Script(
  `local mark = tonumber(redis.call('GET', KEYS[2]) or '0')
   if tonumber(ARGV[1]) < mark then return {0, mark} end
   redis.call('SET', KEYS[2], ARGV[1])
   return {1, tonumber(redis.call('GET', KEYS[1]) or '0')}`,
  2,
);

// KEYS[1] value, KEYS[2] version, KEYS[3] fence mark; ARGV[1] value, ARGV[2] token. Returns 1 or 0.
const FENCED_SET = new Script(
  `if tonumber(ARGV[2]) < tonumber(redis.call('GET', KEYS[3]) or '0') then return 0 end
   redis.call('SET', KEYS[3], ARGV[2])
   redis.call('SET', KEYS[1], ARGV[1])
   redis.call('INCR', KEYS[2])
   return 1`,
  3,
);

/** Turns a failure to connect into the one line the CLI prints; the password is never part of it. */
export function describeRedisConnectError(message: string, u: StoreUrl): RacelabError {
  const where = hostPort(u.url, 6379);
  if (/ECONNREFUSED/.test(message)) {
    return new RacelabError('UNREACHABLE', `nothing answers Redis at ${where} (connection refused); start the server or fix host and port in ${u.safe}`, { subject: 'store' });
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) {
    return new RacelabError('UNREACHABLE', `host "${u.url.hostname}" of ${u.safe} does not resolve; fix the host name`, { subject: 'store' });
  }
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(message)) {
    const user = decodeURIComponent(u.url.username) || 'default';
    return new RacelabError('BAD_STORE', `Redis at ${where} refused the credentials of user "${user}" (${message.replace(/\.$/, '')}); fix the user or password in the URL`, { subject: 'store' });
  }
  if (/DB index is out of range/i.test(message)) {
    return new RacelabError('BAD_STORE', `Redis at ${where} has no database ${u.url.pathname.replace(/^\//, '')}; use a database index the server has (0 to 15 by default)`, { subject: 'store' });
  }
  if (/timeout|ETIMEDOUT/i.test(message)) {
    return new RacelabError('UNREACHABLE', `Redis at ${where} did not answer in time; check host, port and firewall`, { subject: 'store' });
  }
  return new RacelabError('UNREACHABLE', `cannot use Redis at ${where}: ${message}`, { subject: 'store' });
}

/**
 * Connects one ioredis client and proves it works (PING) before returning it. ioredis reports AUTH and SELECT
 * failures as 'error' events, not as a failed connect, so those events are collected and turned into one line.
 */
async function connectRedis(u: StoreUrl, options: RedisStoreOptions): Promise<Redis> {
  const redis = new Redis(u.driverUrl, {
    lazyConnect: true,
    // No reconnect loop: a store that goes away fails the operations in flight, visibly, instead of queueing them.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    connectionName: 'racelab',
    // The ready check is an INFO, which a user with ACL rules may not run (ioredis then warns on the console);
    // the PING below proves the connection, and checkRedisRights what the user may do.
    enableReadyCheck: false,
  });
  const errors: string[] = [];
  const collect = (e: Error): void => {
    errors.push(messageOf(e));
  };
  redis.on('error', collect);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw describeRedisConnectError(errors[0] ?? messageOf(e), u);
  }
  if (errors.length) {
    redis.disconnect();
    throw describeRedisConnectError(errors[0] as string, u);
  }
  redis.off('error', collect);
  redis.on('error', (e: Error) => trace(`Redis connection failed: ${messageOf(e)}`));
  return redis;
}

/**
 * The Store port on Redis (`ioredis`). A key's value and version are two Redis keys under
 * `racelab:<namespace>:`; every write bumps the version in the same MULTI or script, so compare-and-set works
 * across processes. Besides the port it offers what the `redis-*` counter variants teach: a Lua
 * read-modify-write, WATCH/MULTI/EXEC transactions (on dedicated connections: WATCH belongs to a connection),
 * and a lock with a TTL, optionally with fencing tokens that the store checks.
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly description: string;
  readonly namespace: string;
  /** Connections for WATCH transactions, one per transaction in flight, reused. */
  private readonly idle: Redis[] = [];
  private readonly dedicated = new Set<Redis>();
  private closed = false;

  private constructor(
    private readonly u: StoreUrl,
    private readonly redis: Redis,
    private readonly options: RedisStoreOptions,
  ) {
    this.namespace = u.namespace;
    this.description = `redis ${u.safe.replace(/\?.*$/, '')} (namespace ${u.namespace})`;
  }

  static async open(spec: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const u = parseStoreUrl(spec, 'redis');
    const redis = await connectRedis(u, options);
    try {
      await checkRedisRights(redis, rightsContext(u));
    } catch (e) {
      redis.disconnect();
      throw e;
    }
    return new RedisStore(u, redis, options);
  }

  /**
   * A failure of one of this store's operations, said as its fix when the user's ACL refused a command (a right
   * removed while a run was going): the one line, with its `ACL SETUSER` rule, that opening the store would have
   * printed. Any other failure is returned as it was.
   */
  async explainFailure(e: unknown): Promise<unknown> {
    if (this.closed || !isRedisRefusal(e)) return e;
    return explainRedisRefusal(this.redis, rightsContext(this.u), e);
  }

  private key(kind: 'value' | 'version' | 'lock' | 'tokens' | 'fence', key: string): string {
    return `racelab:${this.namespace}:${kind}:${key}`;
  }

  private async at(op: Operation): Promise<void> {
    if (this.closed) throw new RacelabError('BAD_STORE', `the Redis store ${this.u.safe} is closed`);
    const p = (this.options.scheduler ?? currentScheduler()).point(op);
    if (p) await p;
  }

  private scheduler(): Scheduler {
    return this.options.scheduler ?? currentScheduler();
  }

  async get(key: string): Promise<number> {
    await this.at({ kind: 'read', object: key, label: `get ${key}` });
    return Number((await this.redis.get(this.key('value', key))) ?? 0);
  }

  async read(key: string): Promise<Versioned> {
    await this.at({ kind: 'read', object: key, label: `read ${key}` });
    const [value, version] = await this.redis.mget(this.key('value', key), this.key('version', key));
    return { value: Number(value ?? 0), version: Number(version ?? 0) };
  }

  async set(key: string, value: number): Promise<void> {
    await this.at({ kind: 'write', object: key, label: `set ${key}=${value}` });
    await execOrThrow(this.redis.multi().set(this.key('value', key), value).incr(this.key('version', key)));
  }

  async compareAndSet(key: string, expectedVersion: number, value: number): Promise<boolean> {
    await this.at({ kind: 'update', object: key, label: `cas ${key}@${expectedVersion}=${value}` });
    return (await CAS.run(this.redis, this.key('value', key), this.key('version', key), expectedVersion, value)) === 1;
  }

  /** INCRBY: Redis runs one command at a time, so the add cannot interleave with another. */
  async increment(key: string, by = 1): Promise<number> {
    await this.at({ kind: 'update', object: key, label: `incr ${key}` });
    const results = await execOrThrow(this.redis.multi().incrby(this.key('value', key), by).incr(this.key('version', key)));
    return Number(results[0]);
  }

  /** The read-modify-write as a Lua script: Redis runs it to completion before any other command. */
  async luaIncrement(key: string, by = 1): Promise<number> {
    await this.at({ kind: 'update', object: key, label: `lua incr ${key}` });
    return Number(await LUA_INCREMENT.run(this.redis, this.key('value', key), this.key('version', key), by));
  }

  /** Adds `by` only if the result stays at least `floor`, in one Lua script; the new value, or undefined when refused. */
  async luaAddIfAtLeast(key: string, by: number, floor: number): Promise<number | undefined> {
    await this.at({ kind: 'update', object: key, label: `lua add ${key}+${by} if >= ${floor}` });
    const [done, value] = (await LUA_ADD_IF_AT_LEAST.run(this.redis, this.key('value', key), this.key('version', key), by, floor)) as [number, number];
    return done === 1 ? Number(value) : undefined;
  }

  /** Moves `amount` from one key to another only if the source stays at least `floor`, in one Lua script. */
  async luaMoveIfAtLeast(from: string, to: string, amount: number, floor: number): Promise<number | undefined> {
    await this.at({ kind: 'update', label: `lua move ${amount} ${from}->${to} if >= ${floor}` });
    const [done, value] = (await LUA_MOVE_IF_AT_LEAST.run(
      this.redis,
      this.key('value', from),
      this.key('version', from),
      this.key('value', to),
      this.key('version', to),
      amount,
      floor,
    )) as [number, number];
    return done === 1 ? Number(value) : undefined;
  }

  /**
   * Adds `by` to `key` only if `onceKey` was never set, and sets it, in one Lua script (SET NX and INCRBY): the new
   * value and whether this call made the add.
   */
  async luaAddOnce(onceKey: string, key: string, by: number): Promise<{ added: boolean; value: number }> {
    await this.at({ kind: 'update', label: `lua set ${onceKey} nx, add ${key}+${by}` });
    const [done, value] = (await LUA_ADD_ONCE.run(this.redis, this.key('value', onceKey), this.key('version', onceKey), this.key('value', key), this.key('version', key), by)) as [number, number];
    return { added: done === 1, value: Number(value) };
  }

  /** Counts a call in a fixed window only if fewer than `limit` were counted; the key expires with its window. */
  async luaCountWithin(key: string, limit: number, windowMs: number): Promise<number | undefined> {
    await this.at({ kind: 'update', object: key, label: `lua count ${key} if < ${limit}` });
    const c = Number(await LUA_COUNT_WITHIN.run(this.redis, this.key('value', key), this.key('version', key), limit, windowMs));
    return c === 0 ? undefined : c;
  }

  private async dedicatedConnection(): Promise<Redis> {
    const idle = this.idle.pop();
    if (idle && idle.status === 'ready') return idle;
    if (idle) this.drop(idle);
    const conn = await connectRedis(this.u, this.options);
    this.dedicated.add(conn);
    return conn;
  }

  private drop(conn: Redis): void {
    this.dedicated.delete(conn);
    conn.disconnect();
  }

  /**
   * Optimistic transaction: each `tx.get` WATCHes the key before reading it, writes are queued, and EXEC
   * applies them only if no watched key changed since; otherwise EXEC returns null and `fn` runs again.
   */
  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>, options: RedisTransactionOptions = {}): Promise<T> {
    const maxAttempts = options.maxAttempts ?? 1000;
    const conn = await this.dedicatedConnection();
    let healthy = true;
    try {
      for (let attempt = 1; ; attempt++) {
        const watched = new Set<string>();
        const writes = new Map<string, number>();
        const tx: StoreTransaction = {
          get: async (key) => {
            if (writes.has(key)) return writes.get(key) as number;
            await this.at({ kind: 'read', object: key, label: `watch+get ${key}` });
            if (!watched.has(key)) {
              await conn.watch(this.key('value', key));
              watched.add(key);
            }
            return Number((await conn.get(this.key('value', key))) ?? 0);
          },
          set: async (key, value) => {
            writes.set(key, value);
          },
        };
        let result: T;
        try {
          result = await fn(tx);
        } catch (e) {
          await conn.unwatch();
          throw e;
        }
        if (writes.size === 0) {
          await conn.unwatch();
          return result;
        }
        await this.at({ kind: 'update', label: 'exec' });
        const multi = conn.multi();
        for (const [key, value] of writes) multi.set(this.key('value', key), value).incr(this.key('version', key));
        if ((await multi.exec()) !== null) return result;
        if (attempt >= maxAttempts) {
          throw new RacelabError('TIMEOUT', `a Redis WATCH transaction lost to concurrent writers ${maxAttempts} times in a row; lower the contention`);
        }
        options.onRetry?.();
        await sleep(1 + Math.random() * Math.min(20, attempt), this.scheduler());
      }
    } catch (e) {
      healthy = false;
      throw e;
    } finally {
      if (healthy && !this.closed) this.idle.push(conn);
      else this.drop(conn);
    }
  }

  /**
   * SET key owner NX PX ttl, retried with a short random backoff until it succeeds. The lock expires on its
   * own after `ttlMs`, which is what keeps a crashed holder from blocking everyone, and also what makes it
   * unsafe: a holder that pauses longer than the TTL loses the lock without knowing.
   */
  async acquireLock(key: string, options: AcquireLockOptions): Promise<RedisLock> {
    const owner = randomBytes(8).toString('hex');
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let waited = false;
    for (;;) {
      await this.at({ kind: 'lock', object: key, label: `lock ${key}` });
      const ttl = Math.max(1, Math.round(options.ttlMs));
      if (options.fencing) {
        const token = Number(await ACQUIRE_FENCED.run(this.redis, this.key('lock', key), this.key('tokens', key), owner, ttl));
        if (token > 0) return { key, owner, token };
      } else if ((await this.redis.set(this.key('lock', key), owner, 'PX', ttl, 'NX')) === 'OK') {
        return { key, owner, token: undefined };
      }
      if (!waited) {
        waited = true;
        options.onWait?.();
      }
      if (Date.now() > deadline) {
        throw new RacelabError('TIMEOUT', `waited ${timeoutMs}ms for the Redis lock on ${key}; a holder keeps it longer than expected`);
      }
      await sleep(2 + Math.random() * 8, this.scheduler());
    }
  }

  /** Releases the lock if it is still this holder's; false means it had expired (and maybe been taken). */
  async releaseLock(lock: RedisLock): Promise<boolean> {
    await this.at({ kind: 'unlock', object: lock.key, label: `unlock ${lock.key}` });
    return (await RELEASE.run(this.redis, this.key('lock', lock.key), lock.owner)) === 1;
  }

  /** Reads the value if `token` is not older than the newest token the key has seen; undefined if refused. */
  async fencedGet(key: string, token: number): Promise<number | undefined> {
    await this.at({ kind: 'read', object: key, label: `fenced get ${key} #${token}` });
    const [ok, value] = (await FENCED_GET.run(this.redis, this.key('value', key), this.key('fence', key), token)) as [number, number];
    return ok === 1 ? Number(value) : undefined;
  }

  /** Writes the value if `token` is not older than the newest token the key has seen; says whether it did. */
  async fencedSet(key: string, value: number, token: number): Promise<boolean> {
    await this.at({ kind: 'write', object: key, label: `fenced set ${key}=${value} #${token}` });
    return (await FENCED_SET.run(this.redis, this.key('value', key), this.key('version', key), this.key('fence', key), value, token)) === 1;
  }

  async reset(): Promise<void> {
    await this.removeNamespace(this.namespace);
  }

  /** Calls `each` with every batch of keys SCAN finds for the pattern. */
  private async scanKeys(pattern: string, each: (keys: string[]) => Promise<void>): Promise<void> {
    let cursor = '0';
    for (let round = 0; round < 100_000; round++) {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await each(keys);
      cursor = next;
      if (cursor === '0') return;
    }
  }

  /** Every namespace with a key under `racelab:` (a namespace holds no ':'). */
  async listNamespaces(): Promise<string[]> {
    const found = new Set<string>();
    await this.scanKeys('racelab:*', async (keys) => {
      for (const k of keys) found.add(k.split(':')[1] as string);
    });
    return [...found].sort();
  }

  /** Deletes every key of a namespace; returns how many there were. */
  async removeNamespace(namespace: string): Promise<number> {
    let removed = 0;
    await this.scanKeys(`racelab:${namespace}:*`, async (keys) => {
      removed += await this.redis.del(...keys);
    });
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const conn of this.dedicated) conn.disconnect();
    this.dedicated.clear();
    this.idle.length = 0;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function rightsContext(u: StoreUrl): RedisRightsContext {
  return { where: hostPort(u.url, 6379), user: decodeURIComponent(u.url.username) || 'default', prefix: `racelab:${u.namespace}:` };
}

/** EXEC of a MULTI; a command that failed inside it fails the whole call. */
async function execOrThrow(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
  const results = await multi.exec();
  if (!results) throw new RacelabError('BAD_STORE', 'a Redis MULTI was discarded unexpectedly');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** For the lazy import in open.ts. */
export function openRedisStore(spec: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
  return RedisStore.open(spec, options);
}
