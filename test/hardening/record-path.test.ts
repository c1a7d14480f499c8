import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-record-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

  it('client --deadline 0ms is refused', async () => {
    expect(expectOneLineError(await runCli(['client', '--target', '127.0.0.1:1', '--deadline', '0ms']))).toBe('racelab: --deadline: 0ms leaves no time for a call; give at least 1ms');
  });
});
