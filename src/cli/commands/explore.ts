import { Option, type Command } from 'commander';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { EXIT_CALL_FAILED } from '../errors.js';
import { untilSignal, exitStatusForSignal } from '../signals.js';
import { addNatsAccessOptions, natsAccess, type NatsAccessFlags } from './agent.js';
import type { AgentShardsOptions } from '../../agents/explore-pool.js';

interface ExploreFlags extends NatsAccessFlags {
  scenario: string;
  variant?: string;
  pattern?: string;
  strategy: string;
  runs: string;
  clients?: string;
  increments?: string;
  delay?: string;
  linearizability?: boolean;
  work?: string;
  senders?: string;
  messages?: string;
  keys?: string;
  consumers?: string;
  crashes?: string;
  ackTimeouts?: string;
  seed?: string;
  depth?: string;
  por: boolean;
  maxSteps?: string;
  timeLimit?: string;
  workers?: string;
  agents?: string;
  agentCount?: string;
  agentSilence?: string;
  signKey?: string;
  subjectPrefix: string;
  json?: boolean;
  html?: string;
}

export function register(program: Command): void {
  addNatsAccessOptions(program
    .command('explore')
    .description('run a workload under a controlled scheduler, one interleaving per run; exit 1 with a replay token when a schedule fails')
    .option('--scenario <name>', 'counter | depth3 | actors | consumer | bank | inventory | checkout | coupon | ratelimit | privilege | session', 'counter')
    .option('--variant <name>', 'counter: vulnerable | mutex | atomic | cas | txn (default vulnerable); bank: vulnerable | mutex-unordered | mutex-ordered | actor | cas | txn; inventory: vulnerable | mutex | cas | txn; checkout: vulnerable | mutex | txn; coupon: vulnerable | mutex | unique-cas | txn; ratelimit: vulnerable | mutex | token-bucket-actor | cas | txn; privilege: vulnerable | mutex | epoch | txn; session: vulnerable | mutex | cas | txn | crash-vulnerable | crash-fixed; actors: a variant of --pattern; consumer: naive | idempotent | concurrent | per-key-ordering, or the producer side dual-write | outbox (default naive)')
    .option('--pattern <name>', 'actors: the actor pattern to explore')
    .addOption(new Option('--strategy <name>', 'how each run picks the next step').choices(['portfolio', 'random', 'pct', 'pos', 'dfs']).default('portfolio'))
    .option('--runs <n>', 'most runs (dfs: most schedules)', '1000')
    .option('--clients <n>', 'counter: concurrent clients (default 2); bank: 1-3 (t1 withdraws, t2 transfers alice->bob, t3 bob->alice); inventory: 1-3 (reserve 2, 2, 1 of 3 widgets); checkout: 1-3 (order-1 sent with one idempotency key); coupon: 1-3 (mallory, mallory, eve); ratelimit: 1-6 calls by mallory, 1 allowed; privilege: 2-3 (action, revoke, action); session: 1-3 (open alice, alice, bob in a pool of 2)')
    .option('--increments <n>', 'counter: increments per client (default 1)')
    .option('--delay <duration>', 'counter and the impact scenarios: the read-modify-write window, in virtual time (default 0ms)')
    .option('--linearizability', 'counter: record each run as a history and let the linearizability checker decide it')
    .option('--work <n>', 'depth3: client k does (k-1) x n store operations of its own before its check-then-act (default 6)')
    .option('--senders <n>', 'actors: concurrent clients (default: the pattern\'s)')
    .option('--messages <n>', 'actors: messages per client (default: the pattern\'s); consumer: messages published (default 2)')
    .option('--keys <n>', 'consumer: keys the messages spread over (default 1)')
    .option('--consumers <n>', "consumer: consumers of the queue (default: the variant's)")
    .option('--crashes <n>', "consumer: most consumer crashes between effect and ack the strategy may place (default: the variant's)")
    .option('--ack-timeouts <n>', 'consumer: most ack waits the strategy may let run out before an ack lands (default 0)')
    .option('--seed <n>', 'seed of the strategy and the workload (default: a fresh one, printed)')
    .option('--depth <d>', 'pct and the portfolio\'s pct runs: the bug depth to target, d-1 priority change points per run (default 3)')
    .option('--no-por', 'dfs: turn partial-order reduction off (explore every interleaving)')
    .option('--max-steps <n>', 'a run longer than this fails as a livelock (default 10000)')
    .option('--time-limit <duration>', 'stop exploring after this long')
    .option('--workers <n>', 'run on n worker threads of this machine (portfolio, random, pct, pos, dfs); the same first failure, shrunk schedule and token as one process (default 1)')
    .option('--agents <url>', 'spread the runs over racelab agents through a JetStream work queue on this NATS server, e.g. nats://host:4222 (portfolio, random, pct, pos, dfs); the same result as one process')
    .option('--agent-count <k>', '--agents: how many agents (default: every idle one that answers)')
    .option('--agent-silence <duration>', '--agents: with shards out, how long every agent may stay silent (no health, no answer to a ping) before they count as gone and the exploration stops with the runs so far; 6s to 1h (default 12s)')
    .option('--sign-key <file>', "--agents: the Ed25519 private key the agents trust (`racelab keygen`)")
    .option('--subject-prefix <prefix>', "--agents: the agents' NATS subject prefix", 'racelab')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write a self-contained HTML page: the smallest failing schedule as lanes per task, the replay command'))
    .action(async (opts: ExploreFlags) => {
      const lib = await loadLib();
      const { runExplore, renderExploreReport, parseCount, parseDuration, RacelabError } = lib;
      const count = (text: string | undefined, what: string, min: number, max: number): number | undefined =>
        text === undefined ? undefined : parseCount(text, what, min, max);
      if (opts.strategy !== 'pct' && opts.strategy !== 'portfolio' && opts.depth !== undefined) throw new RacelabError('BAD_OPTION', '--depth applies to --strategy pct only');
      if (opts.strategy !== 'dfs' && !opts.por) throw new RacelabError('BAD_OPTION', '--no-por applies to --strategy dfs only');
      const workers = count(opts.workers, '--workers', 1, 64);
      const shardPool = await agentShards(opts);
      const html = await import('../html.js');
      await html.checkHtmlPath(opts.html);
      // Ctrl+C: exploring stops between runs; the summary of the runs done is printed with the seed, exit 130.
      const stop = new AbortController();
      let signal: NodeJS.Signals | undefined;
      void untilSignal().then((s) => {
        signal = s;
        stop.abort();
      });
      const runs = parseCount(opts.runs, '--runs', 1, 100_000_000);
      const timeLimitMs = opts.timeLimit === undefined ? undefined : parseDuration(opts.timeLimit, '--time-limit', { maxMs: 86_400_000 });
      const elsewhere = (workers ?? 1) > 1 ? `on ${workers} worker threads` : shardPool ? 'on agents' : undefined;
      // Runs done of --runs (and the time of --time-limit, whichever ends first), counted as each run ends in this
      // thread; runs on workers or agents end elsewhere: then the time spent alone.
      const progress = startProgress({
        json: opts.json,
        ...(elsewhere ? {} : { unit: 'runs', total: runs }),
        ...(timeLimitMs !== undefined ? { forMs: timeLimitMs } : {}),
        text: `exploring ${opts.scenario}${opts.variant ? ` ${opts.variant}` : ''} (${opts.strategy})${elsewhere ? ` ${elsewhere}` : ''}`,
      });
      let checked = 0;
      const report = await runExplore({
        ...(elsewhere ? {} : { onRun: (_run: number, record: { status: string }) => progress.count(record.status === 'abandoned' ? checked : ++checked) }),
        signal: stop.signal,
        scenario: opts.scenario,
        variant: opts.variant,
        pattern: opts.pattern,
        strategy: opts.strategy as 'pct' | 'pos' | 'portfolio' | 'random' | 'dfs',
        runs,
        clients: count(opts.clients, '--clients', 1, 64),
        increments: count(opts.increments, '--increments', 1, 1000),
        delayMs: opts.delay === undefined ? undefined : parseDuration(opts.delay, '--delay', { maxMs: 3_600_000 }),
        linearizability: opts.linearizability,
        work: count(opts.work, '--work', 0, 1000),
        senders: count(opts.senders, '--senders', 1, 1000),
        messages: count(opts.messages, '--messages', 1, 1000),
        keys: count(opts.keys, '--keys', 1, 64),
        consumers: count(opts.consumers, '--consumers', 1, 16),
        crashes: count(opts.crashes, '--crashes', 0, 100),
        ackTimeouts: count(opts.ackTimeouts, '--ack-timeouts', 0, 100),
        seed: count(opts.seed, '--seed', 0, 0xffff_ffff),
        depth: count(opts.depth, '--depth', 1, 50),
        por: opts.por,
        maxSteps: count(opts.maxSteps, '--max-steps', 1, 10_000_000),
        timeLimitMs,
        workers,
        ...(shardPool ? { shardPool } : {}),
      }).finally(() => progress.stop());
      if (opts.html !== undefined) {
        const [{ explorePage }, { renderReportPage }] = await Promise.all([import('../../report/explore-page.js'), import('../../report/page.js')]);
        await html.writeHtmlPage(opts.html, renderReportPage(explorePage(report, html.commandLine())));
      }
      if (opts.json) printJson(report);
      else printResult(renderExploreReport(report));
      if (signal !== undefined) process.exitCode = exitStatusForSignal(signal);
      else if (report.verdict === 'race-found') process.exitCode = 1;
      // Every agent went silent mid-run: the command line was fine, the run could not finish as asked (4, as a
      // failed call), neither bad input (2) nor a verdict on the workload (0, 3).
      else if (report.stopReason === 'workers-lost') process.exitCode = EXIT_CALL_FAILED;
      // As `racelab check` exits for unknown: no failure, but nothing proved either.
      else if (report.verdict === 'inconclusive') process.exitCode = 3;
    });
}


/** --agents: the pool that spreads the exploration's shards over agents; nothing when it runs here. */
async function agentShards(f: ExploreFlags) {
  const options = await agentShardsOptions(f);
  if (!options) return undefined;
  const { openAgentShards } = await import('../../agents/explore-pool.js');
  return (spec: Parameters<NonNullable<Parameters<Lib['runExplore']>[0]['shardPool']>>[0]) =>
    openAgentShards(options, { scenario: spec.scenario as unknown as Parameters<typeof openAgentShards>[1]['scenario'], options: spec.options as Parameters<typeof openAgentShards>[1]['options'] });
}

/** The --agents flags as the pool's options, every one checked before anything connects; undefined without --agents. */
export async function agentShardsOptions(f: Omit<ExploreFlags, 'scenario' | 'strategy' | 'runs' | 'por'>): Promise<AgentShardsOptions | undefined> {
  const [{ RacelabError }, { parseCount, parseDuration }] = await Promise.all([import('../../core/errors.js'), import('../../core/units.js')]);
  if (f.agents === undefined) {
    const stray = f.agentCount !== undefined ? '--agent-count' : f.agentSilence !== undefined ? '--agent-silence' : f.signKey !== undefined ? '--sign-key' : undefined;
    if (stray) throw new RacelabError('BAD_OPTION', `${stray} belongs to --agents; add --agents nats://host:4222`);
    return undefined;
  }
  if (f.workers !== undefined) throw new RacelabError('BAD_OPTION', '--workers: runs on this machine; --agents spreads over agents; give one of them');
  if (!/^(nats|tls):\/\//i.test(f.agents)) throw new RacelabError('BAD_OPTION', `--agents: "${f.agents}" is not a nats:// URL; give e.g. nats://127.0.0.1:4222`);
  const [{ loadPrivateKey }, { checkSilentMs }] = await Promise.all([import('../../agents/envelope.js'), import('../../agents/explore-pool.js')]);
  const agentCount = f.agentCount !== undefined ? parseCount(f.agentCount, '--agent-count', 1, 256) : undefined;
  // parseDuration's own cap is far above the pool's; the pool's limits are checked here, before any connection.
  const silentMs = f.agentSilence !== undefined ? checkSilentMs(parseDuration(f.agentSilence, '--agent-silence', { maxMs: 24 * 3_600_000 })) : undefined;
  if (f.signKey === undefined) throw new RacelabError('BAD_OPTION', '--sign-key: agents run only signed jobs; give the private key whose public half they trust (racelab keygen writes a pair)');
  const signKey = loadPrivateKey(f.signKey);
  return { nats: natsAccess(f.agents, f), signKey, subjectPrefix: f.subjectPrefix, ...(agentCount !== undefined ? { agentCount } : {}), ...(silentMs !== undefined ? { silentMs } : {}) };
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../report/explore-text.js')),
    ...(await import('../../workloads/run-explore.js')),
  };
}
type Lib = Awaited<ReturnType<typeof loadLib>>;
