import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', PG_URL);
const redisUp = await serviceAvailable('Redis', REDIS_URL);

const serve = (store: string) => runCli(['serve', '--port', '0', '--store', store], { timeoutMs: 20_000 });

/** `serve` with the store starts (it prints its address), then shuts down gracefully on SIGTERM (exit 0). */
async function serveStarts(store: string): Promise<void> {
  const { child } = await startCli(['serve', '--port', '0', '--store', store], /gRPC server on/);
  child.kill('SIGTERM');
  expect((await exited(child)).code).toBe(0);
}

describe.skipIf(!pgUp)('PostgreSQL: a role without a right racelab needs is told the GRANT to run', () => {
  const role = `racelab_rights_${process.pid}`;
  const created = `racelab_rights_new_${process.pid}`;
  const existing = `racelab_rights_old_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  const asRole = (table: string): string => {
    const u = new URL(PG_URL);
    u.username = role;
    u.password = '';
    u.searchParams.set('table', table);
    return u.href;
  };

  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${created}, ${existing}`).catch(() => undefined);
    await admin.query(`REVOKE ALL ON SCHEMA public FROM ${role}`).catch(() => undefined);
    await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin.end();
  });

  it('no CREATE on the schema for a new table, then a table that exists without INSERT/UPDATE/DELETE; each printed GRANT fixes it', async () => {
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`REVOKE CREATE ON SCHEMA public FROM ${role}`);

    const noCreate = expectOneLineError(await serve(asRole(created)));
    expect(noCreate).toContain(`may not create table ${created} in schema public`);
    const grantCreate = /run: (GRANT [^;]+;)/.exec(noCreate)?.[1];
    expect(grantCreate).toBe(`GRANT CREATE ON SCHEMA public TO ${role};`);
    await admin.query(grantCreate as string);
    await serveStarts(asRole(created));
    expect((await admin.query('SELECT to_regclass($1) AS t', [created])).rows[0].t).toBe(created);

    // A table made by someone else: no CREATE is needed to use it, only the rights on it.
    await admin.query(`REVOKE CREATE ON SCHEMA public FROM ${role}`);
    await admin.query(
      `CREATE TABLE ${existing} (namespace text NOT NULL, key text NOT NULL, value bigint NOT NULL DEFAULT 0, version bigint NOT NULL DEFAULT 0, PRIMARY KEY (namespace, key))`,
    );
    await admin.query(`GRANT SELECT ON ${existing} TO ${role}`);
    const noWrite = expectOneLineError(await serve(asRole(existing)));
    expect(noWrite).toContain(`may not INSERT, UPDATE, DELETE on table public.${existing}`);
    const grantWrite = /run: (GRANT [^;]+;)/.exec(noWrite)?.[1];
    expect(grantWrite).toBe(`GRANT INSERT, UPDATE, DELETE ON TABLE public.${existing} TO ${role};`);
    await admin.query(grantWrite as string);
    await serveStarts(asRole(existing));
  }, 60_000);
});

describe.skipIf(!redisUp)('Redis: a user whose ACL lacks a command or the keys is told the ACL SETUSER rule to add', () => {
  const user = `racelab-rights-${process.pid}`;
  const namespace = `rights${process.pid}`;
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  const asUser = (): string => {
    const u = new URL(REDIS_URL);
    u.username = user;
    u.password = 'pw';
    u.searchParams.set('namespace', namespace);
    return u.href;
  };
  /** Runs a printed `ACL SETUSER …` line as the admin. */
  const runFix = async (line: string): Promise<void> => {
    const fix = /run: (ACL SETUSER .+)$/.exec(line)?.[1];
    expect(fix).toBeDefined();
    const [, , ...args] = (fix as string).split(' ');
    await admin.call('ACL', 'SETUSER', ...args);
  };

  afterAll(async () => {
    await admin.call('ACL', 'DELUSER', user).catch(() => undefined);
    const keys = await admin.keys(`racelab:${namespace}:*`);
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
  });

  it('missing commands, then missing keys; each printed rule fixes it', async () => {
    await admin.connect();
    await admin.call('ACL', 'SETUSER', user, 'reset', 'on', '>pw', '~racelab:*', '+ping', '+get', '+set');

    const noCommands = expectOneLineError(await serve(asUser()));
    expect(noCommands).toContain(`Redis user "${user}"`);
    expect(noCommands).toMatch(/may not use MGET, INCR, INCRBY, PEXPIRE, MULTI, EXEC, WATCH, UNWATCH, EVAL, EVALSHA, SCAN, DEL;/);
    expect(noCommands).toContain(`ACL SETUSER ${user} +mget +incr +incrby +pexpire +multi +exec +watch +unwatch +eval +evalsha +scan +del`);
    await runFix(noCommands);
    await serveStarts(asUser());

    await admin.call('ACL', 'SETUSER', user, 'resetkeys', '~elsewhere:*');
    const noKeys = expectOneLineError(await serve(asUser()));
    expect(noKeys).toContain(`may not use the keys racelab:${namespace}:*; as an admin run: ACL SETUSER ${user} ~racelab:*`);
    await runFix(noKeys);
    await serveStarts(asUser());
    // A probe key is deleted when the user may DEL; the run that could not delete its own left one that expires.
    for (const key of await admin.keys(`racelab:${namespace}:probe:*`)) expect(await admin.pttl(key)).toBeGreaterThan(0);
  }, 60_000);
});
