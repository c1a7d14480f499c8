import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CheckJob, CheckMessage, HtmlMessage } from '../check-worker.js';
import { checkHtmlPath } from '../html.js';
import { fromErrorMessage, runInterruptible } from '../interruptible.js';
import { printJson, printProgress, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { exitStatusForSignal } from '../signals.js';
import { MODEL_NAMES } from '../../check/models.js';

/** Files up to this size are checked in the main thread; larger ones in a worker, so Ctrl+C is seen at once. */
const INLINE_MAX_BYTES = 256 * 1024;

/**
 * The check worker's young generation, in MB (V8's default here is 48). A large check's peak resident memory is
 * mostly heap pages its garbage once filled (reading builds every line's text and object, then drops them): a
 * small young generation collects that garbage before it spreads. On 326,000 operations (`npm run bench --
 * check`'s history), five runs each, alternating: 279–286 MB peak against 296–323 MB with the default, and a
 * median of 2.98 s against 2.65 s.
 */
const CHECK_YOUNG_GENERATION_MB = 6;

/** Exit codes of `racelab check`: the verdict, so a CI job can gate on it. */
const EXIT_FOR = { ok: 0, illegal: 1, unknown: 3 } as const;

export function register(program: Command): void {
  program
    .command('check')
    .description('check a recorded history for linearizability against a model (exit 0 ok, 1 illegal, 3 unknown, 2 bad input)')
    .argument('<history>', 'history file: racelab JSON Lines, Jepsen EDN, or a Jepsen text log')
    .requiredOption('--model <name>', `the sequential model: ${MODEL_NAMES.join(', ')}`)
    .option('--budget <duration>', 'time for the whole command from its start (reading the file, verdict, window, explanation, the page, the output) before the verdict is "unknown"', '10s')
    .option('--max-steps <n>', 'search steps before the verdict is "unknown" (reproducible, unlike time)')
    .option('--format <format>', 'history format: auto, jsonl, edn or jepsen-log', 'auto')
    .option('--initial <json>', "where the object started, as JSON (a counter: 5; kv: {\"x\":\"ab\"}), or unknown; default: the history's header, else unknown for racelab JSON Lines and the model's start for Jepsen's formats")
    .option('--html <file>', 'also write a self-contained timeline page')
    .option('--json', 'print the report as JSON (without the per-operation timeline)')
    .action(async (file: string, opts: { model: string; budget: string; maxSteps?: string; format: string; initial?: string; html?: string; json?: boolean }) => {
      // Only what a check needs, not the whole library (gRPC, brokers, stores): the main thread waits beside the
      // worker through the whole check, and on a large history every megabyte it holds counts.
      const [{ modelByName }, { RacelabError }, { parseCount, parseDuration }, { parseHistoryFormat }, { renderCheckReport }] = await Promise.all([
        import('../../check/models.js'),
        import('../../core/errors.js'),
        import('../../core/units.js'),
        import('../../history/read.js'),
        import('../../report/check-text.js'),
      ]);
      const lib = { modelByName, RacelabError, parseCount, parseDuration, parseHistoryFormat, renderCheckReport };
      // Every option is checked before the file is read: a typo fails fast with one line.
      lib.modelByName(opts.model);
      const budgetMs = lib.parseDuration(opts.budget, '--budget', { maxMs: 24 * 3_600_000 });
      const maxSteps = opts.maxSteps !== undefined ? lib.parseCount(opts.maxSteps, '--max-steps', 1, Number.MAX_SAFE_INTEGER) : undefined;
      lib.parseHistoryFormat(opts.format);
      const initial = opts.initial !== undefined ? parseInitial(opts.initial, lib.RacelabError) : undefined;
      if (opts.html !== undefined) await checkHtmlPath(opts.html);
      const interrupt = new Int32Array(new SharedArrayBuffer(4));
      // The budget is the whole command's, from the process's start (the main thread's time origin): loading
      // racelab, reading the file, the search, the window, the page and the printing all come out of it.
      const deadline = performance.timeOrigin + budgetMs;
      const job: CheckJob = { file, format: opts.format, model: opts.model, budgetMs, deadline, interrupt, ...(opts.json ? { json: true } : {}), ...(maxSteps !== undefined ? { maxSteps } : {}), ...(initial !== undefined ? { initial } : {}), ...(opts.html !== undefined ? { html: opts.html } : {}) };
      // A small file is checked in milliseconds: a thread would cost more than it could ever save.
      const size = await stat(file).then((st) => st.size, () => 0);
      let report: Extract<CheckMessage, { type: 'report' }>['report'] | undefined;
      let page: HtmlMessage | undefined;
      // The time spent against --budget, with the phase beside it. A large file is checked on a worker thread, so
      // this thread is free to draw; a small one is checked here, in milliseconds, and the line never shows.
      const progress = startProgress({ json: opts.json, forMs: budgetMs, sinceMs: performance.timeOrigin, text: `checking ${file}` });
      // On a signal the check stops at its next budget reading (well under a second) with the verdict known so far.
      const signal = await runInterruptible<CheckMessage>({
        ...(size > INLINE_MAX_BYTES ? { worker: { url: new URL('../check-worker.js', import.meta.url), data: { ...job, racelabCheck: true }, youngGenerationMb: CHECK_YOUNG_GENERATION_MB } } : {}),
        inline: async (port) => (await import('../check-worker.js')).runCheckJob(job, port),
        interrupt,
        what: 'the check',
        onMessage: (m, stopped) => {
          if (m.type === 'error') throw fromErrorMessage(m);
          if (m.type === 'phase') {
            progress.line(m.phase === 'reading' ? `reading ${file}` : `searching ${m.operations.toLocaleString('en-US')} operations for a linearization (${opts.model})`);
            return false;
          }
          if (m.type === 'report') {
            report = m.report;
            print(m.report);
            // Interrupted: the verdict is out; the page is not worth waiting for. Stopped while reading: no page.
            return opts.html === undefined || stopped !== undefined || m.report.stoppedWhileReading === true;
          }
          page = m;
          return true;
        },
      }).finally(() => progress.stop());
      if (!report) throw new Error('the check worker ended without a report');
      if (opts.html !== undefined && report.stoppedWhileReading) {
        if (!opts.json) printResult('timeline: not written (nothing was checked)');
      } else if (opts.html !== undefined && page !== undefined) {
        if (page.error !== undefined && signal === undefined) {
          // A page that could not be written is the user's to fix; one that could not be drawn is racelab's bug.
          if (page.error.includes('please report')) throw new Error(`--html: ${page.error}`);
          throw new lib.RacelabError('BAD_OPTION', `--html: ${page.error}`);
        }
        // The verdict is out and stands whatever became of the page: the exit code stays the verdict's. With
        // --json, stdout is the report alone, and a page that is not whole is a message on stderr.
        const notWritten = page.notWritten ?? page.error;
        if (notWritten !== undefined) {
          if (opts.json) printProgress(`racelab: --html: ${opts.html} not written (${notWritten})`);
          else printResult(`timeline: not written (${notWritten})`);
        } else if (page.chartLeftOut !== undefined) {
          if (opts.json) printProgress(`racelab: --html: ${opts.html} written without its chart: ${page.chartLeftOut}`);
          else printResult(`timeline: ${opts.html}, without its chart: ${page.chartLeftOut}`);
        } else if (!opts.json) printResult(`timeline: ${opts.html}`);
      }
      process.exitCode = signal !== undefined ? exitStatusForSignal(signal) : EXIT_FOR[report.verdict];

      function print(r: Extract<CheckMessage, { type: 'report' }>['report']): void {
        // Stopped while reading, nothing was counted: null, not zeros a job parsing the report would take for counts.
        if (opts.json) printJson({ file, ...r, ...(r.stoppedWhileReading ? { counts: null, partitions: null } : {}), ...(opts.html ? { html: opts.html } : {}) });
        else printResult(`${lib.renderCheckReport({ ...r, timeline: [] }, file)}${opts.html ? '\n' : ''}`);
      }
    });
}

function parseInitial(text: string, RacelabError: typeof import('../../core/errors.js').RacelabError): { value: unknown } | 'unknown' {
  if (text === 'unknown') return 'unknown';
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    throw new RacelabError('BAD_OPTION', `--initial: ${JSON.stringify(text)} is not JSON; give a value like 5 or {"x":"ab"}, or unknown`);
  }
}
