import type { Command } from 'commander';
import { printJson, printResult } from '../output.js';

export function register(program: Command): void {
  program
    .command('replay')
    .description('run the schedule of a replay token (printed by racelab explore) once, step by step; exit 1 when it fails')
    .argument('<token>', 'the replay token, e.g. rl1/counter/…')
    .option('--json', 'print the report as JSON')
    .action(async (token: string, opts: { json?: boolean }) => {
      const { runReplay, renderReplayReport } = await loadLib();
      const report = await runReplay(token);
      if (opts.json) printJson(report);
      else printResult(renderReplayReport(report));
      if (report.status === 'failed') process.exitCode = 1;
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../report/explore-text.js')),
    ...(await import('../../workloads/run-explore.js')),
  };
}
