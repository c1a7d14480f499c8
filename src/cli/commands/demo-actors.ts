import type { Command } from 'commander';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { stopOnSignal } from '../signals.js';

const list = (s: string | undefined): string[] | undefined => {
  if (s === undefined) return undefined;
  const items = s.split(',').map((v) => v.trim()).filter(Boolean);
  return items.length ? items : undefined;
};

export function register(demo: Command): void {
  demo
    .command('actors')
    .description("the seed's message-passing races on racelab's actor runtime: every pattern, vulnerable and fixed")
    .option('--pattern <names>', 'comma-separated patterns to run (default: all)')
    .option('--variant <names>', 'comma-separated variants to run (default: all of the chosen patterns)')
    .option('--seed <n>', 'seed for every random choice of the run (default: a fresh one, printed)')
    .option('--senders <n>', "clients per pattern (default: each pattern's own)")
    .option('--messages <n>', "messages (rounds, operations) per client (default: each pattern's own)")
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write a self-contained HTML page: the variants side by side, what each lost or duplicated, every message on a timeline')
    .action(async (opts: { pattern?: string; variant?: string; seed?: string; senders?: string; messages?: string; json?: boolean; html?: string }) => {
      const { runActorDemo, renderActorDemo, parseCount, Random, RacelabError, actorDemoPage, renderReportPage } = await loadLib();
      const html = await import('../html.js');
      await html.checkHtmlPath(opts.html);
      if (opts.pattern !== undefined && list(opts.pattern) === undefined) {
        throw new RacelabError('BAD_OPTION', '--pattern: give at least one pattern name, e.g. --pattern check-then-act');
      }
      const stop = stopOnSignal({ quiet: opts.json === true });
      // On a terminal, the demo's last progress line live, with the time spent; piped or --json, nothing.
      const progress = startProgress({ json: opts.json, text: 'starting' });
      const report = await runActorDemo({
        signal: stop.signal,
        patterns: list(opts.pattern),
        variants: list(opts.variant),
        seed: opts.seed === undefined ? Random.freshSeed() : parseCount(opts.seed, '--seed', 0, 0xffff_ffff),
        senders: opts.senders === undefined ? undefined : parseCount(opts.senders, '--senders', 1, 64),
        messages: opts.messages === undefined ? undefined : parseCount(opts.messages, '--messages', 1, 1000),
        onProgress: (line) => progress.line(line),
        // The page draws every message of every variant; nothing is recorded without it.
        ...(opts.html !== undefined ? { timeline: true } : {}),
      }).finally(() => progress.stop());
      if (opts.html !== undefined) await html.writeHtmlPage(opts.html, renderReportPage(actorDemoPage(report, html.commandLine())));
      if (opts.json) printJson(report);
      else printResult(renderActorDemo(report));
      await stop.finish();
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/random.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../report/actors-demo-page.js')),
    ...(await import('../../report/actors-demo-text.js')),
    ...(await import('../../report/page.js')),
    ...(await import('../../scenarios/actors/demo.js')),
  };
}
