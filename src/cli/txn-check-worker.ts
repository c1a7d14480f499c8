import { writeFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../core/errors.js';
import type { HistoryFormat } from '../history/read.js';
import type { TxnCheckReport, Workload } from '../txn/types.js';
import { cannotWrite } from './files.js';
import { epochNow, toErrorMessage, type ErrorMessage } from './interruptible.js';

/**
 * `racelab txn check` runs here, in a worker thread, for the reason `racelab check` does (see check-worker.ts):
 * the analysis is synchronous, and Ctrl+C must stop it at once with what it found so far. `read` is posted once
 * the history is parsed, so an interruption before the report can still say how far the analysis had come.
 */
export interface TxnCheckJob {
  readonly file: string;
  readonly workload: Workload;
  readonly format: HistoryFormat | 'auto';
  readonly budgetMs: number;
  /**
   * When `budgetMs` ends, in ms since the epoch: the process's start plus the budget, so that start-up, reading,
   * the analysis, the page, the printing and the exit all fit in it (as `racelab check`'s).
   */
  readonly deadline: number;
  readonly maxSteps?: number;
  readonly realtime: boolean;
  readonly process: boolean;
  readonly html?: string;
  readonly interrupt: Int32Array;
}

export type TxnCheckMessage =
  /** Reading the file begins (a large one takes seconds). */
  | { readonly type: 'reading' }
  | { readonly type: 'read'; readonly transactions: number }
  /** The budget ran out, or Ctrl+C came, while the history was still being read: `operations` read, none analysed. */
  | { readonly type: 'stopped-reading'; readonly operations: number; readonly interrupted: boolean }
  | { readonly type: 'report'; readonly report: TxnCheckReport }
  | { readonly type: 'html'; readonly error?: string }
  | ErrorMessage;

/**
 * Time kept back from the budget, once the history is read, for what follows the analysis: the page (3 ms on
 * 100,000 list-append transactions: it draws the anomalies found, not the history), printing the report, and the
 * exit, which lets go of a heap that grows with the history. Measured there: the process exited 50–100 ms after
 * the analysis's share ended; 1.5 µs a transaction (150 ms at 100,000) leaves room for a loaded machine.
 */
function reserveMs(transactions: number): number {
  return BASE_RESERVE_MS + (transactions * 1.5) / 1000;
}

/** The reserve before the history's size is known, and its fixed part after. */
const BASE_RESERVE_MS = 50;

/** Runs one check, posting its messages; in the worker, or inline for a small file. `now` reads the deadline's clock. */
export async function runTxnCheckJob(job: TxnCheckJob, port: { postMessage(m: TxnCheckMessage): void }, now: () => number = epochNow): Promise<void> {
  // Only what a check needs, not the whole library.
  const [{ readTxnHistoryFile }, { checkTxnHistory }, { renderTxnHtml }, { HistoryReadStopped }] = await Promise.all([
    import('../txn/parse.js'),
    import('../txn/check.js'),
    import('../report/txn-html.js'),
    import('../history/stopped.js'),
  ]);
  try {
    // Reading is part of the check: the budget and a signal stop it too (verdict unknown, nothing analysed).
    const interrupted = (): boolean => Atomics.load(job.interrupt, 0) !== 0;
    let history;
    port.postMessage({ type: 'reading' } satisfies TxnCheckMessage);
    try {
      history = await readTxnHistoryFile(job.file, job.workload, job.format, { stop: () => interrupted() || now() > job.deadline - BASE_RESERVE_MS });
    } catch (e) {
      if (!(e instanceof HistoryReadStopped)) throw e;
      port.postMessage({ type: 'stopped-reading', operations: e.operations, interrupted: interrupted() } satisfies TxnCheckMessage);
      return;
    }
    port.postMessage({ type: 'read', transactions: history.txns.length } satisfies TxnCheckMessage);
    const report = checkTxnHistory(history, {
      budgetMs: job.budgetMs,
      // What is left of the deadline, less what still follows the analysis (the page, the printing, the exit).
      spentMs: job.budgetMs - (job.deadline - now()) + reserveMs(history.txns.length),
      realtime: job.realtime,
      process: job.process,
      interrupt: job.interrupt,
      ...(job.maxSteps !== undefined ? { maxSteps: job.maxSteps } : {}),
    });
    port.postMessage({ type: 'report', report } satisfies TxnCheckMessage);
    if (job.html === undefined || Atomics.load(job.interrupt, 0) !== 0) return;
    let page: string;
    try {
      page = renderTxnHtml(report, { source: job.file });
    } catch (e) {
      port.postMessage({ type: 'html', error: `rendering the page failed (${messageOf(e)}); please report it` } satisfies TxnCheckMessage);
      return;
    }
    try {
      await writeFile(job.html, page);
      port.postMessage({ type: 'html' } satisfies TxnCheckMessage);
    } catch (e) {
      port.postMessage({ type: 'html', error: cannotWrite(job.html, e) } satisfies TxnCheckMessage);
    }
  } catch (e) {
    port.postMessage(toErrorMessage(e) satisfies TxnCheckMessage);
  }
}

const port = parentPort;
if (port && (workerData as { racelabTxnCheck?: boolean } | null)?.racelabTxnCheck) await runTxnCheckJob(workerData as TxnCheckJob, port);
