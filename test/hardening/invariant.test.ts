import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCounterServer, type CounterServer } from '../../src/index.js';
import { readCounter } from '../../src/scenarios/counter/client.js';
import { expectOneLineError, runCli } from '../helpers/cli.js';

describe('invariants that cannot be a verdict are bad input', () => {
  let server: CounterServer;
  beforeAll(async () => {
    server = await startCounterServer({ variant: 'mutex', delayMs: 1 });
  });
  afterAll(async () => {
    await server?.close(100);
  });

  it('a division by 0 and a non-boolean invariant are refused before any increment is sent (exit 2)', async () => {
    const zero = expectOneLineError(await runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '3', '--invariant', 'after.value / 0 == 1']));
    expect(zero).toBe('racelab: --invariant: after.value / 0 cannot be evaluated (a division by 0); divide by something that is not 0 (column 1 of "after.value / 0 == 1")');
    const number = expectOneLineError(await runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '3', '--invariant', 'after.value - before.value']));
    expect(number).toMatch(/gives int, not true or false/);
    const unknown = expectOneLineError(await runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '3', '--invariant', 'after.value == oks']));
    expect(unknown).toMatch(/^racelab: --invariant: "oks" is not defined; use before, after, ok, .* \(column 16 of "after.value == oks"\)$/);
    expect(await readCounter(server.target)).toBe(0);
  });

  it('a division by a value that is 0 at run time is bad input (exit 2), not a race', async () => {
    // failed is 0 on a mutex server: the invariant cannot be evaluated, so the run has no verdict.
    const res = await runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '3', '--rounds', '1', '--invariant', 'after.value / failed == 1']);
    expect(res.code).toBe(2);
    expect(res.stdout).not.toMatch(/RACE/);
    expect(res.stderr.trim().split('\n').at(-1)).toBe('racelab: --invariant: "after.value / failed == 1" cannot be evaluated: int divide by zero; fix the expression (an error is never read as a race)');
  });
});
