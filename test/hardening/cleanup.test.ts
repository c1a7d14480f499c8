/**
 * What a run creates on shared servers goes on Ctrl+C and SIGTERM, and what a kill -9 left goes at the next
 * run: store namespaces (PostgreSQL rows, Redis keys) and `txn run` tables.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { OWNER_HOST, ownerIsGone, ownerOf, ownerTag } from '../../src/core/cleanup.js';
import { openStore } from '../../src/store/open.js';
import { probeStore, runNamespace, withNamespace } from '../../src/store/specs.js';
import { isNamespacedStore, type NamespacedStore } from '../../src/store/store.js';
import { openDatabase } from '../../src/scenarios/transactions/database.js';
import { dropLeftoverTables } from '../../src/scenarios/transactions/run.js';
import { BIN, exited } from '../helpers/cli.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../helpers/services.js';

/** The pid of a process that has exited: what a kill -9 leaves behind. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

async function openNamespaced(url: string): Promise<NamespacedStore> {
  const store = await openStore(url, { poolSize: 1 });
  if (!isNamespacedStore(store)) throw new Error(`${url} is not a namespaced store`);
  return store;
}

const ownedBy = (pid: number) => (ns: string) => ownerOf(ns)?.pid === pid;

/** Polls until `pid` has a namespace with keys in the store (its first run is writing), at most 30 s. */
async function untilWriting(store: NamespacedStore, child: ChildProcess, out: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await store.listNamespaces()).some(ownedBy(child.pid as number))) return;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`demo replicas never wrote to the store; it printed: ${out()}`);
}

function startDemo(store: string, variant: string): { child: ChildProcess; out: () => string } {
  const child = spawn(
    process.execPath,
    [BIN, 'demo', 'replicas', '--store', store, '--variants', variant, '--no-kill-one', '--calls', '5000', '--concurrency', '4', '--delay', '20ms'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { child, out: () => text };
}

describe('owner tags', () => {
  it('name this host, the pid and the creation time, and tell a dead owner from a live one', () => {
    const ns = runNamespace('demo-pg-atomic');
    expect(ns.length).toBeLessThanOrEqual(64);
    expect(ownerOf(ns)).toMatchObject({ host: OWNER_HOST, pid: process.pid });
    expect(Math.abs((ownerOf(ns)?.createdMs ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(ownerIsGone(ns)).toBe(false); // this process
    const table = `racelab_txn_list_append_${ownerTag('_')}`;
    expect(table.length).toBeLessThanOrEqual(63);
    expect(ownerOf(table)?.pid).toBe(process.pid);
    const dead = deadPid();
    expect(ownerIsGone(`x-${OWNER_HOST}-${dead}-${Date.now().toString(36)}-ab`)).toBe(true);
    expect(ownerIsGone(`x-${OWNER_HOST}-${process.ppid}-${Date.now().toString(36)}-ab`)).toBe(false);
    expect(ownerIsGone(`x-otherhost-${dead}-${Date.now().toString(36)}-ab`)).toBe(false); // not ours to judge
    expect(ownerIsGone('racelab')).toBe(false);
  });
});

for (const [name, url, variant, signal, code] of [
  ['PostgreSQL', PG_URL, 'pg-atomic', 'SIGINT', 130],
  ['Redis', REDIS_URL, 'redis-incr', 'SIGTERM', 143],
] as const) {
  describe.skipIf(!(await serviceAvailable(name, url)))(`${name}: nothing left behind`, () => {
    const opened: NamespacedStore[] = [];
    afterAll(async () => {
      for (const s of opened) await s.close();
    });

    it(`${signal} during demo replicas removes its namespaces and exits ${code}`, async () => {
      const admin = await openNamespaced(url);
      opened.push(admin);
      const { child, out } = startDemo(url, variant);
      try {
        await untilWriting(admin, child, out);
        child.kill(signal);
        const exit = await exited(child);
        expect(exit.code, out()).toBe(code);
        expect((await admin.listNamespaces()).filter(ownedBy(child.pid as number))).toEqual([]);
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('what a kill -9 left is removed by the next run, and only what belongs to dead processes', async () => {
      const admin = await openNamespaced(url);
      opened.push(admin);
      let killed: number;
      if (name === 'PostgreSQL') {
        const { child, out } = startDemo(url, variant);
        await untilWriting(admin, child, out);
        child.kill('SIGKILL');
        await exited(child);
        killed = child.pid as number;
      } else {
        // The same leftover without a second demo (the PostgreSQL case runs the real kill -9).
        killed = deadPid();
        const orphan = await openNamespaced(withNamespace(url, `demo-redis-incr-${OWNER_HOST}-${killed}-${Date.now().toString(36)}-ab`));
        opened.push(orphan);
        await orphan.increment('counter');
      }
      expect((await admin.listNamespaces()).filter(ownedBy(killed)).length).toBeGreaterThan(0); // kill -9 reaches no cleanup
      // A namespace of a live process of this host (the test runner's parent) stays.
      const keep = await openNamespaced(withNamespace(url, `keep-${OWNER_HOST}-${process.ppid}-${Date.now().toString(36)}-ab`));
      opened.push(keep);
      await keep.set('k', 1);
      // The next run's start: every command that creates namespaces probes its store first.
      await probeStore({ kind: name === 'Redis' ? 'redis' : 'postgres', url, source: 'store' });
      const after = await admin.listNamespaces();
      expect(after.filter(ownedBy(killed))).toEqual([]);
      expect(after).toContain(keep.namespace);
      await keep.reset();
    });
  });
}

describe.skipIf(!(await serviceAvailable('PostgreSQL', PG_URL)))('txn run tables', () => {
  it('a table a killed run left is dropped at the next run; a live owner keeps its own', async () => {
    const db = openDatabase('postgres', PG_URL);
    const admin = await db.connect();
    const created = Date.now().toString(36);
    const dead = `racelab_txn_deposit_${OWNER_HOST}_${deadPid()}_${created}_ab`;
    const live = `racelab_txn_deposit_${OWNER_HOST}_${process.ppid}_${created}_ab`;
    try {
      for (const t of [dead, live]) await admin.execute(`CREATE TABLE ${t} (k INT PRIMARY KEY)`);
      expect(await dropLeftoverTables(admin, db)).toEqual([dead]);
      const names = (await admin.query<{ name: string }>(db.sql.runTables)).map((r) => r.name);
      expect(names).not.toContain(dead);
      expect(names).toContain(live);
    } finally {
      for (const t of [dead, live]) await admin.execute(`DROP TABLE IF EXISTS ${t}`);
      await admin.close();
    }
  });
});
