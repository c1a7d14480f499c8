import * as mariadb from 'mariadb';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../helpers/cli.js';
import { MARIADB_URL, PG_URL, serviceAvailable } from '../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', PG_URL);
const mariaUp = await serviceAvailable('MariaDB', MARIADB_URL);

const txnRun = (store: string) =>
  runCli(['txn', 'run', '--store', store, '--isolation', 'serializable', '--workload', 'deposit', '--clients', '2', '--duration', '2s', '--max-transactions', '20'], { timeoutMs: 60_000 });

/** `txn run` by a user who may not create its table: one line with the GRANT; after running it, the run works. */
describe('txn run: a user without the right to create the run\'s table is told the GRANT', () => {
  it.skipIf(!pgUp)('PostgreSQL: GRANT CREATE ON SCHEMA', async () => {
    const role = `racelab_txn_rights_${process.pid}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      const u = new URL(PG_URL);
      u.username = role;
      u.password = '';
      const denied = expectOneLineError(await txnRun(u.href));
      expect(denied).toMatch(/cannot create the run's table racelab_txn_deposit_\w+ on .*: permission denied for schema public/);
      const fix = /as an admin run: (GRANT .+;)$/.exec(denied)?.[1];
      expect(fix).toBe(`GRANT CREATE ON SCHEMA public TO ${role};`);
      await admin.query(fix as string);
      const ok = await txnRun(u.href);
      expect(ok.code, ok.stderr).toBe(0);
      // The run dropped its table: nothing of the role's is left.
      expect((await admin.query("SELECT count(*)::int AS n FROM pg_tables WHERE tableowner = $1", [role])).rows[0].n).toBe(0);
    } finally {
      await admin.query(`REVOKE ALL ON SCHEMA public FROM ${role}`).catch(() => undefined);
      await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await admin.end();
    }
  }, 90_000);

  it.skipIf(!mariaUp)('MariaDB: GRANT CREATE, DROP, … ON db.*', async () => {
    const user = `rl_txn_${process.pid}`;
    const base = new URL(MARIADB_URL);
    const admin = await mariadb.createConnection({ host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username) || 'root', password: decodeURIComponent(base.password) });
    try {
      await admin.query(`CREATE USER '${user}'@'%'`);
      await admin.query(`GRANT SELECT ON test.* TO '${user}'@'%'`);
      const u = new URL(MARIADB_URL);
      u.username = user;
      u.password = '';
      const denied = expectOneLineError(await txnRun(u.href));
      expect(denied).toMatch(/CREATE command denied to user/);
      const fix = /as an admin run: (GRANT .+;)$/.exec(denied)?.[1];
      expect(fix).toBe(`GRANT CREATE, DROP, SELECT, INSERT, UPDATE, DELETE ON \`test\`.* TO '${user}'@'%';`);
      await admin.query(fix as string);
      const ok = await txnRun(u.href);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => undefined);
      await admin.end();
    }
  }, 90_000);
});
