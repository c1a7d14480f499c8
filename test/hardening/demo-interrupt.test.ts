import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PROGRESS_LINES, interrupted } from '../helpers/cli.js';
import { PG_URL, serviceAvailable } from '../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', PG_URL);

/** PIDs of processes whose command line contains `needle`. */
function processesMatching(needle: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', '--', needle], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The demos print the runs that finished when a signal stops them, exit 128+n, and leave nothing running. */
describe('demos on SIGINT/SIGTERM: the summary so far, exit 130/143, nothing left', () => {
  it('demo grpc: the variant that finished, and its client processes gone', async () => {
    const run = await interrupted(['demo', 'grpc', '--clients', '2', '--increments', '5', '--delay', '20ms'], /mutex: server on (localhost:\d+)/, 'SIGINT', PROGRESS_LINES);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('racelab: SIGINT: stopping; the summary so far follows');
    expect(run.stdout).toMatch(/^racelab demo grpc: /);
    expect(run.stdout).toMatch(/ +vulnerable\n/);
    expect(run.stdout).toMatch(/increments sent +10\n/);
    expect(run.stdout).not.toMatch(/ mutex\n/);
    expect(run.stdout).toContain('Interrupted: 1 of 2 variants finished before the signal and is shown above; the rest did not run.');
    const target = /mutex: server on (localhost:\d+)/.exec(run.stderr)?.[1];
    expect(processesMatching(`client --target ${target} `)).toEqual([]);
  }, 60_000);

  it('demo grpc --json: the report so far carries interrupted', async () => {
    // --json prints no progress; the race monitor's first log line on stderr says the run is under way.
    const run = await interrupted(['demo', 'grpc', '--clients', '2', '--increments', '10', '--delay', '50ms', '--monitor', '--json'], /./, 'SIGTERM');
    expect(run.code, run.stderr).toBe(143);
    const report = JSON.parse(run.stdout) as { runs: unknown[]; interrupted: { ran: number; planned: number } };
    expect(report.interrupted.planned).toBe(2);
    expect(report.interrupted.ran).toBe(report.runs.length);
  }, 60_000);

  it('demo actors: the runs that finished', async () => {
    const run = await interrupted(['demo', 'actors', '--seed', '3'], /counter-cast counter-await: /, 'SIGINT', PROGRESS_LINES);
    expect(run.code, run.stderr).toBe(130);
    const m = /Interrupted: (\d+) of (\d+) runs finished before the signal/.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(5);
    expect(Number(m![1])).toBeLessThan(Number(m![2]));
    expect(run.stdout).toContain('== counter-cast');
  }, 60_000);

  it('demo impacts: the variants that finished', async () => {
    const run = await interrupted(['demo', 'impacts', '--scenario', 'bank'], /bank mutex-unordered: serving on loopback/, 'SIGTERM', PROGRESS_LINES);
    expect(run.code, run.stderr).toBe(143);
    expect(run.stdout).toMatch(/^ {2}vulnerable +RACE /m);
    expect(run.stdout).not.toMatch(/^ {2}mutex-ordered /m);
    expect(run.stdout).toMatch(/Interrupted: 1 of \d+ runs finished before the signal and is shown above/);
  }, 60_000);

  it.skipIf(!pgUp)('demo replicas: the runs that finished; its replicas and PostgreSQL rows gone', async () => {
    const run = await interrupted(['demo', 'replicas', '--calls', '20', '--concurrency', '4', '--delay', '5ms'], /postgres: mutex on 3 replicas/, 'SIGTERM', PROGRESS_LINES);
    expect(run.code, run.stderr).toBe(143);
    expect(run.stdout).toMatch(/^mutex +postgres +1 +20 +20 +0 /m);
    expect(run.stdout).toMatch(/Interrupted: 1 of \d+ runs finished before the signal/);
    // Namespaces (and the replicas' command lines) carry the demo's pid.
    expect(processesMatching(`-${run.pid}-`)).toEqual([]);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const left = await client.query('SELECT DISTINCT namespace FROM racelab_store WHERE namespace LIKE $1', [`%-${run.pid}-%`]);
      expect(left.rows).toEqual([]);
    } finally {
      await client.end();
    }
  }, 60_000);
});
