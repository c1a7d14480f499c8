import { describe, expect, it } from 'vitest';
import { expectOneLineError, interrupted, runCli } from '../helpers/cli.js';

/** `racelab explore … --json`, its report without the timings (which differ run to run). */
async function explore(args: string[]): Promise<Record<string, unknown>> {
  const run = await runCli(['explore', ...args, '--json'], { timeoutMs: 60_000 });
  expect([0, 1], run.stderr).toContain(run.code);
  const { elapsedMs: _e, runsPerSecond: _r, workers: _w, ...report } = JSON.parse(run.stdout) as Record<string, unknown>;
  return report;
}

describe('racelab explore --workers', () => {
  // depth3 under pct fails late (run 65 for seed 3) and its run length is measured as it goes: ranges started
  // from a guessed length are run again, so every run has the schedule it has in one process.
  it.each([
    ['pct', 8, ['--scenario', 'depth3', '--strategy', 'pct', '--seed', '3']],
    ['pct, the racy counter', 0, ['--scenario', 'counter', '--strategy', 'pct', '--seed', '7']],
    ['random', 8, ['--scenario', 'depth3', '--strategy', 'random', '--seed', '3', '--runs', '5000']],
    ['pos', 8, ['--scenario', 'depth3', '--strategy', 'pos', '--seed', '11', '--runs', '5000']],
    // The default: random, pct and pos in rotation; its pct runs carry the measured run length as pct's do.
    ['portfolio', 8, ['--scenario', 'depth3', '--seed', '4']],
    // dfs: the tree is cut deep enough for 8 subtrees a worker; run 16 counts the abandoned redundant runs before it.
    ['dfs', 8, ['--scenario', 'depth3', '--strategy', 'dfs', '--seed', '1']],
  ])('%s: 2 workers give the first failure, shrunk schedule and token of one process', async (_name, past, args) => {
    const one = await explore(args);
    const two = await explore([...args, '--workers', '2']);
    expect(one.verdict).toBe('race-found');
    const first = one.firstFailure as { run: number; replayToken: string; shrunk: { schedule: string[] } };
    expect(first.run).toBeGreaterThanOrEqual(past); // 8: past the first range of runs a worker is given
    expect(two).toEqual(one);
  });

  it.each([
    ['proved, the whole tree', ['--scenario', 'counter', '--variant', 'cas', '--clients', '3', '--strategy', 'dfs', '--seed', '1']],
    ['cut short by --runs inside a later subtree', ['--scenario', 'counter', '--variant', 'cas', '--clients', '3', '--strategy', 'dfs', '--seed', '1', '--runs', '50']],
    ['proved, without partial-order reduction', ['--scenario', 'counter', '--variant', 'mutex', '--clients', '3', '--strategy', 'dfs', '--seed', '1', '--no-por']],
  ])('dfs %s: the same verdict, counters and stop reason', async (_name, args) => {
    const one = await explore(args);
    const two = await explore([...args, '--workers', '2']);
    expect(['proved', 'none-found']).toContain(one.verdict);
    expect(two).toEqual(one);
  });

  it('a fixed workload: the same verdict and run count', async () => {
    const args = ['--scenario', 'counter', '--variant', 'mutex', '--strategy', 'pct', '--seed', '1', '--runs', '2000'];
    const one = await explore(args);
    const two = await explore([...args, '--workers', '2']);
    expect(one.verdict).toBe('none-found');
    expect(two).toEqual(one);
  });

  it.each(['0', '-1', 'x', '65'])('--workers %s: one line, exit 2', async (value) => {
    const line = expectOneLineError(await runCli(['explore', '--workers', value]));
    expect(line).toContain('--workers');
  });

  it('a time limit and Ctrl+C stop the workers: the summary so far, and the process exits promptly', async () => {
    const args = ['explore', '--scenario', 'counter', '--variant', 'mutex', '--strategy', 'random', '--runs', '100000000', '--seed', '1', '--workers', '2'];
    const started = Date.now();
    const limited = await runCli([...args, '--time-limit', '1s', '--json'], { timeoutMs: 30_000 });
    expect(limited.code, limited.stderr).toBe(0);
    const report = JSON.parse(limited.stdout) as { stopReason: string; runs: number; workers: number };
    expect(report).toMatchObject({ stopReason: 'time-limit', workers: 2 });
    expect(report.runs).toBeGreaterThan(0);
    // Exits on its own once the report is out: no worker thread keeps it alive.
    expect(Date.now() - started).toBeLessThan(15_000);

    // Late enough that the CLI (seconds to start on a loaded machine) has its Ctrl+C handler in place.
    const stopped = await interrupted(args, 8000);
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/no failing schedule found in \d+ runs?, before it was interrupted/);
  });
});
