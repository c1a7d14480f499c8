import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { printJson, printResult } from '../output.js';

/** Exit codes of `racelab check`: the verdict, so a CI job can gate on it. */
const EXIT_FOR = { ok: 0, illegal: 1, unknown: 3 } as const;

export function register(program: Command): void {
  program
    .command('check')
    .description('check a recorded history for linearizability against a model (exit 0 ok, 1 illegal, 3 unknown, 2 bad input)')
    .argument('<history>', 'history file: racelab JSON Lines, Jepsen EDN, or a Jepsen text log')
    .requiredOption('--model <name>', 'the sequential model: register, counter or kv')
    .option('--budget <duration>', 'search time before the verdict is "unknown"', '10s')
    .option('--max-steps <n>', 'search steps before the verdict is "unknown" (reproducible, unlike time)')
    .option('--format <format>', 'history format: auto, jsonl, edn or jepsen-log', 'auto')
    .option('--initial <json>', "where the object started, as JSON (a counter: 5; kv: {\"x\":\"ab\"}), or unknown; default: the history's header, else unknown for racelab JSON Lines and the model's start for Jepsen's formats")
    .option('--html <file>', 'also write a self-contained timeline page')
    .option('--json', 'print the report as JSON (without the per-operation timeline)')
    .action(async (file: string, opts: { model: string; budget: string; maxSteps?: string; format: string; initial?: string; html?: string; json?: boolean }) => {
      const lib = await import('../../index.js');
      // Every option is checked before the file is read: a typo fails fast with one line.
      const model = lib.modelByName(opts.model);
      const budgetMs = lib.parseDuration(opts.budget, '--budget', { maxMs: 24 * 3_600_000 });
      const maxSteps = opts.maxSteps !== undefined ? lib.parseCount(opts.maxSteps, '--max-steps', 1, Number.MAX_SAFE_INTEGER) : undefined;
      const format = lib.parseHistoryFormat(opts.format);
      const given = opts.initial !== undefined ? parseInitial(opts.initial, lib.RacelabError) : undefined;
      const { events, header, format: read } = await lib.readHistoryFile(file, format);
      // A recording says where it started; Jepsen's formats go by their models' conventions (a register starts
      // nil, a counter 0); a racelab history that does not say may have started anywhere.
      const initial = given ?? ('initial' in header ? { value: header.initial } : read === 'jsonl' ? 'unknown' : undefined);
      const report = lib.checkVerbose(events, model, { budgetMs, ...(maxSteps !== undefined ? { maxSteps } : {}), ...(initial !== undefined ? { initial } : {}) });
      if (opts.html) {
        try {
          await writeFile(opts.html, lib.renderHistoryHtml(report, { source: file }));
        } catch (e) {
          throw new lib.RacelabError('BAD_OPTION', `--html: cannot write ${opts.html} (${(e as NodeJS.ErrnoException).code ?? String(e)}); give a writable file path`);
        }
      }
      if (opts.json) {
        const { timeline: _timeline, ...rest } = report;
        printJson({ file, ...rest, ...(opts.html ? { html: opts.html } : {}) });
      } else {
        printResult(`${lib.renderCheckReport(report, file)}${opts.html ? `\n\ntimeline: ${opts.html}` : ''}`);
      }
      process.exitCode = EXIT_FOR[report.verdict];
    });
}

function parseInitial(text: string, RacelabError: typeof import('../../index.js').RacelabError): { value: unknown } | 'unknown' {
  if (text === 'unknown') return 'unknown';
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    throw new RacelabError('BAD_OPTION', `--initial: ${JSON.stringify(text)} is not JSON; give a value like 5 or {"x":"ab"}, or unknown`);
  }
}
