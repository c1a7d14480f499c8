import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { histogramSvg } from '../../src/report/charts.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-plurals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Text output counts through one plural(): exactly 1 is singular, anything else plural. */
describe('counts in text: "1 operation", "2 operations"', () => {
  it('check: one operation from one process, in one partition; then two of each', async () => {
    const one = join(dir, 'one.jsonl');
    writeFileSync(one, ['{"process":0,"type":"invoke","f":"increment","value":null,"time":1}', '{"process":0,"type":"ok","f":"increment","value":null,"time":2}', ''].join('\n'));
    const two = join(dir, 'two.jsonl');
    writeFileSync(
      two,
      [
        '{"process":0,"type":"invoke","f":"increment","value":null,"time":1}',
        '{"process":1,"type":"invoke","f":"increment","value":null,"time":2}',
        '{"process":0,"type":"ok","f":"increment","value":null,"time":3}',
        '{"process":1,"type":"ok","f":"increment","value":null,"time":4}',
        '',
      ].join('\n'),
    );
    const [a, b] = await Promise.all([runCli(['check', one, '--model', 'counter']), runCli(['check', two, '--model', 'counter'])]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain('history: 1 operation from 1 process (1 ok, 0 failed, 0 unknown outcome); 1 partition');
    expect(b.stdout).toContain('history: 2 operations from 2 processes (2 ok, 0 failed, 0 unknown outcome); 1 partition');
  });

  it('pages too: a histogram of one call and of two', () => {
    expect(histogramSvg([{ name: 'a', valuesMs: [1.5] }])).toContain('<h3>a (1 call)</h3>');
    expect(histogramSvg([{ name: 'a', valuesMs: [1.5, 2] }])).toContain('<h3>a (2 calls)</h3>');
    expect(histogramSvg([{ name: 'a', valuesMs: [1.5] }])).toMatch(/<title>a: 1 call between /);
  });

  it('explore and replay: runs, steps and preemptions', async () => {
    const run = await runCli(['explore', '--variant', 'mutex', '--strategy', 'random', '--runs', '1', '--seed', '1']);
    expect(run.stdout).toMatch(/\(1 run in [^,]+, \d+ runs\/s, longest run \d+ steps\)/);
    expect(run.stdout).toMatch(/no failing schedule found after 1 run /);
  });
});
