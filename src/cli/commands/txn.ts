import { stat, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { RacelabError } from '../../core/errors.js';
import type { TxnCheckReport } from '../../txn/types.js';
import { cannotWrite, ensureWritableFile } from '../files.js';
import { checkHtmlPath } from '../html.js';
import { fromErrorMessage, runInterruptible } from '../interruptible.js';
import type { TxnCheckJob, TxnCheckMessage } from '../txn-check-worker.js';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { plural } from '../../core/units.js';
import { exitStatusForSignal } from '../signals.js';

/** Exit codes of `racelab txn check` and `txn run`: 0 no anomaly, 1 anomalies, 3 cut short by the budget, 2 bad input. */
const EXIT_FOR = { ok: 0, illegal: 1, unknown: 3 } as const;

/** Histories up to this size are checked in the main thread; larger ones in a worker, so Ctrl+C is seen at once. */
const INLINE_MAX_BYTES = 256 * 1024;

interface CheckOptions {
  workload: string;
  budget: string;
  maxSteps?: string;
  format: string;
  html?: string;
  json?: boolean;
  realtime: boolean;
  process: boolean;
}

export function register(program: Command): void {
  const txn = program.command('txn').description('transactional anomalies (Elle-style): check a history, or run workloads on PostgreSQL and MariaDB');
  txn
    .command('check')
    .description('find isolation anomalies (G0, G1a-c, G-single, G2-item, lost update, …) in a transactional history (exit 0 none, 1 found, 3 budget ran out, 2 bad input)')
    .argument('<history>', 'history file: racelab JSON Lines or Jepsen EDN, each value a list of micro-ops')
    .requiredOption('--workload <name>', 'list-append or rw-register')
    .option('--budget <duration>', 'time for the whole command (reading the file, the analysis, the page) before the verdict is "unknown" (when nothing was found by then)', '60s')
    .option('--max-steps <n>', 'analysis steps before the verdict is "unknown" (reproducible, unlike time)')
    .option('--format <format>', 'history format: auto, jsonl or edn', 'auto')
    .option('--no-realtime', 'leave out real-time order (check serializability, not strict serializability)')
    .option('--no-process', 'leave out process order (session guarantees)')
    .option('--html <file>', "also write a self-contained page drawing each anomaly's cycle")
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: CheckOptions) => {
      const lib = await loadCheck();
      const workload = lib.parseTxnWorkload(opts.workload, '--workload');
      const budgetMs = lib.parseDuration(opts.budget, '--budget', { maxMs: 24 * 3_600_000 });
      const maxSteps = opts.maxSteps !== undefined ? lib.parseCount(opts.maxSteps, '--max-steps', 1, Number.MAX_SAFE_INTEGER) : undefined;
      const format = lib.parseHistoryFormat(opts.format);
      if (format === 'jepsen-log') throw new lib.RacelabError('BAD_OPTION', '--format: a Jepsen text log holds no transactions racelab can read; use jsonl or edn');
      if (opts.html !== undefined) await ensureWritableFile(opts.html, '--html');
      const interrupt = new Int32Array(new SharedArrayBuffer(4));
      // The budget is the whole command's, from the process's start, as check's: loading, reading, the analysis, the
      // page and the printing all come out of it.
      const job: TxnCheckJob = { file, workload, format, budgetMs, deadline: performance.timeOrigin + budgetMs, realtime: opts.realtime, process: opts.process, interrupt, ...(maxSteps !== undefined ? { maxSteps } : {}), ...(opts.html !== undefined ? { html: opts.html } : {}) };
      // A small file is checked in milliseconds; a large one in a worker thread, so that Ctrl+C is seen at once.
      const size = await stat(file).then((st) => st.size, () => 0);
      let read: number | undefined;
      let report: TxnCheckReport | undefined;
      let htmlError: string | undefined;
      let stoppedReading: { operations: number; interrupted: boolean } | undefined;
      // The time spent against --budget, with the phase beside it (reading, analysing), on a terminal only.
      const progress = startProgress({ json: opts.json, forMs: budgetMs, sinceMs: performance.timeOrigin, text: `checking ${file}` });
      const signal = await runInterruptible<TxnCheckMessage>({
        ...(size > INLINE_MAX_BYTES ? { worker: { url: new URL('../txn-check-worker.js', import.meta.url), data: { ...job, racelabTxnCheck: true } } } : {}),
        inline: async (port) => (await import('../txn-check-worker.js')).runTxnCheckJob(job, port),
        interrupt,
        what: 'the analysis',
        // Reading stops on the budget and on the interrupt flag (every thousand lines or forms); a thread that
        // does not answer within this long is stopped anyway.
        graceMs: 1000,
        onMessage: (m, stopped) => {
          if (m.type === 'error') throw fromErrorMessage(m);
          if (m.type === 'reading') {
            if (size > INLINE_MAX_BYTES && stopped === undefined) progress.line(`reading ${file} (${(size / 1e6).toFixed(0)} MB; Ctrl+C stops)`);
            return false;
          }
          if (m.type === 'stopped-reading') {
            stoppedReading = m;
            return true;
          }
          if (m.type === 'read') {
            read = m.transactions;
            // A large history takes seconds: say it is read and being analysed, and how to stop.
            if (size > INLINE_MAX_BYTES && stopped === undefined) progress.line(`${plural(read, 'transaction', undefined, (x) => x.toLocaleString('en-US'))} read; analysing (Ctrl+C stops with what is found so far)`);
          }
          else if (m.type === 'report') {
            report = m.report;
            // Interrupted: the verdict so far is out; the page is not worth waiting for.
            return opts.html === undefined || stopped !== undefined;
          } else htmlError = m.error;
          return m.type === 'html';
        },
      }).finally(() => progress.stop());
      const exit = signal === undefined ? undefined : exitStatusForSignal(signal);
      if (!report && stoppedReading && !(stoppedReading.interrupted && exit !== undefined)) {
        // The budget ran out while the history was still being read: unknown, exit 3, as an analysis cut short.
        const ops = plural(stoppedReading.operations, 'operation', undefined, (x) => x.toLocaleString('en-US'));
        if (opts.json) printJson({ file, verdict: 'unknown', stoppedBecause: 'budget', stoppedWhileReading: true, operationsRead: stoppedReading.operations, analysed: false, budgetMs });
        else printResult(`racelab txn check ${file}: UNKNOWN: the budget (${opts.budget}) ran out while reading the history: ${ops} read, none analysed. Give it a bigger budget (--budget).`);
        process.exitCode = EXIT_FOR.unknown;
        return;
      }
      if (!report) {
        if (exit === undefined) throw new Error('the transactional check ended without a report');
        // Stopped before the analysis began: say how far it came.
        if (opts.json) printJson({ file, stoppedBecause: 'interrupted', signal, transactionsRead: read ?? null, analysed: false });
        else printResult(`racelab txn check ${file}: interrupted (${signal}) ${read === undefined ? 'while reading the history: nothing analysed' : `after reading ${plural(read, 'transaction', undefined, (x) => x.toLocaleString('en-US'))}, before the analysis reported`}`);
        process.exitCode = exit;
        return;
      }
      const drawn = opts.html !== undefined && signal === undefined;
      if (drawn && htmlError !== undefined) {
        // A page that could not be written is the user's to fix; one that could not be drawn is racelab's bug.
        if (htmlError.includes('please report')) throw new Error(`--html: ${htmlError}`);
        throw new lib.RacelabError('BAD_OPTION', `--html: ${htmlError}`);
      }
      if (opts.json) printJson({ file, ...report, ...(drawn ? { html: opts.html } : {}) });
      else printResult(`${lib.renderTxnReport(report, file)}${drawn ? `\n\ncycles drawn: ${opts.html}` : ''}`);
      process.exitCode = exit ?? EXIT_FOR[report.verdict];
    });
  registerRun(txn);
}

interface RunOptions {
  store: string;
  isolation: string;
  workload: string;
  fix: string;
  clients: string;
  duration: string;
  maxTransactions?: string;
  seed?: string;
  record?: string;
  html?: string;
  json?: boolean;
  budget: string;
}

function registerRun(txn: Command): void {
  txn
    .command('run')
    .description('run a transactional workload on PostgreSQL or MariaDB at an isolation level, record every commit, abort and unknown outcome, then check the history (exit 0 none, 1 anomalies, 3 check cut short, 2 bad input)')
    .requiredOption('--store <store>', 'postgres or mariadb (URL from RACELAB_PG_URL / RACELAB_MARIADB_URL), or a postgres:// or mariadb:// URL')
    .requiredOption('--isolation <level>', 'read-committed, repeatable-read or serializable (MariaDB also read-uncommitted)')
    .option('--workload <name>', 'list-append, rw-register, transfer, deposit (read a balance, then update it) or doctors (write skew)', 'list-append')
    .option('--fix <fix>', 'for deposit, transfer, doctors: none, for-update, conditional (deposit) or retry', 'none')
    .option('--clients <n>', 'concurrent connections', '10')
    .option('--duration <duration>', 'how long to run', '10s')
    .option('--max-transactions <n>', 'stop after this many transactions, if sooner')
    .option('--seed <n>', 'seed of the workload generator')
    .option('--record <file>', 'write the history as racelab JSON Lines')
    .option('--html <file>', "also write the check as a page drawing each anomaly's cycle")
    .option('--budget <duration>', 'time for the check before its verdict is "unknown"', '60s')
    .option('--json', 'print the report as JSON (without the history)')
    .action(async (opts: RunOptions) => {
      const lib = await loadLib();
      const { untilSignal } = await import('../signals.js');
      // Every option is checked before the database is touched.
      const { kind, url } = lib.resolveDatabase(opts.store);
      const isolation = lib.parseIsolation(kind, opts.isolation);
      const workload = oneOf(opts.workload, lib.TXN_WORKLOAD_NAMES, '--workload', lib.RacelabError);
      const fix = oneOf(opts.fix, lib.TXN_FIXES, '--fix', lib.RacelabError);
      if (fix === 'conditional' && workload !== 'deposit') throw new lib.RacelabError('BAD_OPTION', '--fix conditional applies to --workload deposit only; use for-update or retry');
      if (fix !== 'none' && (workload === 'list-append' || workload === 'rw-register')) throw new lib.RacelabError('BAD_OPTION', `--fix applies to deposit, transfer and doctors; ${workload} is a checker workload`);
      const clients = lib.parseCount(opts.clients, '--clients', 1, 200);
      const durationMs = lib.parseDuration(opts.duration, '--duration', { maxMs: 24 * 3_600_000 });
      const budgetMs = lib.parseDuration(opts.budget, '--budget', { maxMs: 24 * 3_600_000 });
      const maxTransactions = opts.maxTransactions !== undefined ? lib.parseCount(opts.maxTransactions, '--max-transactions', 1, Number.MAX_SAFE_INTEGER) : undefined;
      const seed = opts.seed !== undefined ? lib.parseCount(opts.seed, '--seed', 0, Number.MAX_SAFE_INTEGER) : undefined;
      // The files too: a path that cannot be written costs one line now, not a whole run on the database first.
      if (opts.record !== undefined) await ensureWritableFile(opts.record, '--record');
      await checkHtmlPath(opts.html);
      const controller = new AbortController();
      let stopSignal: NodeJS.Signals | undefined;
      void untilSignal().then((s) => {
        stopSignal = s;
        controller.abort();
      });
      const run = await lib.runTransactions({
        database: kind,
        url,
        isolation,
        workload,
        fix,
        clients,
        durationMs,
        checkBudgetMs: budgetMs,
        signal: controller.signal,
        ...(maxTransactions !== undefined ? { maxTransactions } : {}),
        ...(seed !== undefined ? { seed } : {}),
      });
      if (opts.record) {
        try {
          await lib.writeHistoryFile(opts.record, run.history);
        } catch (e) {
          throw new lib.RacelabError('BAD_OPTION', `--record: ${cannotWrite(opts.record, e)}`);
        }
      }
      if (opts.html) await writeHtml(opts.html, lib.renderTxnHtml(run.check, { source: `${workload} on ${kind} at ${isolation}` }), lib.RacelabError);
      if (opts.json) {
        const { history: _history, ...rest } = run;
        printJson({ ...rest, ...(opts.record ? { record: opts.record } : {}) });
      } else printResult(`${lib.renderTxnRun(run)}${opts.record ? `\n\nhistory: ${opts.record}` : ''}`);
      process.exitCode = run.stoppedBecause === 'signal' ? (stopSignal === 'SIGTERM' ? 143 : 130) : EXIT_FOR[run.check.verdict];
    });
}

function oneOf<T extends string>(text: string, choices: readonly T[], what: string, ErrorClass: typeof RacelabError): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new ErrorClass('BAD_OPTION', `${what}: "${text}" is not one of ${choices.join(', ')}`);
}

export async function writeHtml(path: string, html: string, ErrorClass: typeof RacelabError): Promise<void> {
  try {
    await writeFile(path, html);
  } catch (e) {
    throw new ErrorClass('BAD_OPTION', `--html: ${cannotWrite(path, e)}`);
  }
}

/** What `txn check` runs, loaded when it runs (not for --help, and not the whole library). */
async function loadCheck() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../history/read.js')),
    ...(await import('../../report/txn-text.js')),
    ...(await import('../../txn/parse.js')),
  };
}

/** What `txn run` runs: the databases' clients too. */
async function loadLib() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../history/read.js')),
    ...(await import('../../report/txn-html.js')),
    ...(await import('../../scenarios/transactions/database.js')),
    ...(await import('../../scenarios/transactions/render.js')),
    ...(await import('../../scenarios/transactions/run.js')),
    ...(await import('../../scenarios/transactions/workloads.js')),
  };
}
