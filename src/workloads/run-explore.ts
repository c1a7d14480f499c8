import { RacelabError } from '../core/errors.js';
import { explore, replay, shardableStrategies, type ExploreOptions, type ExploreResult, type FailureReport, type ReplayResult, type ShardPool, type StopReason } from '../explore/explore.js';
import { parseReplayToken } from '../explore/replay-token.js';
import type { StrategyName } from '../explore/strategy.js';
import type { ExploreWorkerData } from './explore-worker.js';
import { openExploreWorkers } from './explore-workers.js';
import { exploreScenarios, exploreWorkload, type ExploreScenarioOptions } from './registry.js';

export type ExploreCommandStrategy = Exclude<StrategyName, 'replay'>;

export interface RunExploreOptions extends ExploreScenarioOptions {
  readonly strategy: ExploreCommandStrategy;
  readonly runs: number;
  readonly seed?: number;
  /** pct: the bug depth to target. */
  readonly depth?: number;
  /** dfs: partial-order reduction (default true). */
  readonly por?: boolean;
  readonly maxSteps?: number;
  readonly timeLimitMs?: number;
  /** Ctrl+C: stops between runs, with the report of the runs done. */
  readonly signal?: AbortSignal;
  /** Worker threads to run on (random, pct, pos, dfs); 1 or none: this thread. */
  readonly workers?: number;
  /**
   * Another pool to spread the shards over (`--agents`: agents over NATS), opened for the exploration's workload
   * and options and closed at its end, whatever happens. Not with `workers`.
   */
  readonly shardPool?: (spec: ExploreShardSpec) => Promise<ExploreShardPool>;
  /**
   * Called after every run in this thread (a progress bar's count); not called when the runs are spread over
   * `workers` or a `shardPool`, whose runs end elsewhere.
   */
  readonly onRun?: ExploreOptions['onRun'];
}

/** What a shard pool needs to run shards: the built-in workload by name, and the exploration's options. */
export type ExploreShardSpec = Omit<ExploreWorkerData, 'racelabExplore'>;

/** A pool of shard runners other than this machine's threads; `summary()` says who ran them. */
export interface ExploreShardPool extends ShardPool {
  close(): Promise<void>;
  summary(): {
    readonly names: readonly string[];
    readonly shards: number;
    readonly redelivered: number;
    /** Every runner went silent with shards out (stop reason `workers-lost`): which, for how long, shards out. */
    readonly silent?: { readonly agents: readonly string[]; readonly forMs: number; readonly shardsOut: number };
  };
}

/**
 * `race-found`: a failing schedule (exit 1). `proved`: dfs explored every schedule and none fails.
 * `none-found`: portfolio, random, pct or pos (or a dfs cut short by --runs) found none, which is evidence, not proof.
 * `inconclusive`: no failure, but a run did something the scheduler did not control (exit 3).
 */
export type ExploreVerdict = ExploreResult['verdict'];

export interface ExploreReport {
  readonly kind: 'explore';
  readonly scenario: string;
  readonly params: Readonly<Record<string, string>>;
  readonly strategy: StrategyName;
  readonly seed: number;
  readonly depth?: number;
  readonly verdict: ExploreVerdict;
  readonly inconclusive?: ExploreResult['inconclusive'];
  readonly runs: number;
  readonly failures: number;
  readonly stopReason: StopReason;
  readonly firstFailure?: FailureReport;
  readonly schedulesExplored?: number;
  readonly prunedByPor?: number;
  readonly redundantRuns?: number;
  /** Runs whose history was checked for linearizability, and how many of those ran out of budget. */
  readonly linearizability?: { readonly checked: number; readonly unknown: number };
  readonly maxStepsInRun: number;
  readonly elapsedMs: number;
  readonly runsPerSecond: number;
  /** `racelab replay <token>` for the minimal failing schedule. */
  readonly replayCommand?: string;
  /** Worker threads the runs ran on (only when more than one). */
  readonly workers?: number;
  /** `--agents`: the agents the shards went to, how many shards, and how many were redelivered to another agent. */
  readonly agents?: ReturnType<ExploreShardPool['summary']>;
}

/** `racelab explore`: builds the scenario's workload and explores it. */
export async function runExplore(options: RunExploreOptions): Promise<ExploreReport> {
  const workload = exploreWorkload(options);
  const workers = options.workers ?? 1;
  const sharded = workers > 1 ? 'workers' : options.shardPool ? 'shardPool' : undefined;
  if (sharded && !shardableStrategies.includes(options.strategy)) {
    throw new RacelabError(
      'BAD_OPTION',
      `\`strategy\` ${options.strategy} runs in one process only for now (${sharded === 'shardPool' ? 'agents' : 'workers'} split portfolio, random, pct, pos and dfs); drop \`${sharded}\` or use one of those`,
      { subject: sharded },
    );
  }
  if (workers > 1 && options.shardPool) throw new RacelabError('BAD_OPTION', 'runs on this machine; `shardPool` spreads over agents; give one of them', { subject: 'workers' });
  const { signal: _signal, strategy: _strategy, runs: _runs, seed: _seed, depth: _depth, por: _por, maxSteps: _maxSteps, timeLimitMs: _timeLimitMs, workers: _workers, shardPool: _shardPool, onRun: _onRun, ...scenario } = options;
  const spec: ExploreShardSpec = { scenario, options: { strategy: options.strategy, ...(options.depth !== undefined ? { depth: options.depth } : {}), ...(options.por !== undefined ? { por: options.por } : {}), ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}) } };
  if (options.shardPool) {
    const agents = await options.shardPool(spec);
    try {
      return { ...exploreReport(await exploreWith(workload, options, agents)), agents: agents.summary() };
    } finally {
      await agents.close();
    }
  }
  const pool = workers > 1 ? openExploreWorkers(workers, spec) : undefined;
  try {
    const report = exploreReport(await exploreWith(workload, options, pool));
    return pool ? { ...report, workers } : report;
  } finally {
    await pool?.close();
  }
}

function exploreWith(workload: ReturnType<typeof exploreWorkload>, options: RunExploreOptions, pool: ShardPool | undefined): Promise<ExploreResult> {
  return explore(workload, {
    strategy: options.strategy,
    runs: options.runs,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.depth !== undefined ? { depth: options.depth } : {}),
    ...(options.por !== undefined ? { por: options.por } : {}),
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
    ...(options.timeLimitMs !== undefined ? { timeLimitMs: options.timeLimitMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(pool ? { workers: pool } : { ...(options.onRun ? { onRun: options.onRun } : {}) }),
  });
}

export function exploreReport(result: ExploreResult): ExploreReport {
  const verdict = result.verdict;
  return {
    kind: 'explore',
    scenario: result.workload,
    params: result.params,
    strategy: result.strategy,
    seed: result.seed,
    ...(result.depth !== undefined ? { depth: result.depth } : {}),
    verdict,
    ...(result.inconclusive ? { inconclusive: result.inconclusive } : {}),
    runs: result.runs,
    failures: result.failures,
    stopReason: result.stopReason,
    ...(result.firstFailure ? { firstFailure: result.firstFailure, replayCommand: `racelab replay ${result.firstFailure.replayToken}` } : {}),
    ...(result.dfs
      ? { schedulesExplored: result.dfs.schedulesExplored, prunedByPor: result.dfs.prunedByPor, redundantRuns: result.dfs.redundantRuns }
      : {}),
    ...(result.linearizability ? { linearizability: result.linearizability } : {}),
    maxStepsInRun: result.maxStepsInRun,
    elapsedMs: result.elapsedMs,
    runsPerSecond: result.runsPerSecond,
  };
}

export interface ReplayReport {
  readonly kind: 'replay';
  readonly scenario: string;
  readonly params: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly status: 'failed' | 'passed';
  readonly failure?: { readonly kind: string; readonly message: string };
  readonly steps: number;
  readonly preemptions: number;
  readonly trace: string;
  readonly traceLines: readonly string[];
  /** How many of the last steps ran after the workload had its result (ScheduleReport.windDownSteps). */
  readonly windDownSteps: number;
  readonly traceToResult?: string;
}

/** `racelab replay <token>`: rebuilds the built-in workload the token names and runs its schedule once. */
export async function runReplay(tokenText: string): Promise<ReplayReport> {
  const token = parseReplayToken(tokenText);
  const workload = workloadFromToken(token.workload, token.params);
  const result: ReplayResult = await replay(workload, token);
  return {
    kind: 'replay',
    scenario: result.workload,
    params: result.params,
    seed: result.seed,
    status: result.status,
    ...(result.failure ? { failure: result.failure } : {}),
    steps: result.schedule.steps,
    preemptions: result.schedule.preemptions,
    trace: result.schedule.trace,
    traceLines: result.schedule.traceLines,
    windDownSteps: result.schedule.windDownSteps,
    ...(result.schedule.traceToResult !== undefined ? { traceToResult: result.schedule.traceToResult } : {}),
  };
}

function workloadFromToken(scenario: string, params: Readonly<Record<string, string>>) {
  if (!(exploreScenarios as readonly string[]).includes(scenario)) {
    throw new RacelabError(
      'BAD_TOKEN',
      `replay token: it was made for workload "${scenario}", which is not built in (${exploreScenarios.join(', ')}); replay it where the workload is defined, with replay(workload, token)`,
    );
  }
  const num = (key: string): number | undefined => {
    const v = params[key];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new RacelabError('BAD_TOKEN', `replay token: parameter ${key}=${v} is not a number`);
    return n;
  };
  try {
    return exploreWorkload({
      scenario,
      variant: params.variant,
      pattern: params.pattern,
      clients: num('clients'),
      increments: num('increments'),
      delayMs: num('delay'),
      linearizability: params.linearizability === undefined ? undefined : params.linearizability === 'true',
      work: num('work'),
      senders: num('senders'),
      messages: num('messages'),
      keys: num('keys'),
      consumers: num('consumers'),
      crashes: num('crashes'),
      ackTimeouts: num('ackTimeouts'),
    });
  } catch (e) {
    if (e instanceof RacelabError && e.code !== 'BAD_TOKEN') throw new RacelabError('BAD_TOKEN', `replay token: ${e.message}`, { cause: e });
    throw e;
  }
}
