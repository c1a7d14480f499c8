import pg from 'pg';
import { RacelabError, messageOf } from '../core/errors.js';
import { tracer } from '../core/trace.js';
import { currentScheduler, sleep, type Operation, type Scheduler } from '../sched/scheduler.js';
import { checkPgRights } from './pg-rights.js';
import type { Store, StoreTransaction, Versioned } from './store.js';
import { hostPort, parseStoreUrl, type StoreUrl } from './store-url.js';

const trace = tracer('store');

export type PgIsolation = 'read committed' | 'repeatable read' | 'serializable';

export interface PgTransactionOptions {
  /** Default `serializable`, the port's promise. */
  isolation?: PgIsolation;
  /** Called before each retry after a serialization failure (SQLSTATE 40001) or a deadlock (40P01). */
  onRetry?: (code: string) => void;
  /** Attempts before giving up; default 1000. */
  maxAttempts?: number;
}

/** A transaction on one PostgreSQL connection: the port's get/set plus a row lock. */
export interface PgTransaction extends StoreTransaction {
  /**
   * `SELECT … FOR UPDATE`: reads the value and locks the row until commit; other lockers wait. `onWait` is called
   * when the row was found locked by another transaction (a `SKIP LOCKED` probe came back empty), before waiting.
   */
  getForUpdate(key: string, options?: { onWait?: () => void }): Promise<number>;
  /**
   * `INSERT … ON CONFLICT DO NOTHING`: writes the key only if it has no row, and says whether it did. The primary
   * key is the unique constraint: a second inserter waits for the first's transaction, then finds the row
   * (no insert) if it committed, or inserts if it rolled back.
   */
  insertIfAbsent(key: string, value: number): Promise<boolean>;
  /** `UPDATE … SET value = value + $by` (an upsert on the first write) inside the transaction; the new value. */
  increment(key: string, by?: number): Promise<number>;
}

/** Statements on one connection outside a transaction (autocommit), e.g. while holding a session lock. */
export interface PgSession {
  get(key: string): Promise<number>;
  set(key: string, value: number): Promise<void>;
}

export interface PostgresStoreOptions {
  scheduler?: Scheduler;
  /** Connections in the pool; default 10. */
  poolSize?: number;
  connectTimeoutMs?: number;
}

/** SQLSTATEs after which the whole transaction can simply run again. */
/** A pool (any free connection) or one checked-out connection (a transaction, a lock's session). */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

const RETRYABLE = new Set(['40001', '40P01']);
const DEFAULT_TABLE = 'racelab_store';

function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Turns a failure to connect into the one line the CLI prints; the password is never part of it. */
export function describePgConnectError(e: unknown, u: StoreUrl): RacelabError {
  const where = hostPort(u.url, 5432);
  const user = decodeURIComponent(u.url.username) || process.env.PGUSER || 'the default user';
  const db = decodeURIComponent(u.url.pathname.replace(/^\//, '')) || user;
  const code = sqlState(e);
  const msg = messageOf(e);
  if (code === 'ECONNREFUSED') {
    return new RacelabError('UNREACHABLE', `nothing answers PostgreSQL at ${where} (connection refused); start the server or fix host and port in ${u.safe}`, { subject: 'store' });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new RacelabError('UNREACHABLE', `host "${u.url.hostname}" of ${u.safe} does not resolve; fix the host name`, { subject: 'store' });
  }
  if (code === '28000' || code === '28P01') {
    return new RacelabError('BAD_STORE', `PostgreSQL at ${where} refused user "${user}": ${msg}; fix the user or password in the URL`, { subject: 'store' });
  }
  if (code === '3D000') {
    return new RacelabError('BAD_STORE', `PostgreSQL at ${where} has no database "${db}"; create it or name another in the URL`, { subject: 'store' });
  }
  if (/timeout/i.test(msg) || code === 'ETIMEDOUT') {
    return new RacelabError('UNREACHABLE', `PostgreSQL at ${where} did not answer in time; check host, port and firewall`, { subject: 'store' });
  }
  return new RacelabError('UNREACHABLE', `cannot use PostgreSQL at ${where}: ${msg}`, { subject: 'store' });
}

/**
 * The Store port on PostgreSQL (`pg`, pooled). One table, `(namespace, key) → (value, version)`; each racelab
 * run or test uses its own namespace (`?namespace=` in the URL), so they share a server without colliding.
 * Every operation is one scheduling point, then one statement, so its atomicity is PostgreSQL's. Besides the
 * port it offers what the `pg-*` counter variants teach: isolation levels with retry, `SELECT … FOR UPDATE`,
 * and advisory locks.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly description: string;
  readonly namespace: string;
  /** The quoted table name, safe to splice into SQL (validated by parseStoreUrl). */
  readonly table: string;
  private readonly pool: pg.Pool;
  private closed = false;

  private constructor(
    private readonly u: StoreUrl,
    private readonly options: PostgresStoreOptions,
  ) {
    this.namespace = u.namespace;
    this.table = `"${u.table ?? DEFAULT_TABLE}"`;
    this.description = `postgres ${u.safe.replace(/\?.*$/, '')} (table ${u.table ?? DEFAULT_TABLE}, namespace ${u.namespace})`;
    this.pool = new pg.Pool({
      connectionString: u.driverUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 10_000,
      application_name: 'racelab',
    });
    // An idle client whose server connection drops emits here; without a listener the process would crash.
    this.pool.on('error', (e) => trace(`idle PostgreSQL connection failed: ${messageOf(e)}`));
  }

  /** Connects (failing with one line if it cannot), and creates the table if it does not exist yet. */
  static async open(spec: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(parseStoreUrl(spec, 'postgres'), options);
    try {
      await store.ensureSchema();
    } catch (e) {
      await store.pool.end().catch(() => undefined);
      if (e instanceof RacelabError) throw e;
      throw describePgConnectError(e, store.u);
    }
    return store;
  }

  /**
   * `CREATE TABLE IF NOT EXISTS` alone is not safe when several processes start at once: two creators can
   * both pass the existence check and one fails on the catalog's unique index. A transaction-scoped advisory
   * lock (two-int keyspace, separate from the counter's one-bigint advisory locks) makes creators take turns.
   * The role's rights are checked first, so a missing one is named with its GRANT before anything runs.
   */
  async ensureSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('racelab.schema'), hashtext($1))", [this.table]);
      // A table that exists is used as it is: a role may have every right on it but none to create tables.
      const present = await checkPgRights(client, this.table, { where: hostPort(this.u.url, 5432) });
      if (!present) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.table} (
             namespace text NOT NULL,
             key text NOT NULL,
             value bigint NOT NULL DEFAULT 0,
             version bigint NOT NULL DEFAULT 0,
             PRIMARY KEY (namespace, key)
           )`,
        );
      }
      await client.query('COMMIT');
      client.release();
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(e instanceof Error ? e : true);
      throw e;
    }
  }

  private async at(op: Operation): Promise<void> {
    const p = (this.options.scheduler ?? currentScheduler()).point(op);
    if (p) await p;
  }

  private scheduler(): Scheduler {
    return this.options.scheduler ?? currentScheduler();
  }

  private async query(q: Queryable, text: string, values: unknown[]): Promise<pg.QueryResult> {
    if (this.closed) throw new RacelabError('BAD_STORE', `the PostgreSQL store ${this.u.safe} is closed`);
    return q.query(text, values);
  }

  private async getOn(q: Queryable, key: string): Promise<number> {
    await this.at({ kind: 'read', object: key, label: `get ${key}` });
    const r = await this.query(q, `SELECT value FROM ${this.table} WHERE namespace = $1 AND key = $2`, [this.namespace, key]);
    return r.rows.length ? Number(r.rows[0].value) : 0;
  }

  private async setOn(q: Queryable, key: string, value: number): Promise<void> {
    await this.at({ kind: 'write', object: key, label: `set ${key}=${value}` });
    await this.query(
      q,
      `INSERT INTO ${this.table} AS t (namespace, key, value, version) VALUES ($1, $2, $3, 1)
       ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, version = t.version + 1`,
      [this.namespace, key, value],
    );
  }

  get(key: string): Promise<number> {
    return this.getOn(this.pool, key);
  }

  set(key: string, value: number): Promise<void> {
    return this.setOn(this.pool, key, value);
  }

  async read(key: string): Promise<Versioned> {
    await this.at({ kind: 'read', object: key, label: `read ${key}` });
    const r = await this.query(this.pool, `SELECT value, version FROM ${this.table} WHERE namespace = $1 AND key = $2`, [this.namespace, key]);
    return r.rows.length ? { value: Number(r.rows[0].value), version: Number(r.rows[0].version) } : { value: 0, version: 0 };
  }

  /** The optimistic version column: `UPDATE … WHERE version = $expected`; zero rows means someone wrote first. */
  async compareAndSet(key: string, expectedVersion: number, value: number): Promise<boolean> {
    await this.at({ kind: 'update', object: key, label: `cas ${key}@${expectedVersion}=${value}` });
    const r =
      expectedVersion === 0
        ? // Version 0 is "never written": the row may be missing or hold the version-0 row a row lock created.
          await this.query(
            this.pool,
            `INSERT INTO ${this.table} AS t (namespace, key, value, version) VALUES ($1, $2, $3, 1)
             ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, version = t.version + 1 WHERE t.version = 0`,
            [this.namespace, key, value],
          )
        : await this.query(
            this.pool,
            `UPDATE ${this.table} SET value = $3, version = version + 1 WHERE namespace = $1 AND key = $2 AND version = $4`,
            [this.namespace, key, value, expectedVersion],
          );
    return r.rowCount === 1;
  }

  /** `UPDATE … SET value = value + $by RETURNING value`: the read-modify-write happens inside PostgreSQL. */
  increment(key: string, by = 1): Promise<number> {
    return this.incrementOn(this.pool, key, by);
  }

  private async incrementOn(q: Queryable, key: string, by: number): Promise<number> {
    await this.at({ kind: 'update', object: key, label: `incr ${key}` });
    const updated = await this.query(
      q,
      `UPDATE ${this.table} SET value = value + $3, version = version + 1 WHERE namespace = $1 AND key = $2 RETURNING value`,
      [this.namespace, key, by],
    );
    if (updated.rowCount === 1) return Number(updated.rows[0].value);
    // First write of the key: an upsert, so two first writers still add up instead of one overwriting.
    const inserted = await this.query(
      q,
      `INSERT INTO ${this.table} AS t (namespace, key, value, version) VALUES ($1, $2, $3, 1)
       ON CONFLICT (namespace, key) DO UPDATE SET value = t.value + EXCLUDED.value, version = t.version + 1 RETURNING value`,
      [this.namespace, key, by],
    );
    return Number(inserted.rows[0].value);
  }

  /**
   * The guarded update, `UPDATE … SET value = value + $by WHERE … AND value + $by >= $floor RETURNING value`:
   * PostgreSQL checks and writes under the row lock, so two debits cannot both pass one check. Returns the new
   * value, or undefined when the guard refused (zero rows) or the key has no row.
   */
  async addIfAtLeast(key: string, by: number, floor: number): Promise<number | undefined> {
    await this.at({ kind: 'update', object: key, label: `add ${key}+${by} if >= ${floor}` });
    const r = await this.query(
      this.pool,
      `UPDATE ${this.table} SET value = value + $3, version = version + 1 WHERE namespace = $1 AND key = $2 AND value + $3 >= $4 RETURNING value`,
      [this.namespace, key, by, floor],
    );
    return r.rowCount === 1 ? Number(r.rows[0].value) : undefined;
  }

  /**
   * Runs `fn` in one transaction on one connection. Under SERIALIZABLE (the default) PostgreSQL aborts a
   * transaction whose outcome would differ from every serial order (SQLSTATE 40001); the caller's work is then
   * simply run again, after a short random backoff so the same transactions do not collide again in lockstep.
   */
  async transaction<T>(fn: (tx: PgTransaction) => Promise<T>, options: PgTransactionOptions = {}): Promise<T> {
    const isolation = options.isolation ?? 'serializable';
    const maxAttempts = options.maxAttempts ?? 1000;
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await this.query(client, `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`, []);
        const tx: PgTransaction = {
          get: (key) => this.getOn(client, key),
          set: (key, value) => this.setOn(client, key, value),
          getForUpdate: async (key, lockOptions = {}) => {
            // FOR UPDATE locks only rows that exist: create the row first (a no-op when it is there), or two
            // first writers would both find nothing to lock.
            await this.query(client, `INSERT INTO ${this.table} (namespace, key) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [this.namespace, key]);
            await this.at({ kind: 'lock', object: key, label: `select ${key} for update` });
            const select = `SELECT value FROM ${this.table} WHERE namespace = $1 AND key = $2 FOR UPDATE`;
            if (lockOptions.onWait) {
              // The row exists (inserted above), so SKIP LOCKED returns nothing only when another transaction holds
              // its lock: that is a wait, counted before the blocking SELECT below takes its turn.
              const probe = await this.query(client, `${select} SKIP LOCKED`, [this.namespace, key]);
              if (probe.rowCount === 1) return Number(probe.rows[0].value);
              lockOptions.onWait();
            }
            const r = await this.query(client, select, [this.namespace, key]);
            return Number(r.rows[0].value);
          },
          insertIfAbsent: async (key, value) => {
            await this.at({ kind: 'update', object: key, label: `insert ${key}=${value} if absent` });
            const r = await this.query(client, `INSERT INTO ${this.table} (namespace, key, value, version) VALUES ($1, $2, $3, 1) ON CONFLICT DO NOTHING`, [this.namespace, key, value]);
            return r.rowCount === 1;
          },
          increment: (key, by = 1) => this.incrementOn(client, key, by),
        };
        const result = await fn(tx);
        await this.at({ kind: 'update', label: 'commit' });
        await this.query(client, 'COMMIT', []);
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((re: unknown) => {
          broken = re instanceof Error ? re : new Error(String(re));
        });
        const code = sqlState(e);
        if (code && RETRYABLE.has(code) && attempt < maxAttempts) {
          options.onRetry?.(code);
          await sleep(1 + Math.random() * Math.min(50, 2 * attempt), this.scheduler());
          continue;
        }
        throw e;
      } finally {
        client.release(broken ?? false);
      }
    }
  }

  /**
   * Runs `fn` while holding the session-level advisory lock for `key` (`pg_advisory_lock`, keyed by a 64-bit
   * hash of namespace and key). `fn` gets the lock's own connection: a holder that needed a second pooled
   * connection could wait forever behind waiters that hold every other one. The lock dies with the
   * connection, so a crashed holder does not block the others.
   */
  async withAdvisoryLock<T>(key: string, fn: (session: PgSession) => Promise<T>, options: { onWait?: () => void } = {}): Promise<T> {
    const client = await this.pool.connect();
    const lockKey = `${this.namespace}:${key}`;
    let locked = false;
    try {
      await this.at({ kind: 'lock', object: key, label: `advisory lock ${key}` });
      const tried = await this.query(client, 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [lockKey]);
      if (!tried.rows[0].ok) {
        options.onWait?.();
        await this.query(client, 'SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
      }
      locked = true;
      return await fn({ get: (k) => this.getOn(client, k), set: (k, v) => this.setOn(client, k, v) });
    } finally {
      let broken: Error | undefined;
      if (locked) {
        await this.at({ kind: 'unlock', object: key, label: `advisory unlock ${key}` });
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]).catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
        });
      }
      // A connection whose unlock failed may still hold the lock: destroy it rather than pool it.
      client.release(broken ?? false);
    }
  }

  async reset(): Promise<void> {
    await this.removeNamespace(this.namespace);
  }

  /** Every namespace that has a row in this store's table. */
  async listNamespaces(): Promise<string[]> {
    const r = await this.query(this.pool, `SELECT DISTINCT namespace FROM ${this.table} ORDER BY namespace`, []);
    return r.rows.map((row: { namespace: string }) => row.namespace);
  }

  /** Deletes every row of a namespace; returns how many there were. */
  async removeNamespace(namespace: string): Promise<number> {
    const r = await this.query(this.pool, `DELETE FROM ${this.table} WHERE namespace = $1`, [namespace]);
    return r.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** For the lazy import in open.ts. */
export function openPostgresStore(spec: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  return PostgresStore.open(spec, options);
}
