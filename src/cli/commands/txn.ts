import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { printJson, printResult } from '../output.js';

/** Exit codes of `racelab txn check` and `txn run`: 0 no anomaly, 1 anomalies, 3 cut short by the budget, 2 bad input. */
const EXIT_FOR = { ok: 0, illegal: 1, unknown: 3 } as const;

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
    .option('--budget <duration>', 'analysis time before the verdict is "unknown" (when nothing was found by then)', '60s')
    .option('--max-steps <n>', 'analysis steps before the verdict is "unknown" (reproducible, unlike time)')
    .option('--format <format>', 'history format: auto, jsonl or edn', 'auto')
    .option('--no-realtime', 'leave out real-time order (check serializability, not strict serializability)')
    .option('--no-process', 'leave out process order (session guarantees)')
    .option('--html <file>', "also write a self-contained page drawing each anomaly's cycle")
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: CheckOptions) => {
      const lib = await import('../../index.js');
      const workload = lib.parseTxnWorkload(opts.workload, '--workload');
      const budgetMs = lib.parseDuration(opts.budget, '--budget', { maxMs: 24 * 3_600_000 });
      const maxSteps = opts.maxSteps !== undefined ? lib.parseCount(opts.maxSteps, '--max-steps', 1, Number.MAX_SAFE_INTEGER) : undefined;
      const format = lib.parseHistoryFormat(opts.format);
      if (format === 'jepsen-log') throw new lib.RacelabError('BAD_OPTION', '--format: a Jepsen text log holds no transactions racelab can read; use jsonl or edn');
      const history = await lib.readTxnHistoryFile(file, workload, format);
      const report = lib.checkTxnHistory(history, { budgetMs, realtime: opts.realtime, process: opts.process, ...(maxSteps !== undefined ? { maxSteps } : {}) });
      if (opts.html) await writeHtml(opts.html, lib.renderTxnHtml(report, { source: file }), lib.RacelabError);
      if (opts.json) printJson({ file, ...report, ...(opts.html ? { html: opts.html } : {}) });
      else printResult(`${lib.renderTxnReport(report, file)}${opts.html ? `\n\ncycles drawn: ${opts.html}` : ''}`);
      process.exitCode = EXIT_FOR[report.verdict];
    });
}

export async function writeHtml(path: string, html: string, ErrorClass: typeof import('../../index.js').RacelabError): Promise<void> {
  try {
    await writeFile(path, html);
  } catch (e) {
    throw new ErrorClass('BAD_OPTION', `--html: cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)}); give a writable file path`);
  }
}
