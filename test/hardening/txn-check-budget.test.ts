import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { epochNow } from '../../src/cli/interruptible.js';
import { runTxnCheckJob, type TxnCheckJob, type TxnCheckMessage } from '../../src/cli/txn-check-worker.js';
import { tempDir } from '../helpers/tmp.js';

// `txn check --budget` is the whole command's, from the process's start, as check's (issue 17): start-up and
// reading count, and what follows the analysis is kept back from it. The job runs inline with a clock the test
// moves, so nothing here depends on how fast this machine is.
const dir = tempDir('racelab-txn-budget-');
const file = join(dir, 'appends.jsonl');
const lines: string[] = [];
for (let i = 0; i < 200; i++) {
  lines.push(`{"process":${i % 4},"type":"invoke","f":"txn","value":[["append","k${i % 5}",${i}]]}`);
  lines.push(`{"process":${i % 4},"type":"ok","f":"txn","value":[["append","k${i % 5}",${i}]]}`);
}
writeFileSync(file, `${lines.join('\n')}\n`);

const job = (fields: Partial<TxnCheckJob> = {}): TxnCheckJob => ({
  file,
  workload: 'list-append',
  format: 'auto',
  budgetMs: 60_000,
  deadline: epochNow() + 60_000,
  realtime: true,
  process: true,
  interrupt: new Int32Array(new SharedArrayBuffer(4)),
  ...fields,
});

async function run(j: TxnCheckJob, now: () => number = epochNow, onRead: () => void = () => undefined): Promise<TxnCheckMessage[]> {
  const messages: TxnCheckMessage[] = [];
  await runTxnCheckJob(
    j,
    {
      postMessage: (m) => {
        messages.push(m);
        if (m.type === 'read') onRead();
      },
    },
    now,
  );
  return messages;
}

const reportOf = (messages: TxnCheckMessage[]) => messages.find((m): m is Extract<TxnCheckMessage, { type: 'report' }> => m.type === 'report')?.report;

describe('txn check: --budget ends at the process start plus the budget', () => {
  it('with the budget left, the history is analysed: no anomaly', async () => {
    expect(reportOf(await run(job()))?.verdict).toBe('ok');
  });

  it('a deadline passed while reading: the analysis gets nothing, unknown (not ok)', async () => {
    let late = 0;
    const messages = await run(job(), () => epochNow() + late, () => (late = 3_600_000));
    expect(messages.map((m) => m.type)).toEqual(['reading', 'read', 'report']);
    expect(reportOf(messages)?.verdict).toBe('unknown');
  });

  it('a deadline already past at the start: stopped while reading', async () => {
    const messages = await run(job({ deadline: epochNow() - 1 }));
    expect(messages.map((m) => m.type)).toEqual(['reading', 'stopped-reading']);
  });

  it('what follows the analysis is kept back from the budget: 10 ms left when reading ends is too little to analyse', async () => {
    // The fixed part of what is kept back for the page, the printing and the exit is 50 ms.
    const j = job();
    let left: number | undefined;
    const messages = await run(j, () => (left === undefined ? epochNow() : j.deadline - left), () => (left = 10));
    expect(messages.map((m) => m.type)).toEqual(['reading', 'read', 'report']);
    expect(reportOf(messages)?.verdict).toBe('unknown');
  });
});
