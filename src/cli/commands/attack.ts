import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AttackEndpointOptions, AttackOptions } from '../../attack/report.js';
import { flagWords } from '../errors.js';
import { addMetadataOption } from '../metadata-option.js';
import { printJson, printProgress, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { untilSignal, exitStatusForSignal } from '../signals.js';
import { addNatsAccessOptions, natsAccess, type NatsAccessFlags } from './agent.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface AttackFlags extends NatsAccessFlags {
  target?: string;
  proto?: string[];
  importPath?: string[];
  call?: string[];
  count?: string;
  data?: string[];
  dataFile?: string[];
  metadata?: string[];
  sync?: string;
  connections?: string;
  processes?: string;
  mss: string;
  rounds?: string;
  pause: string;
  settle?: string;
  setupCall?: string;
  setupData?: string;
  before?: string;
  beforeData?: string;
  after?: string;
  afterData?: string;
  invariant?: string;
  scenario?: string;
  deadline: string;
  connectTimeout: string;
  tls?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  record?: string;
  seed?: string;
  flood?: boolean;
  rate?: string;
  duration?: string;
  concurrency?: string;
  json?: boolean;
  html?: string;
  agents?: string;
  agentCount?: string;
  signKey?: string;
  subjectPrefix: string;
  offsetCorrection: boolean;
}

export function register(program: Command): void {
  const attack = program
    .command('attack')
    .description('race-test any gRPC service: fire synchronized bursts, check an invariant, exit 1 when a race is found or the bursts took the target down, 3 when inconclusive')
    .option('--target <host:port>', 'the gRPC server to attack')
    .option('--proto <file>', '.proto file with the service (repeatable); server reflection when absent', collect)
    .option('-I, --import-path <dir>', 'folder to resolve proto imports from (repeatable)', collect)
    .option('--call <method>', 'method to burst: Service/Method[=COUNT][@OFFSET], e.g. shop.Coupons/Cancel=1@2ms (repeatable)', collect)
    .option('--count <n>', 'calls per burst for each --call without =COUNT (default 20, at most 1000 in all)')
    .option('-d, --data <json>', 'request JSON; one for all calls or one per --call, in order; {{index}} {{client}} {{round}} {{uuid}} are filled per call', collect)
    .option('--data-file <file>', 'request JSON from a file (instead of --data; same pairing)', collect);
  addMetadataOption(attack, 'metadata header sent with every call');
  addNatsAccessOptions(attack
    .option('--sync <mode>', 'sequential | parallel | connections | processes | last-frame (default: last-frame; for --flood, parallel)')
    .option('--connections <n>', '--sync connections: connections to spread a burst over (default: one per call, at most 256)')
    .option('--processes <n>', '--sync processes: OS processes (default: one per call up to 16, at most 64)')
    .option('--mss <bytes>', '--sync last-frame: the packet size the release should fit in', '1460')
    .option('--rounds <n>', 'bursts, each checked on its own (default 5, at most 1000)')
    .option('--pause <duration>', 'pause between rounds', '100ms')
    .option('--settle <duration>', 'wait after a burst before the --after read', '0ms')
    .option('--setup-call <method>', 'call this before each round\'s --before read, e.g. to open a fresh resource per round (a coupon code SPRING-{{run}}-{{round}}); a failure stops the attack')
    .option('--setup-data <json>', 'request JSON of the --setup-call ({{round}} and {{run}} filled as in --data)')
    .option('--before <method>', 'read the state before each burst (its response is `before` in the invariant)')
    .option('--before-data <json>', 'request JSON of the --before call ({{round}} and {{run}} filled as in --data)')
    .option('--after <method>', 'read the state after each burst (`after` in the invariant)')
    .option('--after-data <json>', 'request JSON of the --after call ({{round}} and {{run}} filled as in --data)')
    .option('--invariant <expr>', 'must hold after every burst, e.g. "after.value - before.value == ok"')
    .option('--scenario <name>', "a scenario's built-in check: counter (the seed's Counter service) | bank | inventory | checkout | coupon | ratelimit | privilege | session")
    .option('--deadline <duration>', 'per-call deadline (at most 5m)', '10s')
    .option('--connect-timeout <duration>', 'how long connecting may take', '5s')
    .option('--tls', 'use TLS (implied by --ca, --cert, --key)')
    .option('--ca <file>', "PEM file of the CA that signed the server's certificate")
    .option('--cert <file>', 'PEM client certificate (mutual TLS)')
    .option('--key <file>', 'PEM key of the client certificate')
    .option('--server-name <name>', "name to check the server's certificate against (and send as SNI)")
    .option('--record <file>', 'write every call as a history (JSON Lines) for racelab check')
    .option('--seed <n>', 'seed for {{uuid}} and anything else random in the run')
    .option('--flood', 'flood instead of bursts: --rate calls/s (or max) for --duration')
    .option('--rate <r>', '--flood: calls per second, or max (a throughput run)')
    .option('--duration <duration>', '--flood: how long (default 5s, at most 5m)')
    .option('--concurrency <n>', '--flood: calls in flight (max rate) or the cap on them (fixed rate)')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write a self-contained HTML page: every call of every round, the spread per round, latencies')
    .option('--agents <url>', 'split each burst over racelab agents reached through this NATS server, e.g. nats://host:4222')
    .option('--agent-count <k>', '--agents: how many agents (default: every idle one that answers)')
    .option('--sign-key <file>', "--agents: the Ed25519 private key the agents trust (`racelab keygen`)")
    .option('--subject-prefix <prefix>', "--agents: the agents' NATS subject prefix", 'racelab')
    .option('--no-offset-correction', '--agents: release on each agent\'s own clock, uncorrected (to measure what the correction buys)'))
    .action(async (flags: AttackFlags) => {
      const lib = await loadLib();
      const options = { ...buildOptions(flags, lib), ...(await agentsPolicy(flags, lib)) };
      const html = await import('../html.js');
      await html.checkHtmlPath(flags.html);
      // Ctrl+C: the rounds (or the flood) stop, the summary of what ran is printed with the seed, exit 130.
      const stop = new AbortController();
      let signal: NodeJS.Signals | undefined;
      void untilSignal().then((s) => {
        signal = s;
        if (!flags.json) printProgress(`racelab: ${s}: stopping after the calls in flight`);
        stop.abort();
      });
      // On a terminal, the rounds (or the flood's time) as a bar, with the last round's line beside it; piped, nothing.
      const progress = startProgress({
        json: flags.json,
        ...(options.flood ? { forMs: options.flood.durationMs } : { unit: 'rounds', total: options.rounds ?? lib.ATTACK_LIMITS.defaultRounds }),
        text: `connecting to ${options.target}`,
      });
      let ran;
      try {
        ran = await lib.runAttack({
          ...options,
          signal: stop.signal,
          onProgress: (line) => progress.line(line),
          onRound: (round) => progress.count(round),
          ...(flags.html !== undefined ? { keepCalls: true } : {}),
        });
      } finally {
        progress.stop();
      }
      // The library's warnings name its options (`mss`); the user typed flags (--mss).
      const report = { ...ran, warnings: ran.warnings.map(flagWords) };
      if (flags.html !== undefined) {
        const [{ attackPage }, { renderReportPage }] = await Promise.all([import('../../report/attack-page.js'), import('../../report/page.js')]);
        await html.writeHtmlPage(flags.html, renderReportPage(attackPage(report, html.commandLine())));
      }
      if (flags.json) printJson(report);
      else printResult(lib.renderAttackReport(report));
      if (signal !== undefined) process.exitCode = exitStatusForSignal(signal);
      else if (report.verdict === 'race' || report.targetDown) process.exitCode = 1;
      // Inconclusive (unknown outcomes, or every call refused) is not "no race": a CI job must not read it as a pass.
      else if (report.verdict === 'unknown') process.exitCode = 3;
    });

  // The worker side of --sync processes: speaks a JSON line protocol on stdin/stdout with its parent.
  program
    .command('attack-worker', { hidden: true })
    .description('internal: one worker process of racelab attack --sync processes')
    .action(async () => {
      // Only the worker's module, not the whole library: up to 64 of these start at once on a few cores.
      const { runBurstWorker } = await import('../../burst/process-worker.js');
      await runBurstWorker(process.stdin, process.stdout);
    });
}


/** --agents: the sync policy that splits each burst over agents; nothing when the burst is local. */
async function agentsPolicy(f: AttackFlags, lib: Lib): Promise<Pick<AttackOptions, 'policy'>> {
  if (f.agents === undefined) {
    const stray = f.agentCount !== undefined ? '--agent-count' : f.signKey !== undefined ? '--sign-key' : !f.offsetCorrection ? '--no-offset-correction' : undefined;
    if (stray) throw new lib.RacelabError('BAD_OPTION', `${stray} belongs to --agents; add --agents nats://host:4222`);
    return {};
  }
  if (f.signKey === undefined) throw new lib.RacelabError('BAD_OPTION', '--sign-key: agents run only signed jobs; give the private key whose public half they trust (racelab keygen writes a pair)');
  if (f.flood) throw new lib.RacelabError('BAD_OPTION', '--flood: runs from this host; drop --agents');
  const [{ loadPrivateKey }, { AgentsPolicy }] = await Promise.all([import('../../agents/envelope.js'), import('../../agents/coordinator.js')]);
  const signKey = loadPrivateKey(f.signKey);
  const agentCount = f.agentCount !== undefined ? lib.parseCount(f.agentCount, '--agent-count', 1, 256) : undefined;
  const nats = natsAccess(f.agents, f);
  return {
    policy: (burst) => new AgentsPolicy({ nats, signKey, subjectPrefix: f.subjectPrefix, correctOffsets: f.offsetCorrection, ...(agentCount !== undefined ? { agentCount } : {}) }, burst),
  };
}

function parseJson(text: string, what: string, lib: Lib): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new lib.RacelabError('BAD_DATA', `${what}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function readDataFile(file: string, lib: Lib): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new lib.RacelabError('BAD_DATA', `--data-file: cannot read ${file} (${e instanceof Error ? e.message : String(e)})`);
  }
}

const CALL_SPEC = /^([^=@\s]+)(?:=(\d+))?(?:@(\S+))?$/;

function buildOptions(f: AttackFlags, lib: Lib): AttackOptions {
  if (!f.target) throw new lib.RacelabError('BAD_OPTION', '--target: say which server to attack, e.g. --target localhost:50051');
  if (!f.call?.length && !f.scenario) throw new lib.RacelabError('BAD_OPTION', '--call: say which method to burst, e.g. --call Counter/Increment (or --scenario counter)');
  if (f.data?.length && f.dataFile?.length) throw new lib.RacelabError('BAD_OPTION', '--data and --data-file: use one or the other');
  const datas = f.data?.length
    ? f.data.map((d, i) => ({ value: parseJson(d, f.data!.length > 1 ? `--data ${i + 1}` : '--data', lib), source: f.data!.length > 1 ? `--data ${i + 1}` : '--data' }))
    : (f.dataFile ?? []).map((file) => ({ value: parseJson(readDataFile(file, lib), `--data-file ${file}`, lib), source: `--data-file ${file}` }));
  const calls = f.call ?? [];
  if (datas.length > 1 && datas.length !== calls.length) {
    throw new lib.RacelabError('BAD_OPTION', `--data: give one for all calls or one per --call (${calls.length} --call, ${datas.length} data)`);
  }
  const endpoints: AttackEndpointOptions[] = calls.map((spec, i) => {
    const m = CALL_SPEC.exec(spec.trim());
    if (!m) throw new lib.RacelabError('BAD_OPTION', `--call: "${spec}" is not Service/Method[=COUNT][@OFFSET], e.g. shop.Coupons/Redeem=10 or shop.Coupons/Cancel=1@2ms`);
    const d = datas.length === 1 ? datas[0] : datas[i];
    return {
      method: m[1] as string,
      ...(m[2] !== undefined ? { count: lib.parseCount(m[2], `--call ${spec} count`, 1, lib.ATTACK_LIMITS.maxCallsPerBurst) } : {}),
      ...(m[3] !== undefined ? { offsetMs: lib.parseDuration(m[3], `--call ${spec} offset`, { maxMs: 60_000 }) } : {}),
      ...(d ? { data: d.value, dataSource: d.source } : {}),
    };
  });
  const tlsOn = Boolean(f.tls || f.ca || f.cert || f.key);
  let flood: AttackOptions['flood'];
  if (f.flood) {
    const rateText = f.rate ?? 'max';
    const rate = rateText === 'max' ? 'max' : lib.parseCount(rateText, '--rate', 1, lib.ATTACK_LIMITS.maxFloodRate);
    flood = {
      rate,
      durationMs: lib.parseDuration(f.duration ?? '5s', '--duration', { maxMs: lib.ATTACK_LIMITS.maxFloodDurationMs }),
      ...(f.concurrency ? { concurrency: lib.parseCount(f.concurrency, '--concurrency', 1, lib.ATTACK_LIMITS.maxFloodInFlight) } : {}),
    };
  } else if (f.rate || f.duration || f.concurrency) {
    throw new lib.RacelabError('BAD_OPTION', '--rate, --duration and --concurrency belong to --flood; add --flood');
  }
  const check = (method: string | undefined, data: string | undefined, what: string): AttackOptions['before'] =>
    method ? { method, ...(data ? { data: parseJson(data, `${what}-data`, lib) } : {}) } : undefined;
  // Data for a call that is not made would be dropped without a word (a scenario's own reads take its own data).
  for (const [data, call, dataFlag, callFlag] of [
    [f.setupData, f.setupCall, '--setup-data', '--setup-call'],
    [f.beforeData, f.before, '--before-data', '--before'],
    [f.afterData, f.after, '--after-data', '--after'],
  ] as const) {
    if (data !== undefined && call === undefined) throw new lib.RacelabError('BAD_OPTION', `${dataFlag} belongs to ${callFlag}; add ${callFlag} Service/Method`);
  }
  const setup = check(f.setupCall, f.setupData, '--setup');
  const before = check(f.before, f.beforeData, '--before');
  const after = check(f.after, f.afterData, '--after');
  return {
    target: f.target,
    ...(f.proto?.length ? { proto: f.proto } : {}),
    ...(f.importPath?.length ? { importPaths: f.importPath } : {}),
    endpoints,
    ...(f.count !== undefined ? { count: lib.parseCount(f.count, '--count', 1, lib.ATTACK_LIMITS.maxCallsPerBurst) } : {}),
    ...(f.sync !== undefined ? { sync: lib.parseSyncMode(f.sync) } : {}),
    ...(f.connections !== undefined ? { connections: lib.parseCount(f.connections, '--connections', 1, 256) } : {}),
    ...(f.processes !== undefined ? { processes: lib.parseCount(f.processes, '--processes', 1, 64) } : {}),
    mss: lib.parseCount(f.mss, '--mss', 20, 65_535),
    ...(f.rounds !== undefined ? { rounds: lib.parseCount(f.rounds, '--rounds', 1, lib.ATTACK_LIMITS.maxRounds) } : {}),
    pauseMs: lib.parseDuration(f.pause, '--pause', { maxMs: lib.ATTACK_LIMITS.maxPauseMs }),
    ...(f.settle ? { settleMs: lib.parseDuration(f.settle, '--settle', { maxMs: lib.ATTACK_LIMITS.maxPauseMs }) } : {}),
    ...(setup ? { setup } : {}),
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    ...(f.invariant !== undefined ? { invariant: f.invariant } : {}),
    ...(f.scenario ? { scenario: f.scenario } : {}),
    ...(f.metadata?.length ? { metadata: f.metadata } : {}),
    ...(tlsOn ? { tls: { ...(f.ca ? { ca: f.ca } : {}), ...(f.cert ? { cert: f.cert } : {}), ...(f.key ? { key: f.key } : {}), ...(f.serverName ? { serverName: f.serverName } : {}) } } : {}),
    deadlineMs: lib.parseDuration(f.deadline, '--deadline', { maxMs: lib.ATTACK_LIMITS.maxDeadlineMs }),
    connectTimeoutMs: lib.parseDuration(f.connectTimeout, '--connect-timeout', { maxMs: 60_000 }),
    ...(f.record ? { record: f.record } : {}),
    ...(f.seed !== undefined ? { seed: lib.parseCount(f.seed, '--seed', 0, 0xffffffff) } : {}),
    ...(flood ? { flood } : {}),
  };
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../attack/report.js')),
    ...(await import('../../attack/run.js')),
    ...(await import('../../burst/create-policy.js')),
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../report/attack-text.js')),
  };
}
type Lib = Awaited<ReturnType<typeof loadLib>>;
