import type { Command } from 'commander';
import { ensureWritableFile } from '../files.js';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { stopOnSignal } from '../signals.js';

export function register(demo: Command): void {
  demo
    .command('grpc', { isDefault: true })
    .description("the seed's gRPC counter: vulnerable vs mutex server, hit by concurrent client processes")
    .option('--clients <n>', 'client processes run at once', '4')
    .option('--increments <n>', 'increments per client', '10')
    .option('--delay <duration>', 'the read-modify-write window', '100ms')
    .option('--variants <list>', 'comma-separated counter variants to compare', 'vulnerable,mutex')
    .option('--store <spec>', "the server's store: memory, postgres, redis (URLs from RACELAB_PG_URL / RACELAB_REDIS_URL) or a URL; each variant runs on a fresh namespace", 'memory')
    .option('--json', 'print the report as JSON')
    .option('--monitor', 'watch each server with the race monitor: its suspected lost updates join the table, one log line each on stderr')
    .option('--html <file>', 'also write a self-contained HTML page: the variants side by side, every call on a timeline, latencies')
    .option('--record <file>', 'record every call as a history for racelab check (several variants: file.<variant>.jsonl)')
    // `grpc` is demo's default subcommand: `racelab demo nope` lands here, and is named as an unknown demo.
    .allowExcessArguments(true)
    .action(async (opts: { clients: string; increments: string; delay: string; variants: string; store: string; json?: boolean; record?: string; monitor?: boolean; html?: string }, cmd: Command) => {
      const { runGrpcDemo, renderGrpcDemo, parseCount, parseDuration, grpcDemoPage, renderReportPage, RacelabError } = await loadLib();
      const { checkHtmlPath, writeHtmlPage, commandLine } = await import('../html.js');
      const [name] = cmd.args;
      if (name !== undefined) {
        const names = demo.commands.map((c) => c.name());
        throw new RacelabError('BAD_OPTION', `demo: "${name}" is not a demo; run one of ${names.join(', ')}, e.g. racelab demo ${names[0]}`);
      }
      const clients = parseCount(opts.clients, '--clients', 1, 64);
      const increments = parseCount(opts.increments, '--increments', 1, 10_000);
      const delayMs = parseDuration(opts.delay, '--delay', { maxMs: 10_000 });
      // Several variants write file.<variant>.jsonl beside it: the same folder.
      if (opts.record !== undefined) await ensureWritableFile(opts.record, '--record');
      await checkHtmlPath(opts.html);
      const stop = stopOnSignal({ quiet: opts.json === true });
      // On a terminal, the demo's last progress line live, with the time spent; piped or --json, nothing. Not with
      // --monitor: its log lines go to the same terminal, and a live line would be drawn into them.
      const progress = startProgress({ json: opts.json || opts.monitor, text: 'starting the servers' });
      const report = await runGrpcDemo({
        signal: stop.signal,
        ...(opts.html !== undefined ? { keepCalls: true } : {}),
        clients,
        increments,
        delayMs,
        variants: opts.variants.split(',').map((v) => v.trim()).filter(Boolean),
        store: opts.store,
        onProgress: (line) => progress.line(line),
        ...(opts.record !== undefined ? { record: opts.record } : {}),
        ...(opts.monitor ? { monitor: { logger: (await import('pino')).pino({ level: 'warn' }, (await import('pino')).pino.destination({ fd: 2, sync: true })) } } : {}),
      }).finally(() => progress.stop());
      if (opts.html !== undefined) await writeHtmlPage(opts.html, renderReportPage(grpcDemoPage(report, commandLine())));
      if (opts.json) printJson(report);
      else printResult(renderGrpcDemo(report));
      await stop.finish();
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../report/grpc-demo-page.js')),
    ...(await import('../../report/grpc-demo-text.js')),
    ...(await import('../../report/page.js')),
    ...(await import('../../scenarios/counter/demo.js')),
  };
}
