import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCounterServer, type CounterServer } from '../../src/index.js';
import { parseExpression } from '../../src/attack/expression.js';
import { checkInvariantShape } from '../../src/attack/invariant-shape.js';
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
    expect(zero).toBe('racelab: --invariant: after.value / 0 cannot be evaluated (a division by 0) at column 1 of "after.value / 0 == 1"; divide by something that is not 0');
    const number = expectOneLineError(await runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '3', '--invariant', 'after.value - before.value']));
    expect(number).toMatch(/gives a value, not true or false/);
    expect(await readCounter(server.target)).toBe(0);
  });

  it('a division by a value that is 0 at run time is an error, not a verdict', () => {
    const expr = parseExpression('after.value / failed == 1');
    checkInvariantShape(expr);
    expect(() => expr.evaluate({ after: { value: 3 }, failed: 0 })).toThrow(/--invariant: after.value \/ failed cannot be evaluated: failed is 0/);
    expect(expr.evaluate({ after: { value: 3 }, failed: 3 })).toBe(true);
    for (const ok of ['after.value == ok', '!(ok > 0)', 'ok > 0 ? true : false', 'after.ready']) expect(() => checkInvariantShape(parseExpression(ok))).not.toThrow();
    for (const bad of ['ok + 1', '"x"', 'ok > 0 ? 1 : 2', '[1]']) expect(() => checkInvariantShape(parseExpression(bad))).toThrow(/not true or false/);
  });
});
