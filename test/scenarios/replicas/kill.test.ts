import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { COUNTER_KEY } from '../../../src/scenarios/counter/index.js';
import { runSpreadBurst, startReplicaSet } from '../../../src/scenarios/replicas/index.js';
import { openStore } from '../../../src/store/index.js';
import { runNamespace, withNamespace } from '../../../src/store/specs.js';
import { exited, runCli, startCli } from '../../helpers/cli.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', PG_URL);
const redisUp = await serviceAvailable('Redis', REDIS_URL);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

/** kill -9 of one replica mid-burst with a durable store and a store-level fix. */
async function killOneMidBurst(storeUrl: string, variant: string) {
  const url = withNamespace(storeUrl, runNamespace(`t-kill-${variant}`));
  const store = await openStore(url);
  try {
    // A 100 ms window keeps every call in flight long enough that the kill always catches some.
    // The start timeout of test/helpers/scenario-replicas.ts: three processes once took 19 s to listen on a loaded machine.
    const set = await startReplicaSet({ replicas: 3, variant, store: url, delayMs: 100, maxConcurrency: 10, startTimeoutMs: 90_000 });
    const victimPid = set.replicas[1]!.pid;
    try {
      const burst = await runSpreadBurst({
        targets: set.targets,
        calls: 60,
        concurrency: 9,
        fault: { victim: 1, afterAcknowledged: 15, kill: (i) => set.kill(i) },
      });
      expect(alive(victimPid)).toBe(false);
      expect(set.replicas[1]!.killed).toBe(true);
      return { burst, final: await store.get(COUNTER_KEY) };
    } finally {
      const exits = await set.stop(2000);
      expect(exits.filter((e) => e.killed).map((e) => e.index)).toEqual([1]);
      expect(exits.filter((e) => !e.killed).every((e) => e.code === 0)).toBe(true);
    }
  } finally {
    await store.reset();
    await store.close();
  }
}

function expectDurable({ burst, final }: Awaited<ReturnType<typeof killOneMidBurst>>): void {
  expect(burst.kill).toBeDefined();
  expect(burst.kill!.acknowledgedBefore).toBeGreaterThanOrEqual(15);
  expect(burst.kill!.inFlight).toBeGreaterThan(0);
  // Every call is accounted for: acknowledged, refused, or unknown.
  expect(burst.acknowledged + burst.failed + burst.unknown).toBe(burst.sent);
  expect(burst.sent).toBe(60);
  // The calls in flight on the killed replica got no answer: unknown outcomes, not failures.
  expect(burst.unknown).toBeGreaterThan(0);
  expect(burst.unknown).toBeLessThanOrEqual(burst.kill!.inFlight);
  expect(burst.failed).toBe(0);
  // No acknowledged increment is lost; some unknown ones may have taken effect, never more than there were.
  expect(final).toBeGreaterThanOrEqual(burst.acknowledged);
  expect(final).toBeLessThanOrEqual(burst.acknowledged + burst.unknown);
}

async function consecutiveFreePorts(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await free(base)) && (await free(base + 1))) return base;
  }
  throw new Error('no two consecutive free ports found');
}

describe('a replica killed with -9 in the middle of a burst', () => {
  it.skipIf(!pgUp)('PostgreSQL (pg-atomic): no acknowledged increment lost; in-flight calls reported unknown', async () => {
    expectDurable(await killOneMidBurst(PG_URL, 'pg-atomic'));
  });

  it.skipIf(!redisUp)('Redis (redis-incr): no acknowledged increment lost; in-flight calls reported unknown', async () => {
    expectDurable(await killOneMidBurst(REDIS_URL, 'redis-incr'));
  });
});

describe.skipIf(!pgUp)('racelab serve --replicas', () => {
  it('listens on consecutive ports sharing the store, and SIGTERM stops every replica', async () => {
    const port = await consecutiveFreePorts();
    const store = withNamespace(PG_URL, runNamespace('t-serve'));
    const { child, output } = await startCli(['serve', '--replicas', '2', '--port', String(port), '--variant', 'pg-atomic', '--delay', '5ms', '--store', store], /Spread calls across them: .*\n/);
    const pids = [...output().matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    try {
      expect(output()).toContain(`replica 1: localhost:${port} `);
      expect(output()).toContain(`replica 2: localhost:${port + 1} `);
      expect(pids).toHaveLength(2);
      const client = await runCli(['client', '--targets', `localhost:${port},localhost:${port + 1}`, '--increments', '6']);
      expect(client.stdout.trim()).toBe('Current value: 6');
      child.kill('SIGTERM');
      expect(await exited(child)).toEqual({ code: 0, signal: null });
      expect(output()).toContain('Replicas stopped.');
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
      const s = await openStore(store);
      await s.reset();
      await s.close();
    }
  });

  it('a parent killed with -9 leaves no replica running: each exits when its stdin closes', async () => {
    const store = withNamespace(PG_URL, runNamespace('t-orphan'));
    const { child, output } = await startCli(['serve', '--replicas', '2', '--port', '0', '--variant', 'pg-atomic', '--store', store], /Spread calls across them: .*\n/);
    const pids = [...output().matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);
    child.kill('SIGKILL');
    await exited(child);
    const gone = await until(() => pids.every((p) => !alive(p)), 8000);
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    expect(gone).toBe(true);
  });
});
