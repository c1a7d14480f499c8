import type { Command } from 'commander';
import { printProgress, printResult } from '../output.js';
import { untilSignal } from '../signals.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description("run the seed's Counter gRPC service with one variant's handlers (Ctrl+C stops it)")
    .option('--variant <name>', 'vulnerable | mutex | atomic | cas | txn', 'vulnerable')
    .option('--host <host>', 'address to bind', 'localhost')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '50051')
    .option('--delay <duration>', 'the read-modify-write window, e.g. 500ms', '500ms')
    .option('--max-concurrency <n>', 'handlers running at once, like the seed\'s max_workers', '10')
    .option('--store <spec>', 'memory', 'memory')
    .action(async (opts: { variant: string; host: string; port: string; delay: string; maxConcurrency: string; store: string }) => {
      const { startCounterServer, parseDuration, parseCount, parsePort, counterVariant } = await import('../../index.js');
      counterVariant(opts.variant);
      const server = await startCounterServer({
        variant: opts.variant,
        host: opts.host,
        port: parsePort(opts.port),
        delayMs: parseDuration(opts.delay, '--delay', { maxMs: 60_000 }),
        maxConcurrency: parseCount(opts.maxConcurrency, '--max-concurrency', 1, 10_000),
        store: opts.store,
      });
      printResult(`Starting ${opts.variant} gRPC server on ${server.target} (delay ${opts.delay}, max concurrency ${opts.maxConcurrency}, store ${server.store.description})`);
      const signal = await untilSignal();
      printProgress(`${signal}: shutting down (calls in flight get 2s to finish)`);
      await server.close(2000);
      printResult('Server stopped.');
    });
}
