import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCounterServer, type CounterServer } from '../../src/index.js';
import { PROGRESS_LINES, interrupted } from '../helpers/cli.js';

describe('Ctrl+C prints the summary so far and the seed, exit 130', () => {
  let server: CounterServer;
  beforeAll(async () => {
    server = await startCounterServer({ variant: 'vulnerable', delayMs: 20, maxConcurrency: 100 });
  });
  afterAll(async () => {
    await server?.close(100);
  });

  it('attack: the rounds that ran', async () => {
    const run = await interrupted(['attack', '--target', server.target, '--scenario', 'counter', '--count', '3', '--rounds', '1000', '--pause', '200ms', '--sync', 'parallel', '--seed', '77'], /round 2\/1000/, 'SIGINT', PROGRESS_LINES);
    expect(run.code, run.stderr).toBe(130);
    const ran = Number(/Interrupted: (\d+) of 1000 rounds ran; replay with --seed 77/.exec(run.stdout)?.[1]);
    expect(ran).toBeGreaterThanOrEqual(2);
    expect(ran).toBeLessThan(1000);
    expect(run.stdout).toContain('seed 77');
  }, 100_000);

  it('attack --flood: the calls that completed', async () => {
    const run = await interrupted(['attack', '--target', server.target, '--scenario', 'counter', '--flood', '--rate', '50', '--duration', '5m', '--sync', 'parallel', '--seed', '5'], /flood: 50 calls\/s/, 'SIGINT', PROGRESS_LINES);
    expect(run.code, run.stderr).toBe(130);
    // The count is what completed before the signal: on a loaded machine it can be one call ("1 call").
    expect(run.stdout).toMatch(/Interrupted: the flood stopped after \d+ calls?; replay with --seed 5/);
  }, 100_000);

  it('explore: the runs done, and the seed to replay them', async () => {
    const run = await interrupted(['explore', '--variant', 'mutex', '--strategy', 'random', '--runs', '100000000', '--seed', '9'], 12_000);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toMatch(/no failing schedule found in \d+ runs?, before it was interrupted \(replay the same runs with --seed 9\)/);
  }, 100_000);
});
