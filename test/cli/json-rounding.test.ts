import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** Every number in a JSON document with its path, to find one that was not rounded. */
function numbers(value: unknown, path = '$'): Array<[string, number]> {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbers(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbers(v, `${path}.${k}`));
  return [];
}

/** Digits after the point as JSON writes the number. */
const decimals = (n: number): number => (String(n).split('.')[1] ?? '').length;

describe('--json: measurements are rounded', () => {
  it('demo grpc --json: times in ms have at most three decimals (a float sum would carry ~14)', async () => {
    const run = await runCli(['demo', 'grpc', '--clients', '2', '--increments', '3', '--delay', '10ms', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const all = numbers(JSON.parse(run.stdout));
    const times = all.filter(([p]) => /Ms$/.test(p));
    // wall time, p50, p99 and the wave gap for each of the two variants
    expect(times.length).toBeGreaterThanOrEqual(8);
    for (const [path, n] of all) expect(decimals(n), `${path} = ${n}`).toBeLessThanOrEqual(3);
  }, 60_000);
});
