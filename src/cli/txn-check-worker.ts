import { writeFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../core/errors.js';
import type { HistoryFormat } from '../history/read.js';
import type { TxnCheckReport, Workload } from '../txn/types.js';
import { toErrorMessage, type ErrorMessage } from './interruptible.js';

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

/** Runs one check, posting its messages; in the worker, or inline for a small file. */
export async function runTxnCheckJob(job: TxnCheckJob, port: { postMessage(m: TxnCheckMessage): void }): Promise<void> {
  // Only what a check needs, not the whole library.
  const t0 = performance.now();
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
      history = await readTxnHistoryFile(job.file, job.workload, job.format, { stop: () => interrupted() || performance.now() - t0 > job.budgetMs });
    } catch (e) {
      if (!(e instanceof HistoryReadStopped)) throw e;
      port.postMessage({ type: 'stopped-reading', operations: e.operations, interrupted: interrupted() } satisfies TxnCheckMessage);
      return;
    }
    port.postMessage({ type: 'read', transactions: history.txns.length } satisfies TxnCheckMessage);
    const report = checkTxnHistory(history, {
      budgetMs: job.budgetMs,
      spentMs: performance.now() - t0,
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
      port.postMessage({ type: 'html', error: `cannot write ${job.html} (${(e as NodeJS.ErrnoException).code ?? messageOf(e)}); give a writable file path` } satisfies TxnCheckMessage);
    }
  } catch (e) {
    port.postMessage(toErrorMessage(e) satisfies TxnCheckMessage);
  }
}

const port = parentPort;
if (port && (workerData as { racelabTxnCheck?: boolean } | null)?.racelabTxnCheck) await runTxnCheckJob(workerData as TxnCheckJob, port);
