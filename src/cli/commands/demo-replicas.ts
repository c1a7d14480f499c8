import { Option, type Command } from 'commander';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { stopOnSignal } from '../signals.js';

export function register(demo: Command): void {
  demo
    .command('replicas')
    .description('the counter on a shared PostgreSQL or Redis store: the mutex on 1 and on several replicas, each store-level fix, a replica killed mid-burst')
    .option('--store <list>', 'postgres, redis, or their URLs, comma-separated (postgres uses RACELAB_PG_URL, redis RACELAB_REDIS_URL)', 'postgres')
    .option('--replicas <n>', 'server processes in the multi-replica runs', '3')
    .option('--calls <n>', 'increments per run', '120')
    .option('--concurrency <n>', 'calls in flight at once, spread across the replicas', '12')
    .option('--delay <duration>', 'the read-modify-write window', '20ms')
    .option('--max-concurrency <n>', 'handlers at once in each replica', '10')
    .option('--variants <list>', 'store-level fixes to compare (default: every fix of each store)')
    .option('--kill-one', 'also kill -9 one replica in the middle of a burst and count what survived (the default)')
    .option('--no-kill-one', 'skip that run')
    .addOption(new Option('--lock-ttl <duration>', 'Redis caution runs: the lock TTL (default max(300ms, 10 x --delay))'))
    .addOption(new Option('--holder-pause <duration>', 'Redis caution runs: how long a paused holder stalls (default 2 x TTL + 100ms)'))
    .addOption(new Option('--holder-pause-every <n>', 'Redis caution runs: every Nth holding in each replica pauses').default('15'))
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write a self-contained HTML page: every variant side by side, lost updates, calls/s, the kill runs')
    .action(
      async (opts: {
        store: string;
        replicas: string;
        calls: string;
        concurrency: string;
        delay: string;
        maxConcurrency: string;
        variants?: string;
        killOne?: boolean;
        lockTtl?: string;
        holderPause?: string;
        holderPauseEvery: string;
        json?: boolean;
        html?: string;
      }) => {
        const { runReplicasDemo, renderReplicasDemo, parseCount, parseDuration, replicasDemoPage, renderReportPage } = await loadLib();
        const html = await import('../html.js');
        await html.checkHtmlPath(opts.html);
        const stop = stopOnSignal({ quiet: opts.json === true });
        // On a terminal, the demo's last progress line live, with the time spent; piped or --json, nothing.
        const progress = startProgress({ json: opts.json, text: 'starting the replicas' });
        const report = await runReplicasDemo({
          signal: stop.signal,
          store: opts.store,
          replicas: parseCount(opts.replicas, '--replicas', 2, 16),
          calls: parseCount(opts.calls, '--calls', 1, 100_000),
          concurrency: parseCount(opts.concurrency, '--concurrency', 1, 1000),
          delayMs: parseDuration(opts.delay, '--delay', { maxMs: 10_000 }),
          maxConcurrency: parseCount(opts.maxConcurrency, '--max-concurrency', 1, 10_000),
          ...(opts.variants ? { variants: opts.variants.split(',').map((v) => v.trim()).filter(Boolean) } : {}),
          killOne: opts.killOne ?? true,
          ...(opts.html !== undefined ? { keepCalls: true } : {}),
          ...(opts.lockTtl ? { lockTtlMs: parseDuration(opts.lockTtl, '--lock-ttl', { maxMs: 600_000 }) } : {}),
          ...(opts.holderPause ? { holderPauseMs: parseDuration(opts.holderPause, '--holder-pause', { maxMs: 600_000 }) } : {}),
          holderPauseEvery: parseCount(opts.holderPauseEvery, '--holder-pause-every', 1, 1_000_000),
          onProgress: (line) => progress.line(line),
        }).finally(() => progress.stop());
        if (opts.html !== undefined) await html.writeHtmlPage(opts.html, renderReportPage(replicasDemoPage(report, html.commandLine())));
        if (opts.json) printJson(report);
        else printResult(renderReplicasDemo(report));
        await stop.finish();
      },
    );
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/units.js')),
    ...(await import('../../report/page.js')),
    ...(await import('../../report/replicas-demo-page.js')),
    ...(await import('../../report/replicas-demo-text.js')),
    ...(await import('../../scenarios/replicas/demo.js')),
  };
}
