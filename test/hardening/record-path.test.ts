import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownerOf } from '../../src/core/cleanup.js';
import { openStore } from '../../src/store/open.js';
import { isNamespacedStore } from '../../src/store/store.js';
import { PROGRESS_LINES, expectOneLineError, runCli } from '../helpers/cli.js';
import { PG_URL, REDIS_URL, serviceAvailable } from '../helpers/services.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-record-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const storesUp = (await serviceAvailable('PostgreSQL', PG_URL)) && (await serviceAvailable('Redis', REDIS_URL));

/** The store namespaces a process created (their names carry its pid), on a PostgreSQL or Redis store. */
async function namespacesOf(url: string, pid: number): Promise<string[]> {
  const store = await openStore(url, { poolSize: 1 });
  try {
    if (!isNamespacedStore(store)) throw new Error(`${url} is not a namespaced store`);
    return (await store.listNamespaces()).filter((ns) => ownerOf(ns)?.pid === pid);
  } finally {
    await store.close();
  }
}

describe('a path that cannot be written is refused before anything starts', () => {
  it('client --record, demo grpc --record, and a folder given as a file', async () => {
    const missing = join(dir, 'no', 'such', 'h.jsonl');
    // No server listens on port 1: had the client started, it would fail on the connection, not on the path.
    const client = expectOneLineError(await runCli(['client', '--target', '127.0.0.1:1', '--record', missing]));
    expect(client).toBe(`racelab: --record: cannot write ${missing} (no such folder); give a writable file path`);
    const t0 = Date.now();
    const demo = expectOneLineError(await runCli(['demo', 'grpc', '--record', missing], { timeoutMs: 60_000 }));
    expect(demo).toMatch(/--record: cannot write/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(expectOneLineError(await runCli(['client', '--target', '127.0.0.1:1', '--record', dir]))).toBe(`racelab: --record: ${dir} is a folder; give a file path in it`);
  }, 90_000);

  it('a folder that exists but takes no new file (/proc), even for root, whom every access() test lets pass', async () => {
    // Before, the check asked access() and root passed it: the demo ran to its end, then failed with a stack (exit 70).
    const t0 = Date.now();
    expect(expectOneLineError(await runCli(['demo', 'grpc', '--html', '/proc/racelab-report.html'], { timeoutMs: 60_000 }))).toBe(
      'racelab: --html: cannot write /proc/racelab-report.html (no file can be created in that folder); give a writable file path',
    );
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(expectOneLineError(await runCli(['client', '--target', '127.0.0.1:1', '--record', '/proc/h.jsonl']))).toMatch(/^racelab: --record: cannot write \/proc\/h\.jsonl/);
  }, 90_000);

  it.skipIf(!storesUp)('demo replicas --html: one line and exit 2 before a replica starts or a store is touched', async () => {
    const page = join(dir, 'no', 'such', 'replicas.html');
    const refused = `racelab: --html: cannot write ${page} (no such folder); give a writable file path`;
    // With progress lines on, a run that had started would have printed one: stderr holds the error alone.
    const run = await runCli(['demo', 'replicas', '--store', 'postgres,redis', '--html', page], { env: PROGRESS_LINES, timeoutMs: 60_000 });
    expect(expectOneLineError(run)).toBe(refused);
    expect(run.stdout).toBe('');
    expect(await namespacesOf(PG_URL, run.pid!)).toEqual([]);
    expect(await namespacesOf(REDIS_URL, run.pid!)).toEqual([]);
    // Stores where nothing answers: had the demo opened one before checking the path, the error would name --store.
    const unreachable = await runCli(['demo', 'replicas', '--store', 'postgres://postgres@127.0.0.1:1/test,redis://127.0.0.1:1', '--html', page], { env: PROGRESS_LINES, timeoutMs: 60_000 });
    expect(expectOneLineError(unreachable)).toBe(refused);
  }, 90_000);

  it('client --deadline 0ms is refused', async () => {
    expect(expectOneLineError(await runCli(['client', '--target', '127.0.0.1:1', '--deadline', '0ms']))).toBe('racelab: --deadline: 0ms leaves no time for a call; give at least 1ms');
  });
});
