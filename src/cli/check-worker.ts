import { writeFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../core/errors.js';
import { toErrorMessage, type ErrorMessage } from './interruptible.js';
import type { CheckReport } from '../check/check-report.js';
import type { InitialState } from '../check/checker.js';

/**
 * `racelab check` runs here, in a worker thread: a check is synchronous, so in the main thread no Ctrl+C could
 * be seen until it ended. The main thread keeps the signals and sets `interrupt`; the budget reads it every
 * thousand steps or so and the check stops with the verdict known so far. The report is posted as soon as the
 * verdict is known, before the HTML page is rendered, so the verdict is printed first.
 */
export interface CheckJob {
  readonly file: string;
  readonly format: string;
  readonly model: string;
  readonly budgetMs: number;
  readonly maxSteps?: number;
  readonly initial?: InitialState;
  readonly html?: string;
  readonly interrupt: Int32Array;
}

/**
 * `phase`: what the check is doing, for the progress line (reading the file; searching N operations). Posted
 * before each step starts: the search is synchronous, so nothing could be posted from inside it.
 */
export type CheckMessage =
  | { readonly type: 'phase'; readonly phase: 'reading' }
  | { readonly type: 'phase'; readonly phase: 'searching'; readonly operations: number }
  | { readonly type: 'report'; readonly report: Omit<CheckReport, 'timeline'> }
  | { readonly type: 'html'; readonly error?: string }
  | ErrorMessage;

/** Runs one check, posting its messages; in the worker, or inline for a small file (no thread to start). */
export async function runCheckJob(job: CheckJob, port: { postMessage(m: CheckMessage): void }): Promise<void> {
  // Only what a check needs: the whole library (gRPC, brokers) would double the start-up time.
  const t0 = performance.now();
  const [{ readPairedHistoryFile, parseHistoryFormat, HistoryReadStopped }, { checkVerbose, stoppedWhileReadingReport }] = await Promise.all([import('../history/read.js'), import('../check/checker.js')]);
  const lib = { readPairedHistoryFile, parseHistoryFormat, HistoryReadStopped, checkVerbose, stoppedWhileReadingReport };
  try {
    // The operations are paired as the file is read: neither its text nor its events (on a large history the
    // biggest things held) are ever all in memory, and the search needs only the operations. Reading is part of
    // the check: the budget and a signal stop it too, with verdict unknown.
    const interrupted = (): boolean => Atomics.load(job.interrupt, 0) !== 0;
    let file;
    port.postMessage({ type: 'phase', phase: 'reading' } satisfies CheckMessage);
    try {
      file = await lib.readPairedHistoryFile(job.file, lib.parseHistoryFormat(job.format), { stop: () => interrupted() || performance.now() - t0 > job.budgetMs });
    } catch (e) {
      if (!(e instanceof lib.HistoryReadStopped)) throw e;
      const report = lib.stoppedWhileReadingReport(job.model, { source: job.file, operations: e.operations, elapsedMs: performance.now() - t0, interrupted: interrupted() }, job);
      const { timeline: _timeline, ...rest } = report;
      // No page follows: nothing was checked to draw.
      port.postMessage({ type: 'report', report: rest } satisfies CheckMessage);
      return;
    }
    const { paired, header, format: read } = file;
    // A recording says where it started; Jepsen's formats go by their models' conventions (a register starts
    // nil, a counter 0); a racelab history that does not say may have started anywhere.
    const initial = job.initial ?? ('initial' in header ? { value: header.initial } : read === 'jsonl' ? 'unknown' : undefined);
    port.postMessage({ type: 'phase', phase: 'searching', operations: paired.operations.length } satisfies CheckMessage);
    const report = lib.checkVerbose(paired, job.model, {
      budgetMs: job.budgetMs,
      spentMs: performance.now() - t0,
      interrupt: job.interrupt,
      // Only the HTML page shows the timeline.
      timeline: job.html !== undefined,
      ...(job.maxSteps !== undefined ? { maxSteps: job.maxSteps } : {}),
      ...(initial !== undefined ? { initial } : {}),
    });
    const { timeline: _timeline, ...rest } = report;
    port.postMessage({ type: 'report', report: rest } satisfies CheckMessage);
    if (job.html !== undefined) {
      let page: string;
      try {
        page = (await import('../report/history-html.js')).renderHistoryHtml(report, { source: job.file });
      } catch (e) {
        // A failure to render is racelab's bug, not the user's path: say which.
        port.postMessage({ type: 'html', error: `rendering the page failed (${messageOf(e)}); please report it` } satisfies CheckMessage);
        return;
      }
      try {
        await writeFile(job.html, page);
        port.postMessage({ type: 'html' } satisfies CheckMessage);
      } catch (e) {
        port.postMessage({ type: 'html', error: `cannot write ${job.html} (${(e as NodeJS.ErrnoException).code ?? messageOf(e)}); give a writable file path` } satisfies CheckMessage);
      }
    }
  } catch (e) {
    port.postMessage(toErrorMessage(e) satisfies CheckMessage);
  }
}

const port = parentPort;
if (port && (workerData as { racelabCheck?: boolean } | null)?.racelabCheck) await runCheckJob(workerData as CheckJob, port);
