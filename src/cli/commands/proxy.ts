import type { Command } from 'commander';
import { printJson, printProgress, printResult } from '../output.js';
import { untilSignal } from '../signals.js';

interface ProxyOptions {
  listen: string;
  target: string;
  delay: string;
  jitter: string;
  mss: string;
  seed?: string;
  maxQueued: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('proxy')
    .description('a TCP proxy that emulates a WAN path: MSS-sized segments, each released after a seeded delay (Ctrl+C stops it)')
    .requiredOption('--listen <[host]:port>', 'where to listen (:0 picks a free port; the host defaults to 127.0.0.1)')
    .requiredOption('--target <host:port>', 'the service behind the proxy')
    .option('--delay <duration>', 'one-way delay added to every segment, each direction', '20ms')
    .option('--jitter <duration>', 'extra random delay per segment, uniform in [0, jitter)', '5ms')
    .option('--mss <bytes>', 'largest segment forwarded (1460 = Ethernet)', '1460')
    .option('--seed <n>', 'seed of the delay schedules (printed when not given, to replay a run)')
    .option('--max-queued <bytes>', 'bytes held per direction of a connection before the sender is paused (acts as the path\'s window)', '1048576')
    .option('--json', 'print the final stats as JSON')
    .action(async (opts: ProxyOptions) => {
      const { startJitterProxy, parseHostPort, parseDuration, parseCount, renderProxyStats, RacelabError } = await loadLib();
      const listen = parseHostPort(opts.listen, '--listen', { defaultHost: '127.0.0.1', minPort: 0 });
      const target = parseHostPort(opts.target, '--target');
      const duration = (text: string, what: string): number => {
        if (text.trim().startsWith('-')) throw new RacelabError('BAD_DURATION', `${what}: "${text}" is negative; a delay is 0 or more, e.g. 5ms`);
        return parseDuration(text, what, { maxMs: 60_000 });
      };
      const delayMs = duration(opts.delay, '--delay');
      const jitterMs = duration(opts.jitter, '--jitter');
      const mss = parseCount(opts.mss, '--mss', 1, 65535);
      const seed = opts.seed !== undefined ? parseCount(opts.seed, '--seed', 0, 0xffffffff) : undefined;
      const maxQueuedBytes = parseCount(opts.maxQueued, '--max-queued', mss, 1024 * 1024 * 1024);
      const proxy = await startJitterProxy({
        listenHost: listen.host,
        listenPort: listen.port,
        target: opts.target.trim(),
        delayMs,
        jitterMs,
        mss,
        maxQueuedBytes,
        ...(seed !== undefined ? { seed } : {}),
      });
      // Waiting for Ctrl+C / SIGTERM from the moment it says it is up: one during the probe below stops it gracefully too.
      const signalled = untilSignal();
      const s = proxy.stats();
      printProgress(
        `Proxying ${s.listen} → ${s.target} (delay ${opts.delay} + jitter up to ${opts.jitter} per segment, MSS ${mss}, seed ${proxy.seed}); Ctrl+C stops it`,
      );
      if (!(await answers(target.host, target.port))) {
        printProgress(`warning: nothing answers at ${s.target} yet; connections will be reset until it does`);
      }
      const signal = await signalled;
      await proxy.close();
      const stats = proxy.stats();
      printProgress(`${signal}: proxy stopped, every connection closed`);
      if (opts.json) printJson(stats);
      else printResult(renderProxyStats(stats));
    });
}

/** One probe dial, so a mistyped target is reported at start rather than as a reset on the first connection. */
async function answers(host: string, port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../proxy/address.js')),
    ...(await import('../../proxy/jitter-proxy.js')),
    ...(await import('../../proxy/render-stats.js')),
  };
}
