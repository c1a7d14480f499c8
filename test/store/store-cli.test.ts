import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../helpers/cli.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', PG_URL);
const redisUp = await serviceAvailable('Redis', REDIS_URL);

/** A loopback port with nothing listening: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function withUrl(base: string, edit: (u: URL) => void): string {
  const u = new URL(base);
  edit(u);
  return u.href;
}

const serve = (store: string, ...more: string[]) => runCli(['serve', '--port', '0', '--store', store, ...more], { timeoutMs: 20_000 });

describe('--store errors are one line, exit 2, and never print the password', () => {
  it('rejects what is not a store URL, without needing any server', async () => {
    const [scheme, url, memoryReplicas, wrongStore] = await Promise.all([
      serve('mysql://root:hunter2@127.0.0.1/db'),
      serve('postgres://user:hunter2@'),
      serve('memory', '--replicas', '3'),
      serve('memory', '--variant', 'pg-atomic'),
    ]);
    expect(expectOneLineError(scheme)).toMatch(/is not a store; use memory, postgres:\/\/.* or redis:\/\//);
    expect(expectOneLineError(url)).toMatch(/not a valid URL/);
    expect(expectOneLineError(memoryReplicas)).toMatch(/--replicas: .*memory lives inside one process/);
    expect(expectOneLineError(wrongStore)).toMatch(/--variant: pg-atomic needs a PostgreSQL store, but --store is memory/);
    for (const run of [scheme, url]) expect(run.stderr).not.toContain('hunter2');
  });

  it.skipIf(!pgUp)('PostgreSQL: server down, unknown user, unknown database', async () => {
    const port = await closedPort();
    const [down, user, db, downReplicas] = await Promise.all([
      serve(withUrl(PG_URL, (u) => ((u.port = String(port)), (u.password = 'hunter2')))),
      serve(withUrl(PG_URL, (u) => ((u.username = 'racelab_no_such_user'), (u.password = 'hunter2')))),
      serve(withUrl(PG_URL, (u) => (u.pathname = '/racelab_no_such_db'))),
      serve(withUrl(PG_URL, (u) => ((u.port = String(port)), (u.password = 'hunter2'))), '--replicas', '3', '--variant', 'pg-atomic'),
    ]);
    expect(expectOneLineError(down)).toMatch(new RegExp(`nothing answers PostgreSQL at 127\\.0\\.0\\.1:${port}`));
    expect(expectOneLineError(user)).toMatch(/refused user "racelab_no_such_user"/);
    expect(expectOneLineError(db)).toMatch(/no database "racelab_no_such_db"/);
    expect(expectOneLineError(downReplicas)).toMatch(/nothing answers PostgreSQL/);
    for (const run of [down, user, db, downReplicas]) expect(run.stderr + run.stdout).not.toContain('hunter2');
  });

  it.skipIf(!redisUp)('Redis: server down, wrong credentials, a variant for the other store', async () => {
    const port = await closedPort();
    const [down, creds, wrongVariant] = await Promise.all([
      serve(withUrl(REDIS_URL, (u) => ((u.port = String(port)), (u.password = 'hunter2')))),
      serve(withUrl(REDIS_URL, (u) => ((u.username = 'racelab_no_such_user'), (u.password = 'hunter2')))),
      serve(REDIS_URL, '--variant', 'pg-for-update'),
    ]);
    expect(expectOneLineError(down)).toMatch(new RegExp(`nothing answers Redis at 127\\.0\\.0\\.1:${port}`));
    expect(expectOneLineError(creds)).toMatch(/refused the credentials of user "racelab_no_such_user"/);
    expect(expectOneLineError(wrongVariant)).toMatch(/--variant: pg-for-update needs a PostgreSQL store, but --store is redis/);
    for (const run of [down, creds]) expect(run.stderr + run.stdout).not.toContain('hunter2');
  });

  it('demo replicas says where an unreachable default store came from', async () => {
    const port = await closedPort();
    const run = await runCli(['demo', 'replicas'], { env: { RACELAB_PG_URL: `postgres://postgres:hunter2@127.0.0.1:${port}/test` }, timeoutMs: 20_000 });
    const line = expectOneLineError(run);
    expect(line).toMatch(/nothing answers PostgreSQL/);
    expect(line).toContain('RACELAB_PG_URL');
    expect(line).not.toContain('hunter2');
  });
});
