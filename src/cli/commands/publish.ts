import { Option, type Command } from 'commander';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { stopOnSignal } from '../signals.js';

interface PublishFlags {
  broker?: string;
  subject?: string;
  exchange?: string;
  jetstream?: boolean;
  count: string;
  sync: string;
  connections?: string;
  data?: string;
  flood?: boolean;
  rate?: string;
  duration?: string;
  replies?: boolean;
  replySubject?: string;
  store?: string;
  read?: string;
  invariant?: string;
  settle: string;
  seed?: string;
  prefix: string;
  connectTimeout: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('publish')
    .description('race-test a message consumer: publish a synchronized burst (or a flood) to a subject, then check an invariant over a store or the replies; exit 1 when it fails')
    .option('--broker <spec>', 'nats, rabbitmq (URLs from RACELAB_NATS_URL / RACELAB_AMQP_URL), or a nats:// or amqp:// URL (nats://user:pass@host, nats://token@host)')
    .option('--subject <name>', 'NATS subject, or RabbitMQ routing key (the queue name with the default exchange)')
    .option('--exchange <name>', 'RabbitMQ: the exchange to publish to (default: the default exchange)')
    .option('--jetstream', 'NATS: publish through JetStream; every message is acked by the stream that captures the subject')
    .option('--count <n>', 'messages in the burst', '100')
    .addOption(new Option('--sync <mode>', 'parallel: one connection writes every message at once; connections: one connection per lane, released together').choices(['parallel', 'connections']).default('parallel'))
    .option('--connections <n>', '--sync connections (and --flood): connections to spread the messages over (default: min(count, 16))')
    .option('-d, --data <json>', 'message body, JSON; {{index}} {{client}} {{round}} {{uuid}} are filled per message', '{"index":"{{index}}","id":"{{uuid}}"}')
    .option('--flood', "flood instead of a burst (the seed's message-flooding vector): --rate messages/s (or max) for --duration")
    .option('--rate <r>', '--flood: messages per second, or max')
    .option('--duration <duration>', '--flood: how long (default 5s, at most 5m)')
    .option('--replies', 'collect replies: every message carries a reply-to address made for this run (deleted afterwards); `replies` in the invariant')
    .option('--reply-subject <subject>', 'NATS: collect replies published to this subject (and set it as reply-to)')
    .option('--store <url>', 'a redis:// or postgres:// URL the consumer writes: read before and after (`before`, `after` in the invariant)')
    .option('--read <what>', '--store: the Redis key (GET) or the PostgreSQL query (first column of the first row) to read')
    .option('--invariant <expr>', 'must hold once the consumer settled (default: after - before == published, size(replies) == published)')
    .option('--settle <duration>', 'longest wait after publishing for the store and replies to settle', '3s')
    .option('--seed <n>', 'seed for {{uuid}}')
    .option('--prefix <name>', 'first word of every name the run makes (reply subject, reply queue)', 'racelab')
    .option('--connect-timeout <duration>', 'how long connecting may take', '5s')
    .option('--json', 'print the report as JSON')
    .action(async (f: PublishFlags) => {
      const lib = await loadLib();
      const bad = (message: string): never => {
        throw new lib.RacelabError('BAD_OPTION', message);
      };
      if (!f.broker) bad('--broker: say which broker, e.g. --broker nats://127.0.0.1:4222 or --broker amqp://guest:guest@127.0.0.1:5672');
      if (!f.subject) bad('--subject: say where to publish, e.g. --subject orders.created (NATS) or --subject orders (a RabbitMQ queue)');
      if (!f.flood && (f.rate || f.duration)) bad('--rate and --duration belong to --flood; add --flood');
      if (Boolean(f.store) !== Boolean(f.read)) bad(f.store ? '--read: say what to read from --store (a Redis key or a PostgreSQL query)' : '--read needs --store (the redis:// or postgres:// URL to read it from)');
      let data: unknown;
      try {
        data = JSON.parse(f.data as string) as unknown;
      } catch (e) {
        bad(`--data: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      }
      const rate = f.rate === undefined || f.rate === 'max' ? 'max' : lib.parseCount(f.rate, '--rate', 1, lib.PUBLISH_LIMITS.maxFloodRate);
      const stop = stopOnSignal({ quiet: f.json === true, says: 'deleting what this run created' });
      const floodMs = f.flood ? lib.parseDuration(f.duration ?? '5s', '--duration', { maxMs: lib.PUBLISH_LIMITS.maxFloodDurationMs }) : undefined;
      // On a terminal, the last step live (a flood: the time spent of --duration); piped or --json, nothing.
      const progress = startProgress({ json: f.json, ...(floodMs !== undefined ? { forMs: floodMs } : {}), text: 'connecting to the broker' });
      const report = await lib.runPublish({
        broker: f.broker as string,
        subject: f.subject as string,
        ...(f.exchange !== undefined ? { exchange: f.exchange } : {}),
        ...(f.jetstream ? { jetstream: true } : {}),
        count: lib.parseCount(f.count, '--count', 1, lib.PUBLISH_LIMITS.maxCount),
        sync: f.sync as 'parallel' | 'connections',
        ...(f.connections !== undefined ? { connections: lib.parseCount(f.connections, '--connections', 1, lib.PUBLISH_LIMITS.maxConnections) } : {}),
        data,
        ...(floodMs !== undefined ? { flood: { rate, durationMs: floodMs } } : {}),
        ...(f.replies ? { replies: true } : {}),
        ...(f.replySubject !== undefined ? { replySubject: f.replySubject } : {}),
        ...(f.store && f.read ? { store: { url: f.store, read: f.read } } : {}),
        ...(f.invariant !== undefined ? { invariant: f.invariant } : {}),
        settleMs: lib.parseDuration(f.settle, '--settle', { maxMs: lib.PUBLISH_LIMITS.maxSettleMs }),
        ...(f.seed !== undefined ? { seed: lib.parseCount(f.seed, '--seed', 0, 0xffff_ffff) } : {}),
        prefix: f.prefix,
        connectTimeoutMs: lib.parseDuration(f.connectTimeout, '--connect-timeout', { maxMs: 60_000 }),
        signal: stop.signal,
        onProgress: (line) => progress.line(line),
      }).finally(() => progress.stop());
      if (f.json) printJson(report);
      else printResult(lib.renderPublishReport(report));
      if ((await stop.finish()) === undefined && report.verdict === 'violated') process.exitCode = 1;
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../report/publish-text.js')),
    ...(await import('../../scenarios/publish/run.js')),
  };
}
