import { Option, type Command } from 'commander';
import { printJson, printProgress, printResult } from '../output.js';
import { plural } from '../../core/units.js';
import { untilSignal } from '../signals.js';

/** The NATS credential and TLS flags that `agent`, `attack --agents` and `explore --agents` share (addNatsAccessOptions). */
export interface NatsAccessFlags {
  natsUser?: string;
  natsPassword?: string;
  natsToken?: string;
  natsCreds?: string;
  natsNkey?: string;
  natsCa?: string;
  natsCert?: string;
  natsKey?: string;
}

interface AgentCliOptions extends NatsAccessFlags {
  nats: string;
  name: string;
  maxJobs?: string;
  trustKey: string;
  allowTargets: string;
  maxCalls: string;
  maxRate: string;
  maxDuration: string;
  subjectPrefix: string;
  healthInterval: string;
  clockSkew?: string;
  json?: boolean;
}

/** The `nats` client's credentials and TLS, as flags; secrets come from the environment, never argv. */
export function addNatsAccessOptions(c: Command): Command {
  return c
    .option('--nats-user <user>', 'NATS user (its password from RACELAB_NATS_PASSWORD)')
    .addOption(new Option('--nats-password <password>').env('RACELAB_NATS_PASSWORD').hideHelp())
    .addOption(new Option('--nats-token <token>').env('RACELAB_NATS_TOKEN').hideHelp())
    .option('--nats-creds <file>', 'NATS credentials file (JWT and NKey seed, as nsc writes it)')
    .option('--nats-nkey <file>', 'file holding an NKey seed')
    .option('--nats-ca <file>', 'PEM CA for NATS over TLS')
    .option('--nats-cert <file>', 'PEM client certificate for NATS over TLS (with --nats-key)')
    .option('--nats-key <file>', 'PEM client key for NATS over TLS');
}

export function natsAccess(url: string, o: NatsAccessFlags) {
  const tls = o.natsCa || o.natsCert || o.natsKey ? { ...(o.natsCa ? { caFile: o.natsCa } : {}), ...(o.natsCert ? { certFile: o.natsCert } : {}), ...(o.natsKey ? { keyFile: o.natsKey } : {}) } : undefined;
  return {
    url,
    ...(o.natsUser !== undefined ? { user: o.natsUser } : {}),
    ...(o.natsPassword !== undefined ? { pass: o.natsPassword } : {}),
    ...(o.natsToken !== undefined ? { token: o.natsToken } : {}),
    ...(o.natsCreds !== undefined ? { credsFile: o.natsCreds } : {}),
    ...(o.natsNkey !== undefined ? { nkeySeedFile: o.natsNkey } : {}),
    ...(tls ? { tls } : {}),
  };
}

export function register(program: Command): void {
  addNatsAccessOptions(
    program
      .command('agent')
      .description('a worker that runs signed burst and exploration jobs from NATS, bursts only against allowed targets, all within its own caps (Ctrl+C stops it)')
      .requiredOption('--nats <url>', 'NATS server, e.g. nats://host:4222')
      .requiredOption('--trust-key <file>', "the coordinator's Ed25519 public key (PEM; `racelab keygen` writes one): only jobs it signed run")
      .option('--name <name>', 'this agent\'s name (letters, digits, _ and -)', 'a1')
      .option('--max-jobs <n>', 'stop after running this many jobs')
      .option('--allow-targets <list>', 'targets this agent may reach: host:port or CIDR:port, comma-separated; port * for any', '127.0.0.0/8:*,[::1]:*')
      .option('--max-calls <n>', 'calls per job, at most', '1000')
      .option('--max-rate <n>', 'calls in any one second, at most', '2000')
      .option('--max-duration <duration>', 'how long one job may run, at most', '60s')
      .option('--subject-prefix <prefix>', 'NATS subjects start with this (runs sharing a server stay apart)', 'racelab')
      .option('--health-interval <duration>', 'how often the agent publishes its health', '5s')
      .addOption(new Option('--clock-skew <duration>', 'test only: shift this agent\'s clock, e.g. -30ms').hideHelp())
      .option('--json', 'print the final summary as JSON'),
  ).action(async (opts: AgentCliOptions) => {
    const { runAgent, TargetAllowlist, exploreWorkload, loadPublicKey, parseCount, parseDuration, RacelabError } = await loadLib();
    const trustKey = loadPublicKey(opts.trustKey);
    const allowlist = TargetAllowlist.parse(opts.allowTargets);
    const caps = {
      maxCalls: parseCount(opts.maxCalls, '--max-calls', 1, 1_000_000),
      maxRate: parseCount(opts.maxRate, '--max-rate', 1, 1_000_000),
      maxDurationMs: parseDuration(opts.maxDuration, '--max-duration', { maxMs: 3_600_000 }),
    };
    const maxJobs = opts.maxJobs !== undefined ? parseCount(opts.maxJobs, '--max-jobs', 1, 1_000_000_000) : undefined;
    let clockSkewMicros = 0;
    if (opts.clockSkew !== undefined) {
      const negative = opts.clockSkew.trim().startsWith('-');
      clockSkewMicros = (negative ? -1 : 1) * parseDuration(opts.clockSkew.trim().replace(/^-/, ''), '--clock-skew', { maxMs: 3_600_000 }) * 1000;
    }
    if (!/^nats:\/\//i.test(opts.nats) && !/^tls:\/\//i.test(opts.nats)) throw new RacelabError('BAD_OPTION', `--nats: "${opts.nats}" is not a nats:// URL; give e.g. nats://127.0.0.1:4222`);
    const abort = new AbortController();
    let signalName: string | undefined;
    void untilSignal().then((s) => {
      signalName = s;
      printProgress(`racelab: ${s}: agent stopping`);
      abort.abort();
    });
    const summary = await runAgent({
      nats: natsAccess(opts.nats, opts),
      name: opts.name,
      trustKey,
      allowlist,
      caps,
      ...(maxJobs !== undefined ? { maxJobs } : {}),
      subjectPrefix: opts.subjectPrefix,
      healthIntervalMs: parseDuration(opts.healthInterval, '--health-interval', { maxMs: 3_600_000 }),
      clockSkewMicros,
      // Explores only the built-in workloads, by name.
      workloads: { build: (scenario) => exploreWorkload(scenario as unknown as Parameters<typeof exploreWorkload>[0]) },
      signal: abort.signal,
      onReady: (h) =>
        printProgress(
          `agent ${h.agent}: ready on ${opts.subjectPrefix}.agent.${h.agent}.jobs (trusts key ${h.trustKey}; targets ${h.allowTargets}; at most ${plural(caps.maxCalls, 'call')} per job, ${caps.maxRate} calls/s, ${opts.maxDuration} per job)${clockSkewMicros ? `; clock skewed ${clockSkewMicros / 1000}ms` : ''}; Ctrl+C stops it`,
        ),
      onEvent: (line) => printProgress(`agent ${opts.name}: ${line}`),
    });
    const refusals = Object.entries(summary.refused).filter(([, n]) => n > 0);
    const why = summary.stoppedBecause === 'signal' ? (signalName ?? 'signal') : summary.stoppedBecause === 'nats-closed' ? `NATS at ${summary.nats} went away` : `--max-jobs ${maxJobs} reached`;
    const last = summary.lastJob ? `; its last job ${summary.lastJob.id} ${summary.lastJob.outcome}` : '';
    if (opts.json) printJson({ kind: 'agent', ...summary });
    else
      printResult(
        `agent ${summary.agent}: stopped (${why}): ${plural(summary.jobsDone, 'job')} done, ${summary.jobsFailed} failed or abandoned, ${refusals.reduce((s, [, n]) => s + n, 0)} refused${refusals.length ? ` (${refusals.map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}${last}`,
      );
    if (summary.stoppedBecause === 'nats-closed') process.exitCode = 3;
  });

  program
    .command('keygen')
    .description('write an Ed25519 key pair: the private key signs agent jobs (racelab attack --sign-key), the public one is the agents\' --trust-key')
    .requiredOption('--out <file>', 'private key file (written 0600); the public key goes to FILE.pub')
    .option('--force', 'overwrite existing files')
    .action(async (opts: { out: string; force?: boolean }) => {
      const [{ generateSigningKeys }, { RacelabError }] = await Promise.all([import('../../agents/envelope.js'), import('../../core/errors.js')]);
      const { writeFile } = await import('node:fs/promises');
      const keys = generateSigningKeys();
      const flag = opts.force ? 'w' : 'wx';
      const write = (file: string, text: string, mode: number) =>
        writeFile(file, text, { mode, flag }).catch((e: NodeJS.ErrnoException) => {
          throw new RacelabError('BAD_OPTION', `--out: cannot write ${file} (${e.code === 'EEXIST' ? 'it exists; pass --force to overwrite' : (e.code ?? e.message)})`);
        });
      await write(opts.out, keys.privateKeyPem, 0o600);
      await write(`${opts.out}.pub`, keys.publicKeyPem, 0o644);
      printResult(`wrote ${opts.out} (private: the coordinator's --sign-key) and ${opts.out}.pub (public: each agent's --trust-key), key ${keys.fingerprint}`);
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../agents/agent.js')),
    ...(await import('../../agents/allowlist.js')),
    ...(await import('../../agents/envelope.js')),
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../workloads/registry.js')),
  };
}
