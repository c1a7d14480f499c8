import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module shared with the benchmarks
import { listAppendJsonl } from '../../bench/txn-history.mjs';
import type { TxnCheckReport } from '../../src/index.js';
import { BIN, PROGRESS_LINES, expectOneLineError, runCli } from '../helpers/cli.js';

/** `racelab txn check` end to end (the built CLI): exit codes, the report, the HTML page. */
const dir = mkdtempSync(join(tmpdir(), 'racelab-txn-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = (name: string): string => new URL(`../../data/elle/${name}`, import.meta.url).pathname;

describe('racelab txn check', () => {
  it('exit 1 with the anomaly named and explained, and an HTML page drawing the cycle', async () => {
    const html = join(dir, 'g2.html');
    const run = await runCli(['txn', 'check', data('g2-item.edn'), '--workload', 'list-append', '--html', html]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/G2-item\s+1/);
    expect(run.stdout).toMatch(/serializable\s+ruled-out/);
    expect(run.stdout).toMatch(/snapshot-isolation\s+not-ruled-out/);
    expect(run.stdout).toContain('T@3 → T@4 (rw on y)');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page.match(/class="txn"/g)).toHaveLength(2);
    expect(page).toMatch(/>rw y</);
    expect(page).not.toMatch(/<script|<link|src="http/);
  });

  it('exit 0 when nothing is found, with --json', async () => {
    const file = join(dir, 'ok.jsonl');
    writeFileSync(file, [
      '{"process":0,"type":"invoke","f":"txn","value":[["append","x",1]]}',
      '{"process":0,"type":"ok","f":"txn","value":[["append","x",1]]}',
      '{"process":1,"type":"invoke","f":"txn","value":[["r","x",null]]}',
      '{"process":1,"type":"ok","f":"txn","value":[["r","x",[1]]]}',
    ].join('\n'));
    const run = await runCli(['txn', 'check', file, '--workload', 'list-append', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { verdict: string; models: Record<string, string> };
    expect(report.verdict).toBe('ok');
    expect(report.models['strict-serializable']).toBe('not-ruled-out');
  });

  it('exit 3 when the budget runs out before anything is found', async () => {
    const file = join(dir, 'big.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(JSON.stringify({ process: i % 10, type: 'invoke', f: 'txn', value: [['append', i % 40, i], ['r', (i + 1) % 40, null]] }));
      lines.push(JSON.stringify({ process: i % 10, type: 'info', f: 'txn', value: null }));
    }
    writeFileSync(file, lines.join('\n'));
    const run = await runCli(['txn', 'check', file, '--workload', 'list-append', '--max-steps', '100']);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/UNKNOWN/);
    expect(run.stdout).toMatch(/budget ran out/);
  });

  it('bad input is one line and exit 2: a malformed line named by number, micro-ops that do not fit, an unknown workload', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"process":0,"type":"invoke","f":"txn","value":[["append","x",1]]}\n{"process":0,"type":"ok","f":"txn","value":[["append","x",1]],}\n');
    expect(expectOneLineError(await runCli(['txn', 'check', bad, '--workload', 'list-append']))).toMatch(/line 2: not valid JSON/);
    expect(expectOneLineError(await runCli(['txn', 'check', data('cyclic-versions.edn'), '--workload', 'list-append']))).toMatch(/line 1: micro-op 1 is "w", not one of the workload's micro-ops/);
    expect(expectOneLineError(await runCli(['txn', 'check', data('g0.edn'), '--workload', 'bank']))).toMatch(/--workload: "bank" is not a transactional workload; use list-append or rw-register/);
  });
});

describe('racelab txn check: Ctrl+C and SIGTERM on a large history', () => {
  // 100,000 transactions (the bench's generator): seconds to read and seconds to analyse, in a worker thread.
  const big = join(dir, 'append-100k.jsonl');
  beforeAll(() => writeFileSync(big, (listAppendJsonl as (o: object) => string)({ txns: 100_000, clients: 10, seed: 15, staleRate: 0 })), 60_000);

  /** Starts the check, sends `signal` as soon as it says it is analysing, and returns what it printed and when it exited. */
  async function interrupt(signal: NodeJS.Signals, extra: string[]): Promise<{ code: number | null; afterMs: number; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [BIN, 'txn', 'check', big, '--workload', 'list-append', '--budget', '10m', ...extra], { env: { ...process.env, ...PROGRESS_LINES }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (sent === 0 && /transactions read; analysing/.test(stderr)) {
        sent = Date.now();
        child.kill(signal);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code, afterMs: Date.now() - sent, stdout, stderr };
  }

  it('SIGINT during the analysis: exit 130 at once, the report so far (nothing found: unknown, not ok)', async () => {
    const run = await interrupt('SIGINT', ['--json']);
    expect(run.stderr).toContain('100,000 transactions read; analysing');
    expect(run.code).toBe(130);
    // "At once": the analysis reads the interrupt every few thousand transactions (well under a second when
    // quiet); the window is wide for a loaded CI machine, against a ten-minute budget and seconds of analysis.
    expect(run.afterMs).toBeLessThan(10_000);
    const report = JSON.parse(run.stdout) as TxnCheckReport;
    expect(report.stoppedBecause).toBe('interrupted');
    expect(report.verdict).toBe('unknown');
    expect(report.counts.transactions).toBe(100_000);
    expect(Object.values(report.models).every((v) => v === 'unknown')).toBe(true);
    expect(report.notes[0]).toMatch(/^the analysis was interrupted while /);
  }, 120_000);

  it('SIGTERM: exit 143 with the text summary of what was analysed', async () => {
    const run = await interrupt('SIGTERM', []);
    expect(run.code).toBe(143);
    expect(run.afterMs).toBeLessThan(10_000);
    expect(run.stderr).toContain('racelab: SIGTERM: stopping the analysis');
    expect(run.stdout).toContain('verdict: UNKNOWN (interrupted before the analysis finished');
    expect(run.stdout).toMatch(/history: 100,000 transactions from 10 processes/);
    expect(run.stdout).toMatch(/note: the analysis was interrupted while/);
  }, 120_000);

  it('--budget still bounds the check in the worker: exit 3, unknown, the budget named', async () => {
    const run = await runCli(['txn', 'check', big, '--workload', 'list-append', '--budget', '50ms', '--json'], { timeoutMs: 60_000 });
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as TxnCheckReport & { stoppedWhileReading?: boolean; operationsRead?: number };
    expect(report.stoppedBecause).toBe('budget');
    // The budget covers reading too: 50 ms may run out before the 100,000 transactions are all parsed (a quiet
    // machine parses them in about that long), or in the analysis; either way nothing is called ok.
    if (report.stoppedWhileReading) expect(report.operationsRead).toBeLessThan(100_000);
    else expect(report.notes[0]).toMatch(/^the budget ran out while /);
  }, 120_000);
});

describe('racelab txn run: bad input', () => {
  it('an isolation level the store does not take, an unreachable store, an unknown workload: one line, exit 2', async () => {
    expect(expectOneLineError(await runCli(['txn', 'run', '--store', 'postgres', '--isolation', 'read-uncommitted']))).toMatch(
      /isolation level "read-uncommitted" is not one PostgreSQL takes; use read-committed, repeatable-read, serializable/,
    );
    expect(expectOneLineError(await runCli(['txn', 'run', '--store', 'mariadb', '--isolation', 'snapshot']))).toMatch(/not one MariaDB takes/);
    expect(expectOneLineError(await runCli(['txn', 'run', '--store', 'mariadb://root@127.0.0.1:1/test', '--isolation', 'serializable', '--duration', '1s']))).toMatch(
      /cannot connect to MariaDB at mariadb:\/\/root@127\.0\.0\.1:1\/test/,
    );
    expect(expectOneLineError(await runCli(['txn', 'run', '--store', 'postgres://postgres@127.0.0.1:1/test', '--isolation', 'serializable', '--duration', '1s']))).toMatch(
      /cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test/,
    );
    expect(expectOneLineError(await runCli(['txn', 'run', '--store', 'redis', '--isolation', 'serializable']))).toMatch(/store "redis" is not a transactional database/);
    expect(expectOneLineError(await runCli(['txn', 'run', '--store', 'postgres', '--isolation', 'serializable', '--workload', 'bank']))).toMatch(/--workload: "bank" is not one of list-append, rw-register, transfer, deposit, doctors/);
  }, 60_000);

  it('an unwritable --record or --html is refused before the database is touched: one line, exit 2', async () => {
    // The store is a port nothing listens on: had the files been checked after the run, the error would be
    // "cannot connect"; naming the file proves it was checked first (and nothing was connected to or created).
    const store = ['--store', 'postgres://postgres@127.0.0.1:1/test', '--isolation', 'serializable', '--duration', '1s'];
    const missing = join(dir, 'no-such-folder', 'h.jsonl');
    expect(expectOneLineError(await runCli(['txn', 'run', ...store, '--record', missing]))).toMatch(/--record: cannot write .*no-such-folder\/h\.jsonl \(no such folder\); give a writable file path/);
    expect(expectOneLineError(await runCli(['txn', 'run', ...store, '--record', dir]))).toMatch(/--record: .* is a folder; give a file path in it/);
    expect(expectOneLineError(await runCli(['txn', 'run', ...store, '--html', join(dir, 'no-such-folder', 'p.html')]))).toMatch(/--html: cannot write .*no-such-folder\/p\.html/);
    // A writable path passes the check and leaves no file behind: the run then fails on the store, as it should.
    const fine = join(dir, 'fine.html');
    expect(expectOneLineError(await runCli(['txn', 'run', ...store, '--html', fine]))).toMatch(/cannot connect to PostgreSQL/);
    expect(existsSync(fine)).toBe(false);
  }, 60_000);
});
