import { writeFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../core/errors.js';
import { formatMs } from '../core/units.js';
import { cannotWrite } from './files.js';
import { epochNow, toErrorMessage, type ErrorMessage } from './interruptible.js';
import type { CheckReport } from '../check/check-report.js';
import type { HistoryPage } from '../report/history-html.js';
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
  /**
   * When `budgetMs` ends, in ms since the epoch (`performance.timeOrigin + performance.now()`): the process's start
   * plus the budget, so that start-up, reading, the search, the window, its explanation, the page and the printing
   * all fit in it. A worker's own `performance.now()` starts with the worker, not the process.
   */
  readonly deadline: number;
  readonly maxSteps?: number;
  readonly initial?: InitialState;
  readonly html?: string;
  /** `--json`: the report printed is larger (every operation's id), and so is the time kept back for it. */
  readonly json?: boolean;
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
  | HtmlMessage
  | ErrorMessage;

/**
 * How the page went: written whole; written without its chart (`chartLeftOut`: the budget ran out before it was
 * drawn); not written (`notWritten`: interrupted), or `error`.
 */
export interface HtmlMessage {
  readonly type: 'html';
  readonly error?: string;
  readonly chartLeftOut?: string;
  readonly notWritten?: string;
}

/**
 * Time kept back from the budget, once the history's size is known, for what still comes after the search and
 * the window search, each about proportional to the operations, measured here on 150,000 (a lost update that
 * leaves the window as large as the history): explaining the window (1.5 µs an operation: a view of each of its
 * operations), printing the report (its JSON lists every operation's id: 1 µs; its text, 0.1 µs), the page
 * (0.4 µs: its chart is laid out over the whole history) and the process's exit (0.4 µs: a large heap is let go).
 * Each is taken at about twice what was measured, for a loaded machine: an estimate that is short makes the
 * command end a little after its budget; one that is long only leaves the window search less time. The page is
 * also held to the deadline as it is drawn (`leaveOut`): a chart that does not fit is left out.
 */
export function reserveMs(operations: number, out: { readonly json?: boolean; readonly html?: boolean }): { readonly afterReport: number; readonly explain: number } {
  // The explanation's share is not taken from the verdict's search (checkVerbose's explainReserveMs): only from the
  // window's, which is skipped when it does not fit, and an illegal verdict is proved without it.
  return { afterReport: afterPageMs(operations, out) + (out.html ? (operations * PAGE_US) / 1000 : 0), explain: (operations * EXPLAIN_US) / 1000 };
}

/** What is kept back once the page is drawn: the printing and the exit. */
function afterPageMs(operations: number, out: { readonly json?: boolean }): number {
  return BASE_RESERVE_MS + (operations * (EXIT_US + (out.json ? JSON_US : TEXT_US))) / 1000;
}

/** µs an operation, for each part of the reserve (see reserveMs). */
const EXPLAIN_US = 3;
const JSON_US = 2.5;
const TEXT_US = 0.2;
const PAGE_US = 1;
const EXIT_US = 0.8;

/** The reserve before the history's size is known, and its fixed part after: the verdict's printing and the exit. */
const BASE_RESERVE_MS = 50;

/**
 * Runs one check, posting its messages; in the worker, or inline for a small file (no thread to start). `now` is
 * the clock the deadline is read on (tests move it); the search's own budget reads `performance.now()`, given
 * what is left of the deadline when it starts.
 */
export async function runCheckJob(job: CheckJob, port: { postMessage(m: CheckMessage): void }, now: () => number = epochNow): Promise<void> {
  // Only what a check needs: the whole library (gRPC, brokers) would double the start-up time.
  const t0 = now();
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
      file = await lib.readPairedHistoryFile(job.file, lib.parseHistoryFormat(job.format), { stop: () => interrupted() || now() > job.deadline - BASE_RESERVE_MS });
    } catch (e) {
      if (!(e instanceof lib.HistoryReadStopped)) throw e;
      const report = lib.stoppedWhileReadingReport(job.model, { source: job.file, operations: e.operations, elapsedMs: now() - t0, interrupted: interrupted() }, job);
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
    const afterCheck = reserveMs(paired.operations.length, { json: job.json, html: job.html !== undefined });
    const report = lib.checkVerbose(paired, job.model, {
      // What is left of the deadline: start-up and reading are spent already, and the printing still to come.
      budgetMs: job.budgetMs,
      spentMs: job.budgetMs - (job.deadline - now()),
      reserveMs: afterCheck.afterReport,
      explainReserveMs: afterCheck.explain,
      interrupt: job.interrupt,
      // Only the HTML page shows the timeline.
      timeline: job.html !== undefined,
      ...(job.maxSteps !== undefined ? { maxSteps: job.maxSteps } : {}),
      ...(initial !== undefined ? { initial } : {}),
    });
    const { timeline: _timeline, ...rest } = report;
    port.postMessage({ type: 'report', report: rest } satisfies CheckMessage);
    if (job.html !== undefined) port.postMessage(await writePage(job, job.html, report, now, interrupted));
  } catch (e) {
    port.postMessage(toErrorMessage(e) satisfies CheckMessage);
  }
}

/**
 * The page, drawn in what is left of the budget once the verdict is out, less the printing and the exit: when
 * that runs out (or Ctrl+C comes) before its chart is drawn, the chart is left out and the page says so; the
 * verdict, the explanation and the linearization table are cheap on any history and always in it. Interrupted,
 * no page is written: the user asked for the command to end.
 */
async function writePage(job: CheckJob, path: string, report: CheckReport, now: () => number, interrupted: () => boolean): Promise<HtmlMessage> {
  const pageDeadline = job.deadline - afterPageMs(report.operations, { json: job.json });
  let page: HistoryPage;
  try {
    page = (await import('../report/history-html.js')).renderHistoryPage(report, {
      source: job.file,
      leaveOut: () =>
        interrupted()
          ? 'the check was interrupted before it was drawn'
          : now() > pageDeadline
            ? `the budget (--budget ${formatMs(job.budgetMs)}) ran out before it was drawn; check again with a bigger --budget to have it`
            : undefined,
    });
  } catch (e) {
    // A failure to render is racelab's bug, not the user's path: say which.
    return { type: 'html', error: `rendering the page failed (${messageOf(e)}); please report it` };
  }
  if (interrupted()) return { type: 'html', notWritten: 'interrupted' };
  try {
    await writeFile(path, page.html);
    return { type: 'html', ...(page.chartLeftOut !== undefined ? { chartLeftOut: page.chartLeftOut } : {}) };
  } catch (e) {
    return { type: 'html', error: cannotWrite(path, e) };
  }
}

const port = parentPort;
if (port && (workerData as { racelabCheck?: boolean } | null)?.racelabCheck) await runCheckJob(workerData as CheckJob, port);
