import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { openRedisStore } from '../../src/store/redis.js';
import { PROGRESS_LINES, exited, startCli } from '../helpers/cli.js';
import { REDIS_URL, serviceAvailable } from '../helpers/services.js';

const redisUp = await serviceAvailable('Redis', REDIS_URL);

describe.skipIf(!redisUp)('a Redis right removed in the middle of a run', () => {
  const user = `racelab-midrun-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  let pid: number | undefined;
  /** The keys of the namespaces the demo made: their names end in an owner tag carrying its pid. */
  const runKeys = async (): Promise<string[]> => (pid === undefined ? [] : (await admin.keys('racelab:*')).filter((k) => k.includes(`-${pid}-`)));

  afterAll(async () => {
    await admin.call('ACL', 'DELUSER', user).catch(() => undefined);
    const keys = await runKeys().catch(() => []);
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
  });

  it('demo replicas stops with one line naming the ACL SETUSER rule that gives it back, exits non-zero and leaves no keys', async () => {
    await admin.connect();
    await admin.call('ACL', 'SETUSER', user, 'reset', 'on', '>pw', '~racelab:*', '+@all');
    const u = new URL(REDIS_URL);
    u.username = user;
    u.password = 'pw';
    // Far more calls than can finish before the right goes: the run is surely still going when it does.
    const { child, output } = await startCli(['demo', 'replicas', '--store', u.href, '--variants', 'redis-incr', '--no-kill-one', '--calls', '100000', '--delay', '5ms'], /redis: mutex on 1 replica/, 60_000, PROGRESS_LINES);
    pid = child.pid;
    const done = exited(child);
    try {
      // Mid-run: the replica has opened the store (its rights were checked then) and increments have landed.
      const deadline = Date.now() + 60_000;
      let counted = 0;
      while (counted === 0 && Date.now() < deadline) {
        const [valueKey] = (await runKeys()).filter((k) => k.endsWith(':value:counter'));
        counted = valueKey ? Number((await admin.get(valueKey)) ?? 0) : 0;
        if (counted === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(counted).toBeGreaterThan(0);
      await admin.call('ACL', 'SETUSER', user, '-get');
      const { code } = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 60 s after the right was removed: ${output()}`)), 60_000))]);
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const lines = output().trim().split('\n');
    const last = lines[lines.length - 1] as string;
    expect(last).toBe(`racelab: --store: Redis user "${user}" at ${u.host} may not use GET (refused in the middle of the run); as an admin run: ACL SETUSER ${user} +get`);
    // Said once, not once per refused call, and no report of lost or failed increments.
    expect(output().match(/ACL SETUSER/g)).toHaveLength(1);
    expect(output()).not.toMatch(/lost|failed|acknowledged/);
    expect(await runKeys()).toEqual([]);
    // The rule printed is the fix.
    await admin.call('ACL', 'SETUSER', user, '+get');
    expect(await admin.call('ACL', 'DRYRUN', user, 'get', 'racelab:x')).toBe('OK');
  }, 180_000);

  it('the store says a refused MULTI and a refused Lua script as the rule to add, whatever the command', async () => {
    const name = `${user}-store`;
    await admin.call('ACL', 'SETUSER', name, 'reset', 'on', '>pw', '~racelab:*', '+@all');
    const u = new URL(REDIS_URL);
    u.username = name;
    u.password = 'pw';
    u.searchParams.set('namespace', `midrun${process.pid}`);
    const store = await openRedisStore(u.href);
    try {
      await store.increment('k');
      await admin.call('ACL', 'SETUSER', name, '-incrby');
      const fix = `as an admin run: ACL SETUSER ${name} +incrby`;
      // INCRBY inside MULTI: EXEC aborts, the NOPERM is among its previous errors.
      const multi = await store.increment('k').then(() => undefined, (e: unknown) => store.explainFailure(e));
      expect(String((multi as Error).message)).toContain(`may not use INCRBY (refused in the middle of the run); ${fix}`);
      // INCRBY from a script (the move's credit): Redis does not name the command; the probes do.
      const script = await store.luaMoveIfAtLeast('k', 'j', 1, -100).then(() => undefined, (e: unknown) => store.explainFailure(e));
      expect(String((script as Error).message)).toContain(fix);
      // Any other failure is left as it was.
      const other = new Error('READONLY You can\'t write against a read only replica.');
      expect(await store.explainFailure(other)).toBe(other);
    } finally {
      await store.reset();
      await store.close();
      await admin.call('ACL', 'DELUSER', name).catch(() => undefined);
    }
  });
});
