import type { Command } from 'commander';
import { printJson, printProgress, printResult } from '../output.js';

export function register(demo: Command): void {
  demo
    .command('impacts')
    .description('the costs of races as gRPC services (bank, …): vulnerable beside fixed, impact measured in the scenario\'s units')
    .option('--scenario <name>', 'one scenario (default: every one): bank | coupon | ratelimit | privilege')
    .option('--delay <duration>', 'the race window between check and write', '50ms')
    .option('--count <n>', 'calls of each method per burst', '10')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { scenario?: string; delay: string; count: string; json?: boolean }) => {
      const { runImpactsDemo, renderImpactsDemo, impactScenario, parseCount, parseDuration } = await import('../lib.js');
      if (opts.scenario !== undefined) impactScenario(opts.scenario);
      const report = await runImpactsDemo({
        ...(opts.scenario !== undefined ? { scenario: opts.scenario } : {}),
        delayMs: parseDuration(opts.delay, '--delay', { maxMs: 10_000 }),
        count: parseCount(opts.count, '--count', 1, 500),
        ...(opts.json ? {} : { onProgress: printProgress }),
      });
      if (opts.json) printJson(report);
      else printResult(renderImpactsDemo(report));
      if (report.scenarios.some((s) => s.runs.some((r) => r.safe && r.verdict === 'race'))) process.exitCode = 1;
    });
}
