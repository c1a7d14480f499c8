// `racelab check` at scale, as a user runs it: resident memory per operation on a 326,000-operation history
// (about the 50 MB file of the issue that peaked at 722 MB; target under 1 KB per operation), and the time to
// check an append-heavy key-value history from 50 clients (about 2,000 operations; target under 100 ms).
// Peak RSS is the kernel's (GNU time's %M) for the whole CLI process, worker thread included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from '../dist/index.js';
import { appendHeavyKvHistory, counterHistoryJsonl } from './large-history.mjs';

const BIN = fileURLToPath(new URL('../bin/racelab.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'racelab-bench-check-'));
try {
  const rows = [];
  for (const operations of [100_000, 326_000]) {
    const file = join(dir, `counter-${operations}.jsonl`);
    writeFileSync(file, counterHistoryJsonl({ operations }));
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'check', file, '--model', 'counter', '--budget', '10m', '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const ms = performance.now() - t0;
    const peakKb = Number(r.stderr.trim().split('\n').pop());
    const verdict = JSON.parse(r.stdout).verdict;
    rows.push({ operations, fileMB: (statSync(file).size / 1e6).toFixed(1), verdict, seconds: (ms / 1000).toFixed(1), peakMB: (peakKb / 1024).toFixed(0), bytesPerOp: Math.round((peakKb * 1024) / operations), target: '< 1024' });
  }
  console.log('check: peak resident memory per operation (CLI, counter model)');
  console.table(rows);

  const kv = appendHeavyKvHistory({ operations: 2000, clients: 50 });
  const times = [];
  let verdict;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    verdict = check(kv, 'kv', { budgetMs: 10_000 }).verdict;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log('check: append-heavy kv history, 50 clients, 2,000 operations (median of 7)');
  console.table([{ operations: 2000, clients: 50, verdict, medianMs: times[3].toFixed(1), target: '< 100 ms' }]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
