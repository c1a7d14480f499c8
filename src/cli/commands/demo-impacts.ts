import type { Command } from 'commander';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { stopOnSignal } from '../signals.js';

export function register(demo: Command): void {
  demo
    .command('impacts')
    .description('the costs of races as gRPC services (bank, …): vulnerable beside fixed, impact measured in the scenario\'s units')
    .option('--scenario <name>', 'one scenario (default: every one): bank | inventory | checkout | coupon | ratelimit | privilege | session')
    .option('--delay <duration>', 'the race window between check and write', '50ms')
    .option('--count <n>', 'calls of each method per burst', '10')
    .option('--json', 'print the report as JSON')
    .option('--monitor', 'watch each served variant with the race monitor: its suspected lost updates join the table, one log line each on stderr')
    .option('--html <file>', 'also write a self-contained HTML page: per scenario the variants side by side, the explorer\'s verdicts, every burst call on a timeline')
    .action(async (opts: { scenario?: string; delay: string; count: string; json?: boolean; monitor?: boolean; html?: string }) => {
      const { runImpactsDemo, renderImpactsDemo, impactScenario, parseCount, parseDuration, impactsDemoPage, renderReportPage } = await loadLib();
      const { checkHtmlPath, writeHtmlPage, commandLine } = await import('../html.js');
      if (opts.scenario !== undefined) impactScenario(opts.scenario);
      const delayMs = parseDuration(opts.delay, '--delay', { maxMs: 10_000 });
      const count = parseCount(opts.count, '--count', 1, 500);
      await checkHtmlPath(opts.html);
      const stop = stopOnSignal({ quiet: opts.json === true });
      // On a terminal, the demo's last progress line live, with the time spent; piped or --json, nothing. Not with
      // --monitor: its log lines go to the same terminal, and a live line would be drawn into them.
      const progress = startProgress({ json: opts.json || opts.monitor, text: 'starting' });
      const report = await runImpactsDemo({
        signal: stop.signal,
        ...(opts.scenario !== undefined ? { scenario: opts.scenario } : {}),
        delayMs,
        count,
        ...(opts.html !== undefined ? { keepCalls: true } : {}),
        ...(opts.monitor ? { monitor: { logger: (await import('pino')).pino({ level: 'warn' }, (await import('pino')).pino.destination({ fd: 2, sync: true })) } } : {}),
        onProgress: (line) => progress.line(line),
      }).finally(() => progress.stop());
      if (opts.html !== undefined) await writeHtmlPage(opts.html, renderReportPage(impactsDemoPage(report, commandLine())));
      if (opts.json) printJson(report);
      else printResult(renderImpactsDemo(report));
      if (report.scenarios.some((s) => s.runs.some((r) => r.safe && r.verdict === 'race'))) process.exitCode = 1;
      await stop.finish();
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/units.js')),
    ...(await import('../../report/impacts-demo-page.js')),
    ...(await import('../../report/impacts-demo-text.js')),
    ...(await import('../../report/page.js')),
    ...(await import('../../scenarios/impacts/demo.js')),
    ...(await import('../../scenarios/impacts/registry.js')),
  };
}
