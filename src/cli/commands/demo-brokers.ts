import { Option, type Command } from 'commander';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { stopOnSignal } from '../signals.js';

interface BrokersFlags {
  broker: string;
  store: string;
  variants?: string;
  messages: string;
  crashes: string;
  pauses: string;
  restarts: string;
  seed?: string;
  window: string;
  ackWait: string;
  prefix: string;
  killProcesses?: boolean;
  json?: boolean;
}

export function register(demo: Command): void {
  demo
    .command('brokers')
    .description('consumers on a message broker: a consumer killed between effect and ack, two consumers of one key, and the fixes, counted')
    .addOption(new Option('--broker <spec>', 'memory, nats, rabbitmq (URLs from RACELAB_NATS_URL / RACELAB_AMQP_URL), or a nats:// or amqp:// URL').default('memory'))
    .option('--store <spec>', 'memory, postgres, redis (URLs from RACELAB_PG_URL / RACELAB_REDIS_URL) or a URL; each variant runs on a fresh namespace', 'memory')
    .option('--variants <list>', 'comma-separated: naive, idempotent, concurrent, per-key-ordering (default: all)')
    .option('--messages <n>', 'messages per variant', '40')
    .option('--crashes <n>', 'naive and idempotent: consumers killed between effect and ack (seeded messages)', '5')
    .option('--pauses <n>', 'naive and idempotent: acks held past the ack wait, with two consumers so the other gets the message meanwhile (memory or nats)', '0')
    .option('--restarts <n>', 'kill (SIGKILL) and restart the broker n times per variant: a private nats-server on a loopback port (nats only)', '0')
    .option('--seed <n>', 'seed of the fault plan (default: a fresh one, printed)')
    .option('--window <duration>', 'the read-modify-write window of concurrent and per-key-ordering', '5ms')
    .option('--ack-wait <duration>', 'how long the broker waits for an ack before redelivering (JetStream ack_wait)', '1s')
    .option('--prefix <name>', 'first word of every stream, queue and exchange name the run creates', 'racelab')
    .option('--kill-processes', 'naive and idempotent: each consumer a process of its own, killed with SIGKILL between effect and ack (needs nats or rabbitmq, and --store postgres or redis)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: BrokersFlags) => {
      const { runBrokerDemo, renderBrokerDemo, parseCount, parseDuration, Random } = await loadLib();
      const stop = stopOnSignal({ quiet: opts.json === true, says: 'deleting what this run created' });
      // On a terminal, the demo's last progress line live, with the time spent; piped or --json, nothing.
      const progress = startProgress({ json: opts.json, text: 'connecting to the broker' });
      const report = await runBrokerDemo({
        broker: opts.broker,
        store: opts.store,
        ...(opts.variants !== undefined ? { variants: opts.variants.split(',').map((v) => v.trim()).filter(Boolean) } : {}),
        messages: parseCount(opts.messages, '--messages', 1, 100_000),
        crashes: parseCount(opts.crashes, '--crashes', 0, 100_000),
        pauses: parseCount(opts.pauses, '--pauses', 0, 100_000),
        restarts: parseCount(opts.restarts, '--restarts', 0, 1000),
        seed: opts.seed === undefined ? Random.freshSeed() : parseCount(opts.seed, '--seed', 0, 0xffff_ffff),
        windowMs: parseDuration(opts.window, '--window', { maxMs: 10_000 }),
        ackWaitMs: parseDuration(opts.ackWait, '--ack-wait', { maxMs: 600_000 }),
        prefix: opts.prefix,
        killProcesses: opts.killProcesses === true,
        signal: stop.signal,
        onProgress: (line) => progress.line(line),
      }).finally(() => progress.stop());
      if (opts.json) printJson(report);
      else printResult(renderBrokerDemo(report));
      await stop.finish();
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/random.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../scenarios/consumer/demo.js')),
  };
}
