import mariadb, { type Connection } from 'mariadb';
import pg from 'pg';
import { messageOf, RacelabError } from '../../core/errors.js';

/**
 * The two real databases the transactional workloads run on, behind one small interface: a session is one
 * connection that runs one transaction at a time at a chosen isolation level. What a failure means is decided
 * here, once, because it decides a history's truth: a serialization failure or a deadlock is an abort the
 * database promises (`fail`); a timeout or a lost connection leaves the outcome unknown (`info`), never `fail`.
 */
export type DatabaseKind = 'postgres' | 'mariadb';
export const DATABASE_KINDS: readonly DatabaseKind[] = ['postgres', 'mariadb'];
export type Isolation = 'read-uncommitted' | 'read-committed' | 'repeatable-read' | 'serializable';

/** The levels each database takes. PostgreSQL runs READ UNCOMMITTED as READ COMMITTED, so it is not offered. */
export const ISOLATION_LEVELS: Readonly<Record<DatabaseKind, readonly Isolation[]>> = {
  postgres: ['read-committed', 'repeatable-read', 'serializable'],
  mariadb: ['read-uncommitted', 'read-committed', 'repeatable-read', 'serializable'],
};

export const DEFAULT_URLS: Readonly<Record<DatabaseKind, { url: string; variable: string }>> = {
  postgres: { url: 'postgres://postgres@127.0.0.1:5432/test', variable: 'RACELAB_PG_URL' },
  mariadb: { url: 'mariadb://root@127.0.0.1:3306/test', variable: 'RACELAB_MARIADB_URL' },
};

export function parseIsolation(kind: DatabaseKind, text: string): Isolation {
  const levels = ISOLATION_LEVELS[kind];
  if ((levels as readonly string[]).includes(text)) return text as Isolation;
  throw new RacelabError('BAD_OPTION', `isolation level "${text}" is not one ${kind === 'postgres' ? 'PostgreSQL' : 'MariaDB'} takes; use ${levels.join(', ')}`);
}

/** `postgres`, `mariadb` (URL from the environment or the default) or a URL whose scheme names one. */
export function resolveDatabase(spec: string, env: NodeJS.ProcessEnv = process.env): { kind: DatabaseKind; url: string } {
  if (spec === 'postgres' || spec === 'mariadb') return { kind: spec, url: env[DEFAULT_URLS[spec].variable] || DEFAULT_URLS[spec].url };
  if (/^postgres(ql)?:\/\//.test(spec)) return { kind: 'postgres', url: spec };
  if (/^(mariadb|mysql):\/\//.test(spec)) return { kind: 'mariadb', url: spec };
  throw new RacelabError('BAD_STORE', `store "${spec.replace(/\/\/[^@/]*@/, '//')}" is not a transactional database; use postgres, mariadb, or a postgres:// or mariadb:// URL`);
}

export type Outcome = 'fail' | 'info';

/** Thrown by a session when a statement fails; `outcome` says what the history must record. */
export class TxnAborted extends Error {
  constructor(
    readonly outcome: Outcome,
    readonly reason: string,
    /** The database refused the transaction to keep its isolation level (40001, 40P01, 1213). */
    readonly serialization: boolean,
    /** The database refused for want of a privilege (SQLSTATE 42501, MariaDB errno 1142/1044/1045…). */
    readonly denied = false,
  ) {
    super(reason);
  }
}

export interface Session {
  begin(isolation: Isolation): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Rows changed by an UPDATE / INSERT. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}

export interface Database {
  readonly kind: DatabaseKind;
  /** The URL without its password. */
  readonly where: string;
  connect(): Promise<Session>;
  /** Dialect: an upsert that appends `,v` to a text column (list-append), and one that sets a value. */
  readonly sql: {
    appendUpsert(table: string): string;
    setUpsert(table: string): string;
    textType: string;
    /** Lists the tables of the current schema whose name starts with `racelab_txn` (column `name`). */
    runTables: string;
    /** One row, column `fix`: the GRANT that lets the connected user create, use and drop a run's tables. */
    grantFix: string;
  };
}

const STATEMENT_TIMEOUT_MS = 10_000;
const masked = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1@');

function classifyPg(e: unknown, during: string): TxnAborted {
  const code = (e as { code?: string }).code;
  if (code === '40001' || code === '40P01') return new TxnAborted('fail', `${code === '40001' ? 'serialization failure' : 'deadlock'} (SQLSTATE ${code}) ${during}`, true);
  // 57014: statement timeout (cancelled); connection errors carry errno codes or none.
  if (code === '57014' || code === undefined || /^E[A-Z]+$/.test(code) || /timeout|terminat|connection/i.test(messageOf(e))) {
    return new TxnAborted('info', `${messageOf(e)} ${during}: outcome unknown`, false);
  }
  return new TxnAborted('fail', `${messageOf(e)} (SQLSTATE ${code}) ${during}`, false, code === '42501');
}

function classifyMaria(e: unknown, during: string): TxnAborted {
  const err = e as { errno?: number; fatal?: boolean; code?: string };
  if (err.errno === 1213 || err.errno === 1205) {
    // 1213 deadlock: InnoDB rolled the transaction back. 1205 lock wait timeout: the statement was rolled back and
    // the runner rolls back the rest, so nothing of it commits either.
    return new TxnAborted('fail', `${err.errno === 1213 ? 'deadlock' : 'lock wait timeout'} (errno ${err.errno}) ${during}`, err.errno === 1213);
  }
  if (err.fatal || err.code === 'ER_SOCKET_TIMEOUT' || err.code === 'ER_QUERY_INTERRUPTED' || /timeout|closed|ECONN/i.test(messageOf(e))) {
    return new TxnAborted('info', `${messageOf(e)} ${during}: outcome unknown`, false);
  }
  // 1142 table command denied, 1044 database access denied, 1227 a privilege missing.
  return new TxnAborted('fail', `${messageOf(e)} ${during}`, false, err.errno === 1142 || err.errno === 1044 || err.errno === 1227);
}

const LEVEL_SQL: Record<Isolation, string> = {
  'read-uncommitted': 'READ UNCOMMITTED',
  'read-committed': 'READ COMMITTED',
  'repeatable-read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

function unreachable(kind: DatabaseKind, url: string, e: unknown): RacelabError {
  const name = kind === 'postgres' ? 'PostgreSQL' : 'MariaDB';
  return new RacelabError('UNREACHABLE', `cannot connect to ${name} at ${masked(url)}: ${messageOf(e)}; start it or give another URL (${DEFAULT_URLS[kind].variable})`);
}

function postgres(url: string): Database {
  return {
    kind: 'postgres',
    where: masked(url),
    sql: {
      appendUpsert: (t) => `INSERT INTO ${t} (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = ${t}.v || ',' || EXCLUDED.v`,
      setUpsert: (t) => `INSERT INTO ${t} (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v`,
      textType: 'TEXT',
      runTables: "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'racelab_txn%'",
      // A table's creator owns it, so CREATE on the schema is all a run needs.
      grantFix: "SELECT format('GRANT CREATE ON SCHEMA %I TO %I;', coalesce(current_schema(), 'public'), current_user) AS fix",
    },
    async connect() {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: STATEMENT_TIMEOUT_MS, query_timeout: STATEMENT_TIMEOUT_MS + 2000 });
      client.on('error', () => {}); // a dropped connection surfaces on the next query, as an unknown outcome
      try {
        await client.connect();
      } catch (e) {
        await client.end().catch(() => {});
        throw unreachable('postgres', url, e);
      }
      const run = async (sql: string, params: readonly unknown[] | undefined, during: string): Promise<pg.QueryResult> => {
        try {
          return await client.query(sql, params as unknown[] | undefined);
        } catch (e) {
          throw classifyPg(e, during);
        }
      };
      return {
        begin: async (level) => void (await run(`BEGIN ISOLATION LEVEL ${LEVEL_SQL[level]}`, undefined, 'at BEGIN')),
        query: async <T>(sql: string, params?: readonly unknown[]) => (await run(sql, params, 'in the transaction')).rows as T[],
        execute: async (sql, params) => (await run(sql, params, 'in the transaction')).rowCount ?? 0,
        commit: async () => void (await run('COMMIT', undefined, 'at COMMIT')),
        rollback: async () => void (await client.query('ROLLBACK').catch(() => {})),
        close: async () => void (await client.end().catch(() => {})),
      };
    },
  };
}

function maria(url: string): Database {
  const u = new URL(url.replace(/^mysql:/, 'mariadb:'));
  return {
    kind: 'mariadb',
    where: masked(url),
    sql: {
      appendUpsert: (t) => `INSERT INTO ${t} (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = CONCAT(v, ',', VALUES(v))`,
      setUpsert: (t) => `INSERT INTO ${t} (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)`,
      textType: 'TEXT',
      runTables: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'racelab_txn%'",
      grantFix:
        "SELECT CONCAT('GRANT CREATE, DROP, SELECT, INSERT, UPDATE, DELETE ON `', DATABASE(), '`.* TO ''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''';') AS fix",
    },
    async connect() {
      let conn: Connection;
      try {
        conn = await mariadb.createConnection({
          host: u.hostname,
          port: Number(u.port || 3306),
          user: decodeURIComponent(u.username) || 'root',
          password: decodeURIComponent(u.password),
          database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'test',
          connectTimeout: 5000,
          queryTimeout: STATEMENT_TIMEOUT_MS,
        });
      } catch (e) {
        throw unreachable('mariadb', url, e);
      }
      conn.on('error', () => {});
      // Placeholders: the workloads write PostgreSQL's $1, $2; MariaDB takes ?.
      const sqlOf = (sql: string): string => sql.replace(/\$\d+/g, '?');
      const run = async (sql: string, params: readonly unknown[] | undefined, during: string): Promise<unknown> => {
        try {
          return await conn.query(sqlOf(sql), params as unknown[] | undefined);
        } catch (e) {
          throw classifyMaria(e, during);
        }
      };
      return {
        begin: async (level) => {
          await run(`SET TRANSACTION ISOLATION LEVEL ${LEVEL_SQL[level]}`, undefined, 'at BEGIN');
          await run('START TRANSACTION', undefined, 'at BEGIN');
        },
        query: async <T>(sql: string, params?: readonly unknown[]) => [...((await run(sql, params, 'in the transaction')) as T[])],
        execute: async (sql, params) => Number(((await run(sql, params, 'in the transaction')) as { affectedRows?: number }).affectedRows ?? 0),
        commit: async () => void (await run('COMMIT', undefined, 'at COMMIT')),
        rollback: async () => void (await conn.query('ROLLBACK').catch(() => {})),
        close: async () => void (await conn.end().catch(() => conn.destroy())),
      };
    },
  };
}

export function openDatabase(kind: DatabaseKind, url: string): Database {
  return kind === 'postgres' ? postgres(url) : maria(url);
}
