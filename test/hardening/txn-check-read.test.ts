import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROGRESS_LINES, interrupted, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// `txn check` reads its history under --budget and signals too (issue 17), as `check` does: a budget that runs
// out while the file is still being parsed is verdict unknown, exit 3, saying how far the read came. The file
// (some 300,000 transactions, about 40 MB) takes far longer to parse than the 1 ms budget.
const dir = tempDir('racelab-txn-read-');
const big = join(dir, 'big.jsonl');
const TXNS = 300_000;
const lines: string[] = [];
for (let i = 0; i < TXNS; i++) {
  lines.push(`{"process":${i % 8},"type":"invoke","f":"txn","value":[["append","k${i % 50}",${i}]]}`);
  lines.push(`{"process":${i % 8},"type":"ok","f":"txn","value":[["append","k${i % 50}",${i}]]}`);
}
writeFileSync(big, `${lines.join('\n')}\n`);

describe('txn check: reading the history is under --budget and signals', () => {
  it('a budget that runs out while reading: unknown, how far it read, exit 3 (text and --json)', async () => {
    const run = await runCli(['txn', 'check', big, '--workload', 'list-append', '--budget', '1ms'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(3);
    const read = /UNKNOWN: the budget \(1ms\) ran out while reading the history: ([\d,]+) operations? read, none analysed/.exec(run.stdout);
    expect(read, run.stdout).not.toBeNull();
    expect(Number(read![1]!.replace(/,/g, ''))).toBeLessThan(TXNS);

    const json = await runCli(['txn', 'check', big, '--workload', 'list-append', '--budget', '1ms', '--json'], { timeoutMs: 60_000 });
    expect(json.code, json.stderr).toBe(3);
    const report = JSON.parse(json.stdout) as { verdict: string; stoppedBecause: string; stoppedWhileReading: boolean; operationsRead: number; analysed: boolean };
    expect(report).toMatchObject({ verdict: 'unknown', stoppedBecause: 'budget', stoppedWhileReading: true, analysed: false });
    expect(report.operationsRead).toBeLessThan(TXNS);
  }, 90_000);

  it('SIGINT while reading: interrupted, nothing analysed, exit 130', async () => {
    // Sent once the worker says it is reading: the parse of 300,000 transactions takes about a second after that.
    const run = await interrupted(['txn', 'check', big, '--workload', 'list-append', '--budget', '10m'], /progress \| reading \S+ \(\d+ MB; Ctrl\+C stops\)/, 'SIGINT', PROGRESS_LINES);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toMatch(/interrupted \(SIGINT\) while reading the history: nothing analysed/);
  }, 90_000);
});
