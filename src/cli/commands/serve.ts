import { Option, type Command } from 'commander';
import { printProgress, printResult } from '../output.js';
import { plural } from '../../core/units.js';
import { untilSignal } from '../signals.js';
import { checkHost } from '../files.js';

interface ServeOptions {
  scenario: string;
  variant: string;
  host: string;
  port: string;
  delay: string;
  maxConcurrency: string;
  store: string;
  replicas: string;
  lockTtl?: string;
  holderPause?: string;
  holderPauseEvery?: string;
  supervised?: boolean;
  metrics?: string;
  checkKey?: string;
  checkWindow?: string;
  checkBudget?: string;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description("run the seed's Counter gRPC service, or an impact scenario's (--scenario), with one variant's handlers (Ctrl+C stops it)")
    .option('--scenario <name>', 'counter (the seed\'s Counter) | bank | inventory | checkout | coupon | ratelimit | privilege | session', 'counter')
    .option(
      '--variant <name>',
      'counter: vulnerable | mutex | atomic | cas | txn | pg-read-write | pg-atomic | pg-for-update | pg-serializable | pg-version | pg-advisory | redis-get-set | redis-incr | redis-watch | redis-lua | redis-lock | redis-lock-fencing; ' +
        'bank: vulnerable | mutex-unordered | mutex-ordered | actor | cas | txn | pg-for-update | pg-conditional | redis-lua; ' +
        'inventory: vulnerable | mutex | cas | txn | pg-conditional | redis-lua; checkout: vulnerable | mutex | txn | pg-unique | redis-lua; ' +
        'coupon: vulnerable | mutex | unique-cas | txn | pg-unique-atomic | redis-lua; ratelimit: vulnerable | mutex | token-bucket-actor | cas | txn | redis-lua; ' +
        'privilege: vulnerable | mutex | epoch | txn; session: vulnerable | mutex | cas | txn | pg-conditional | redis-lua, ' +
        'and crash-vulnerable | crash-fixed (the session table in a supervised process: a crashed one answers UNAVAILABLE; memory store, one process); ' +
        'pg-* need --store postgres://…, redis-* --store redis://…',
      'vulnerable',
    )
    .option('--host <host>', 'address to bind', 'localhost')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '50051')
    .option('--delay <duration>', 'the read-modify-write window, e.g. 500ms', '500ms')
    .option('--max-concurrency <n>', 'handlers running at once, like the seed\'s max_workers', '10')
    .addOption(
      new Option('--store <spec>', 'memory | postgres://user@host:5432/db | redis://host:6379 (add ?namespace=name to keep runs apart)')
        .default('memory')
        // Replicas get the URL this way, so a password never shows in `ps`.
        .env('RACELAB_STORE'),
    )
    .option('--replicas <n>', 'server processes on consecutive ports, sharing --store (postgres:// or redis://)', '1')
    .option('--lock-ttl <duration>', 'redis-lock*: the lock\'s time to live (default max(1s, 4 x --delay))')
    .option('--holder-pause <duration>', 'redis-lock*: simulate a lock holder stalled this long between its read and its write')
    .option('--holder-pause-every <n>', 'redis-lock*: every Nth lock holding in each server pauses', '1')
    .option('--metrics <address>', 'watch the handlers with the race monitor and serve Prometheus metrics at http://ADDRESS/metrics (:9464 is loopback)')
    .option('--check-key <key>', '--metrics: also check this key\'s history for linearizability while serving, window by window (the counter\'s key: counter); verdicts on racelab_monitor_linearizability_windows_total')
    .option('--check-window <n>', '--check-key: requests of the key per window, 2 to 1000 (default 32)')
    .option('--check-budget <duration>', '--check-key: time one window\'s check may take (it holds the event loop), up to 1s; over it the window is unknown (default 20ms)')
    .addOption(new Option('--supervised', 'print JSON events and stop when stdin closes (replicas started by racelab)').hideHelp())
    .action(async (opts: ServeOptions) => {
      if (opts.scenario !== 'counter') {
        if (opts.checkKey !== undefined) throw new (await import('../../core/errors.js')).RacelabError('BAD_OPTION', `--check-key: the online check watches the counter scenario, not --scenario ${opts.scenario}`);
        await serveScenario(opts);
        return;
      }
      const [{ startCounterServer }, { parseDuration, parseCount, parsePort }, { counterVariant, checkVariantStore }, { formatCounterStats }] = await Promise.all([
        import('../../scenarios/counter/server.js'),
        import('../../core/units.js'),
        import('../../scenarios/counter/registry.js'),
        import('../../report/counter-stats.js'),
      ]);
      const variant = counterVariant(opts.variant);
      checkVariantStore(opts.variant, opts.store);
      const online = await onlineCheckOptions(opts, variant);
      await checkHost(opts.host, '--host');
      const replicas = parseCount(opts.replicas, '--replicas', 1, 64);
      const lock = {
        ...(opts.lockTtl !== undefined ? { ttlMs: parseDuration(opts.lockTtl, '--lock-ttl', { maxMs: 600_000 }) } : {}),
        ...(opts.holderPause !== undefined
          ? {
              holderPauseMs: parseDuration(opts.holderPause, '--holder-pause', { maxMs: 600_000 }),
              holderPauseEvery: parseCount(opts.holderPauseEvery ?? '1', '--holder-pause-every', 0, 1_000_000),
            }
          : {}),
      };
      if (replicas > 1) {
        if (opts.metrics !== undefined) throw new (await import('../../core/errors.js')).RacelabError('BAD_OPTION', '--metrics: watches one server process; drop --replicas or run each replica with its own --metrics');
        await serveReplicas(opts, replicas, lock);
        return;
      }
      // The metrics listener first: a port in use is one line before the gRPC server starts.
      const watch = opts.metrics !== undefined ? await startMetrics(opts.metrics, online) : undefined;
      const server = await startCounterServer({
        ...(watch ? { monitor: watch.monitor } : {}),
        variant: opts.variant,
        host: opts.host,
        port: parsePort(opts.port),
        delayMs: parseDuration(opts.delay, '--delay', { maxMs: 60_000 }),
        maxConcurrency: parseCount(opts.maxConcurrency, '--max-concurrency', 1, 10_000),
        store: opts.store,
        lock,
      }).catch(async (e: unknown) => {
        await watch?.endpoint.close();
        throw e;
      });
      if (opts.supervised) {
        await serveSupervised(server);
        await watch?.endpoint.close();
        return;
      }
      printResult(`Starting ${opts.variant} gRPC server on ${server.target} (delay ${opts.delay}, max concurrency ${opts.maxConcurrency}, store ${server.store.description})`);
      if (watch) printResult(`Race monitor: Prometheus metrics at ${watch.endpoint.url}; one JSON line per suspect on stderr${online ? `; key ${online.key} checked online in windows of ${online.windowOps} requests (${online.budgetMs}ms each)` : ''}`);
      const signal = await untilSignal();
      printProgress(`${signal}: shutting down (calls in flight get 2s to finish)`);
      await server.close(2000);
      const c = watch?.monitor.online?.counts;
      await stopMetrics(watch, c ? `; key ${watch!.monitor.online!.key} checked online: ${plural(c.ok + c.illegal + c.unknown, 'window')} judged (${c.ok} linearizable, ${c.illegal} illegal, ${c.unknown} unknown), ${c.skipped} skipped` : '');
      const cost = formatCounterStats(server.service.stats);
      printResult(`Server stopped.${cost ? ` Handlers: ${cost}.` : ''}`);
    });
}

/** The counter's keys: the online check of any other would see no request. */
const COUNTER_KEYS = ['counter'];

/** --check-key and its companions, checked before anything listens; undefined without --check-key. */
async function onlineCheckOptions(opts: ServeOptions, variant: { readonly requires?: string }): Promise<{ key: string; windowOps: number; budgetMs: number } | undefined> {
  const [{ RacelabError }, { parseCount, parseDuration }] = await Promise.all([import('../../core/errors.js'), import('../../core/units.js')]);
  if (opts.checkKey === undefined) {
    const stray = opts.checkWindow !== undefined ? '--check-window' : opts.checkBudget !== undefined ? '--check-budget' : undefined;
    if (stray) throw new RacelabError('BAD_OPTION', `${stray} belongs to --check-key; add --check-key counter`);
    return undefined;
  }
  if (opts.metrics === undefined) throw new RacelabError('BAD_OPTION', '--check-key: the online check reports on the race monitor\'s metrics; add --metrics :9464');
  if (!COUNTER_KEYS.includes(opts.checkKey)) throw new RacelabError('BAD_OPTION', `--check-key: the counter keeps its value under key ${COUNTER_KEYS.join(', ')}, not "${opts.checkKey}"; give --check-key counter`);
  // The check sees the values through racelab's Store; these variants talk to their database directly.
  if (variant.requires !== undefined) throw new RacelabError('BAD_OPTION', `--check-key: variant ${opts.variant} uses ${variant.requires} directly, where the monitor cannot see the values; use a variant on --store (vulnerable, mutex, atomic, cas, txn)`);
  const windowOps = opts.checkWindow !== undefined ? parseCount(opts.checkWindow, '--check-window', 2, 1000) : 32;
  const budgetMs = opts.checkBudget !== undefined ? parseDuration(opts.checkBudget, '--check-budget', { maxMs: 1000 }) : 20;
  if (!(budgetMs > 0)) throw new RacelabError('BAD_DURATION', `--check-budget: ${opts.checkBudget} leaves no time to check; give e.g. 20ms`);
  return { key: opts.checkKey, windowOps, budgetMs };
}

async function startMetrics(spec: string, linearizability: { key: string; windowOps: number; budgetMs: number } | undefined) {
  const [{ raceMonitor }, { serveMetrics, parseListenAddress }] = await Promise.all([import('../../monitor/monitor.js'), import('../../monitor/http.js')]);
  const { pino } = await import('pino');
  const address = parseListenAddress(spec, '--metrics');
  const monitor = raceMonitor({ logger: pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true })), ...(linearizability ? { linearizability } : {}) });
  const endpoint = await serveMetrics(monitor, address, '--metrics');
  return { monitor, endpoint };
}

/** Closes the metrics listener and prints the monitor's closing line: its counts, then `tail`. */
async function stopMetrics(watch: Awaited<ReturnType<typeof startMetrics>> | undefined, tail: string): Promise<void> {
  if (!watch) return;
  await watch.endpoint.close();
  printResult(`Race monitor: ${plural(watch.monitor.counts.requests, 'request')}, ${plural(watch.monitor.counts.suspectedLostUpdates, 'suspected lost update')}${tail}.`);
}

/** `--scenario bank` (and the other impact scenarios): the same host, the scenario's service and variants. */
async function serveScenario(opts: ServeOptions): Promise<void> {
  const [{ startScenarioServer }, { impactScenario }, { checkServedVariant }, { parseDuration, parseCount, parsePort }, { RacelabError }] = await Promise.all([
    import('../../scenarios/impacts/server.js'),
    import('../../scenarios/impacts/registry.js'),
    import('../../scenarios/impacts/scenario.js'),
    import('../../core/units.js'),
    import('../../core/errors.js'),
  ]);
  const scenario = impactScenario(opts.scenario);
  for (const [flag, given] of [['--lock-ttl', opts.lockTtl], ['--holder-pause', opts.holderPause]] as const) {
    if (given !== undefined) throw new RacelabError('BAD_OPTION', `${flag} applies to the counter's redis-lock variants, not to --scenario ${scenario.name}`);
  }
  const replicas = parseCount(opts.replicas, '--replicas', 1, 64);
  checkServedVariant(scenario, opts.variant, opts.store, replicas);
  if (replicas > 1) {
    if (opts.metrics !== undefined) throw new RacelabError('BAD_OPTION', '--metrics: watches one server process; drop --replicas or run each replica with its own --metrics');
    await serveReplicas(opts, replicas, {});
    return;
  }
  const delayMs = parseDuration(opts.delay, '--delay', { maxMs: 60_000 });
  const maxConcurrency = parseCount(opts.maxConcurrency, '--max-concurrency', 1, 10_000);
  const port = parsePort(opts.port);
  // The metrics listener first, as for the counter: a port in use is one line before the gRPC server starts.
  const watch = opts.metrics !== undefined ? await startMetrics(opts.metrics, undefined) : undefined;
  const server = await startScenarioServer({
    scenario: scenario.name,
    variant: opts.variant,
    host: opts.host,
    port,
    delayMs,
    maxConcurrency,
    store: opts.store,
    ...(watch ? { monitor: watch.monitor } : {}),
  }).catch(async (e: unknown) => {
    await watch?.endpoint.close();
    throw e;
  });
  if (opts.supervised) {
    await serveSupervised(server);
    await watch?.endpoint.close();
    return;
  }
  printResult(`Starting ${scenario.name} ${opts.variant} gRPC server (${scenario.service}) on ${server.target} (delay ${opts.delay}, max concurrency ${opts.maxConcurrency}, store ${server.store.description})`);
  if (watch) printResult(`Race monitor: Prometheus metrics at ${watch.endpoint.url}; one JSON line per suspect on stderr`);
  const signal = await untilSignal();
  printProgress(`${signal}: shutting down (calls in flight get 2s to finish)`);
  await server.close(2000);
  // "0 suspects" means something only if the monitor saw the handlers' reads and writes: a variant that keeps
  // its state past the Store port (an actor, a SQL transaction, a Lua script) shows none, and the line says so.
  const seen = server.storeUse?.seen ?? 0;
  await stopMetrics(watch, seen === 0 ? ' (it saw no read or write of the Store: this variant keeps its state where the monitor cannot see, so no suspect says nothing)' : `, from ${plural(seen, 'read and write', 'reads and writes')} of the Store`);
  printResult(`Server stopped. Handlers: ${JSON.stringify(server.service.stats)}.`);
}

type RunningCounterServer = Awaited<ReturnType<typeof import('../../scenarios/counter/server.js').startCounterServer>>;

/**
 * One replica under a racelab parent: JSON events on stdout instead of prose, and a stop on SIGTERM or when
 * stdin closes (the parent is gone, even if it was killed with -9), reporting the handlers' stats.
 */
async function serveSupervised(server: Pick<RunningCounterServer, 'target' | 'port' | 'store' | 'close'> & { service: { stats: object } }): Promise<void> {
  printJson1({ event: 'listening', target: server.target, port: server.port, pid: process.pid, store: server.store.description });
  const parentGone = new Promise<string>((resolve) => {
    process.stdin.once('end', () => resolve('stdin closed'));
    process.stdin.once('error', () => resolve('stdin closed'));
    process.stdin.resume();
  });
  // Ctrl+C in a terminal reaches the whole process group; the parent answers it by sending SIGTERM to every
  // replica, so a replica ignores SIGINT and the parent sees its replicas stop only when it asked them to.
  for (;;) {
    const why = await Promise.race([untilSignal(), parentGone]);
    if (why !== 'SIGINT') break;
  }
  await server.close(2000);
  printJson1({ event: 'stopped', stats: server.service.stats });
}

function printJson1(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** `--replicas R`: R supervised `racelab serve` processes sharing the store; Ctrl+C or SIGTERM stops them all. */
async function serveReplicas(opts: ServeOptions, replicas: number, lock: { ttlMs?: number; holderPauseMs?: number; holderPauseEvery?: number }): Promise<void> {
  const [{ startReplicaSet }, { mergeCounterStats }, { formatCounterStats }, { openStore }, { parseDuration, parseCount, parsePort }] = await Promise.all([
    import('../../scenarios/replicas/replica-set.js'),
    import('../../scenarios/replicas/stats.js'),
    import('../../report/counter-stats.js'),
    import('../../store/open.js'),
    import('../../core/units.js'),
  ]);
  // Open the store here first: an unreachable server or bad credentials fail once, with one line, before any
  // process starts; it also creates the schema before the replicas race to.
  const store = await openStore(opts.store);
  const description = store.description;
  await store.close();
  const set = await startReplicaSet({
    replicas,
    scenario: opts.scenario,
    variant: opts.variant,
    store: opts.store,
    host: opts.host,
    port: parsePort(opts.port),
    delayMs: parseDuration(opts.delay, '--delay', { maxMs: 60_000 }),
    maxConcurrency: parseCount(opts.maxConcurrency, '--max-concurrency', 1, 10_000),
    lock,
    onUnexpectedExit: (r, result) => printProgress(`replica ${r.index + 1} on ${r.target} exited unexpectedly (${result.signal ?? `code ${result.code}`}); the others keep serving`),
  });
  printResult(`Starting ${replicas} ${opts.variant} gRPC server processes sharing ${description} (delay ${opts.delay}, max concurrency ${opts.maxConcurrency} each):`);
  for (const r of set.replicas) printResult(`  replica ${r.index + 1}: ${r.target} (pid ${r.pid})`);
  printResult(`Spread calls across them: racelab client --targets ${set.targets.join(',')}`);
  const why = await Promise.race([untilSignal(), set.allExited.then(() => 'every replica exited' as const)]);
  printProgress(`${why}: stopping ${plural(replicas, 'replica')} (calls in flight get 2s to finish)`);
  const exits = await set.stop(2000);
  const stats = mergeCounterStats(exits.map((e) => e.stats));
  const cost = formatCounterStats(stats);
  printResult(`Replicas stopped.${cost ? ` Handlers across replicas: ${cost}.` : ''}`);
}

