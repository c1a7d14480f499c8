import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/index.js';
import { BIN, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// Reading the history is part of the check: the budget and a signal stop it too (issue 17). The file is large
// enough (about 45 MB, some 45 chunks) that reading it surely outlasts a 1 ms budget and a signal sent once the
// first chunk is read; the stop comes after a chunk or two, so the test does not wait for the whole read.
const dir = tempDir('racelab-check-read-');
const big = join(dir, 'big.jsonl');
const OPS = 400_000;
writeFileSync(big, `{"initial":0}\n${'{"process":0,"type":"invoke","f":"increment","value":null}\n{"process":0,"type":"ok","f":"increment","value":null}\n'.repeat(OPS)}`);

describe('check: reading the history is under --budget and signals', () => {
  it('a budget that runs out while reading: unknown, with the reason, exit 3', async () => {
    const run = await runCli(['check', big, '--model', 'counter', '--budget', '1ms'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('verdict: UNKNOWN (the budget ran out before a verdict)');
    const read = /the budget ran out while reading (\S+): ([\d,]+) operations read/.exec(run.stdout.replace(/\n/g, ' '));
    expect(read?.[1]).toBe(big);
    expect(Number(read![2]!.replace(/,/g, ''))).toBeLessThan(OPS);

    const json = await runCli(['check', big, '--model', 'counter', '--budget', '1ms', '--json'], { timeoutMs: 60_000 });
    const report = JSON.parse(json.stdout) as Omit<CheckReport, 'counts' | 'partitions'> & { counts: unknown; partitions: unknown };
    expect(report).toMatchObject({ verdict: 'unknown', stoppedBecause: 'budget', stoppedWhileReading: true, steps: 0 });
    expect(report.operations).toBeGreaterThan(0);
    expect(report.operations).toBeLessThan(OPS);
    // Nothing was counted: no zeros that would read as "0 ok, 0 failed".
    expect(report.counts).toBeNull();
    expect(report.partitions).toBeNull();
  }, 90_000);

  it('a history in one EDN vector (as Knossos writes them) is stopped between its items too', async () => {
    const edn = join(dir, 'one-vector.edn');
    const N = 150_000;
    writeFileSync(edn, `[${'{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value nil}\n'.repeat(N)}]\n`);
    const run = await runCli(['check', edn, '--model', 'register', '--budget', '1ms', '--json'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(3);
    const report = JSON.parse(run.stdout) as Omit<CheckReport, 'counts'> & { counts: unknown };
    expect(report).toMatchObject({ verdict: 'unknown', stoppedBecause: 'budget', stoppedWhileReading: true, counts: null });
    expect(report.operations).toBeLessThan(N);
  }, 90_000);

  it('SIGINT while reading stops it at once: the summary so far, exit 130', async () => {
    const child = spawn(process.execPath, [BIN, 'check', big, '--model', 'counter', '--budget', '10m'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RACELAB_TRACE: 'history' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // The first chunk is read: the read is under way.
      if (stderr.includes('| history |') && !child.killed) child.kill('SIGINT');
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(kill);
    expect(code, stderr).toBe(130);
    expect(stdout).toContain('verdict: UNKNOWN (interrupted before a verdict)');
    expect(stdout.replace(/\n/g, ' ')).toMatch(/the check was interrupted while reading \S+: [\d,]+ operations read, none checked/);
  }, 90_000);
});
