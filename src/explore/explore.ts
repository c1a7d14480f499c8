import { RacelabError } from '../core/errors.js';
// Installs the runtime instrumented modules call (globalThis[Symbol.for('racelab.instrument')]) and lets it find
// this copy's ambient scheduler: exploring is what turns instrumented awaits on.
import '../instrument/runtime.js';
import { Random } from '../core/random.js';
import { dfsStrategy, type DfsStats } from './dfs-strategy.js';
import { pctStrategy } from './pct-strategy.js';
import { portfolioStrategy } from './portfolio-strategy.js';
import { posStrategy } from './pos-strategy.js';
import { randomStrategy } from './random-strategy.js';
import { formatReplayToken, parseReplayToken, replayOptions, type ReplayToken, type SchedulingOptions } from './replay-token.js';
import { replayStrategy } from './replay-strategy.js';
import { RunTimers } from './run-timers.js';
import { executeRun, startRun, type FailureKind, type RunListener, type RunOptions, type RunRecord } from './run.js';
import type { Chooser } from './controlled-scheduler.js';
import { costOf, scheduleOf } from './schedule.js';
import { shrinkFailure, type ShrinkCut, type ShrinkOutcome } from './shrink.js';
import type { CutReason, ShrinkStop } from './shrink-stop.js';
import type { Strategy, StrategyName } from './strategy.js';
import { traceLine, traceLines } from './trace.js';
import type { Workload } from './workload.js';
import { realTimers } from './real-timers.js';

export interface ExploreOptions {
  /** `portfolio` (default: calls-first random, pct and pos in rotation, run by run), `random`, `pct`, `pos` (partial-order sampling), `dfs`, `replay` (needs `replay`), or a Strategy object of your own. */
  readonly strategy?: StrategyName | Strategy;
  /** Most runs to check (dfs: most schedules). Default 1000. */
  readonly runs?: number;
  /** Seeds the strategy and the workload. Default: a fresh one, reported in the result and the replay token. */
  readonly seed?: number;
  /** pct: the bug depth to target (d-1 priority change points per run). Default 3. */
  readonly depth?: number;
  /** dfs: partial-order reduction with sleep sets. Default true. */
  readonly por?: boolean;
  /** `replay`: the token (or the bare list of step keys) to run. */
  readonly replay?: string | readonly string[];
  /** A run longer than this fails as a livelock. Default 10000. */
  readonly maxSteps?: number;
  /** Stop at the first failing run (default true); otherwise run the whole budget and count failures. */
  readonly stopOnFailure?: boolean;
  /** Shrink the first failing schedule (default true). */
  readonly shrink?: boolean;
  /** Most runs spent shrinking. Default 1000. */
  readonly shrinkRuns?: number;
  /** Stop exploring after this much wall time. */
  readonly timeLimitMs?: number;
  /** Stops exploring between runs (Ctrl+C); the result covers the runs done, stop reason `interrupted`. */
  readonly signal?: AbortSignal;
  /**
   * Make the run's scheduler the ambient one inside every task, for code that finds its scheduler implicitly:
   * `yieldPoint()`, `sleep(ms)` without a scheduler, a `MemoryStore` or `Mutex` made without one. Default false:
   * pass `ctx.scheduler` explicitly instead when you can (the ambient one costs an AsyncLocalStorage context
   * on every promise of the run).
   */
  readonly ambient?: boolean;
  /**
   * What an instrumented await of real I/O (a socket, a file, a `pg` query: something nothing in the run settles)
   * does. `report` (default): it completes only once every other task is stuck, and the run counts it as
   * uncontrolled, so the verdict is `inconclusive`. `atomic`: it completes as one atomic step right after the step
   * that started it, while no other task moves; interleavings are explored at await granularity around it.
   */
  readonly io?: 'report' | 'atomic';
  /** Most real time to let such an await complete before taking it for a wait on something else. Default 250. */
  readonly ioWaitMs?: number;
  /**
   * Virtual time for the code under test: while the exploration runs, setTimeout, setInterval, setImmediate,
   * Date, performance.now and timers/promises are @sinonjs/fake-timers fakes on the run's virtual clock; each
   * timer firing is a step, so a 30 s backoff costs no real time. Default: on with `ambient`.
   */
  readonly virtualTime?: boolean;
  /**
   * false: instrumented awaits are ignored, as if the code were not instrumented (a check that a pass depends on
   * the instrumentation: it should then be `inconclusive`). Default true.
   */
  readonly instrumentation?: boolean;
  /** Called after every run (abandoned dfs runs included), e.g. for progress or to record what ran. Not with `workers`. */
  readonly onRun?: (run: number, record: RunRecord) => void;
  /**
   * Runs the runs on worker threads (random, pct and pos): ranges of run indexes go to the pool's workers, each
   * run with the schedule it has in one process; the first failure is the lowest failing run index, shrunk here,
   * so the result is the one a single process gives with the same seed. The caller opens and closes the pool.
   */
  readonly workers?: ShardPool;
}

/** Runs [from, to) of an exploration, as a worker is asked to: the strategy starts from `state`. */
export interface ShardChunk {
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly state: unknown;
  /** dfs: explore the subtree under `prefix` (`from` is its place in the order a single search meets them), with at most this many schedules. */
  readonly budget?: number;
  readonly prefix?: readonly number[];
}

/** What a worker reports of a range of runs, in run order: it stops after a failure, or early when interrupted. */
export interface ShardResult {
  readonly from: number;
  /** Runs done, from `from` on. */
  readonly done: number;
  /** The strategy's state after the last run done. */
  readonly state: unknown;
  readonly maxStepsInRun: number;
  readonly linearizabilityChecked: number;
  readonly linearizabilityUnknown: number;
  readonly uncontrolled?: { readonly first: string; readonly events: number; readonly runs: number };
  /** The first failing run, and the strategy's state before it (to run it again in the main thread). */
  readonly failure?: { readonly run: number; readonly stateBefore: unknown; readonly schedule: readonly string[] };
  readonly failures: number;
  /** Checked runs (dfs: without the abandoned ones). */
  readonly checked: number;
  /** dfs: the subtree's counters. */
  readonly dfs?: DfsStats;
  /** How long the range took to run, in ms (what the coordinator sizes the next ranges by); absent from older agents. */
  readonly elapsedMs?: number;
}

/** Worker threads that run ranges of runs (src/workloads/explore-workers.ts). */
export interface ShardPool {
  readonly size: number;
  /**
   * About how long a range should take at the rate the workers report (50 ms when unset). A pool whose ranges
   * cross a network asks for longer ones, so that a range's round trip stays small beside its runs; an interrupt
   * still stops a range between runs.
   */
  readonly rangeMs?: number;
  run(chunk: ShardChunk): Promise<ShardResult>;
  /** Every worker stops its range between runs and reports the runs done; ranges asked for later do nothing. */
  interrupt(): void;
}

/** `workers-lost`: a shard pool lost every worker with ranges still out; the result covers the runs counted before. */
export type StopReason = 'first-failure' | 'runs' | 'exhausted' | 'time-limit' | 'interrupted' | 'workers-lost';

/**
 * What a ShardPool rejects a range with when no worker is left to run it (every agent went silent): the
 * exploration stops with the runs counted so far (stop reason `workers-lost`), instead of failing as a whole.
 */
export class ShardsLost extends Error {
  constructor(
    message: string,
    /** The workers that went silent. */
    readonly workers: readonly string[],
  ) {
    super(message);
    this.name = 'ShardsLost';
  }
}

/**
 * `race-found`: a run failed. `proved`: dfs explored every schedule, none fails, and every run was under the
 * scheduler's full control. `none-found`: no failure within the budget (random, pct, or dfs cut short): evidence,
 * not proof. `inconclusive`: no failure, but some run did something the scheduler did not control (an await
 * of real I/O, code that reached the real scheduler, tasks that never reached a point), so its passing proves
 * nothing; `inconclusive` names the first such thing.
 */
export type ExploreVerdict = 'race-found' | 'proved' | 'none-found' | 'inconclusive';

/** Why a verdict is inconclusive: the first uncontrolled event, and how many there were. */
export interface InconclusiveReport {
  /** A sentence naming the first uncontrolled event (with the await's location when there is one) and the fix. */
  readonly first: string;
  /** Uncontrolled events over all runs. */
  readonly events: number;
  /** Runs with at least one. */
  readonly runs: number;
}

/** A schedule as a report shows it. */
export interface ScheduleReport {
  readonly steps: number;
  readonly preemptions: number;
  /** `c1 get counter->0 . c2 get counter->0 . …` */
  readonly trace: string;
  /** The same, one numbered line per step, preemptions marked. */
  readonly traceLines: readonly string[];
  /**
   * The task of each step, by name, in `traceLines`' order: a report page's lanes. A name may hold spaces (an actor
   * timer's task is `timer receive timeout in client-2`), so a trace line cannot be split back into task and label.
   */
  readonly stepTasks: readonly string[];
  /** One transition key per step: what the replay token encodes. */
  readonly schedule: readonly string[];
  /** Virtual time at the end of the run. */
  readonly virtualMs: number;
  /**
   * How many of the last steps ran after the workload had its result (an actor system shutting down): counted in
   * `steps`, listed in `traceLines` and `schedule`, and shown apart in a text report. 0 when none.
   */
  readonly windDownSteps: number;
  /** `trace` up to the workload's last step, when there are wind-down steps after it. */
  readonly traceToResult?: string;
}

export interface FailureReport {
  /** 0-based number of the run that failed first (dfs: counting abandoned redundant runs too). */
  readonly run: number;
  /** Checked runs up to and including the failing one. */
  readonly runsToFailure: number;
  readonly kind: FailureKind;
  readonly message: string;
  /** The schedule as found. */
  readonly found: ScheduleReport;
  /** The smallest schedule that fails the same way (the found one when shrinking was off or found nothing smaller). */
  readonly shrunk: ScheduleReport;
  readonly shrinkRuns: number;
  /** Why shrinking stopped early, if it did: `shrunk` is then the smallest found, not a minimal schedule. */
  readonly shrinkStopped?: ShrinkStop;
  /** Paste into `racelab replay` (built-in scenarios) or `replay(workload, token)`. */
  readonly replayToken: string;
}

export interface ExploreResult {
  readonly workload: string;
  readonly params: Readonly<Record<string, string>>;
  readonly strategy: StrategyName;
  readonly seed: number;
  /** pct only. */
  readonly depth?: number;
  /** Runs executed and checked (dfs: complete schedules). */
  readonly runs: number;
  /** Failing runs among them (1 when stopping at the first failure). */
  readonly failures: number;
  readonly stopReason: StopReason;
  readonly verdict: ExploreVerdict;
  /** Present when some run did something the scheduler did not control. */
  readonly inconclusive?: InconclusiveReport;
  readonly firstFailure?: FailureReport;
  /** dfs only: schedules explored, transitions pruned by partial-order reduction, whether the search completed. */
  readonly dfs?: DfsStats;
  /** When the workload checks linearizability: runs checked, and how many ran out of budget (`unknown`). */
  readonly linearizability?: { readonly checked: number; readonly unknown: number };
  /** Longest run, in steps. */
  readonly maxStepsInRun: number;
  readonly elapsedMs: number;
  readonly runsPerSecond: number;
}

const DEFAULTS = { runs: 1000, maxSteps: 10_000, shrinkRuns: 1000 };

/** The explorer's own clock: real even while the code under test sees fake timers (RunTimers). */
// The function, not the object: @sinonjs/fake-timers replaces `now` on the performance object itself.
const realNow: () => number = performance.now.bind(performance);

/** Runs `body` with the run's code on virtual time when asked (default: with `ambient`), and puts real time back. */
async function withVirtualTime<T>(options: { readonly ambient?: boolean; readonly virtualTime?: boolean }, body: (timers: RunTimers | undefined) => Promise<T>): Promise<T> {
  if (!(options.virtualTime ?? options.ambient === true)) return body(undefined);
  const timers = new RunTimers();
  try {
    return await body(timers);
  } finally {
    timers.uninstall();
  }
}

/**
 * Runs `workload` under the strategy again and again, checks its invariant after every run, and reports the
 * first failing schedule shrunk to a minimal one, with a replay token. Deterministic: the same workload, seed and
 * strategy give the same runs. Throws a RacelabError when the workload escapes the scheduler (code
 * UNCONTROLLED_ASYNC) or behaves differently on the same schedule (NONDETERMINISTIC).
 */
export function explore(workload: Workload, options: ExploreOptions = {}): Promise<ExploreResult> {
  // Replaying a token: its scheduling options, unless the caller set one differently (refused, naming it).
  if (options.strategy === 'replay' && typeof options.replay === 'string') {
    options = { ...options, ...replayOptions(parseReplayToken(options.replay), options) };
  }
  return withVirtualTime(options, (timers) => exploreWith(workload, options, timers));
}

/** The options of an exploration a replay token records (only those that differ from the defaults). */
function schedulingOptions(options: SchedulingOptions): SchedulingOptions {
  return {
    ...(options.ambient === true ? { ambient: true } : {}),
    ...(options.io === 'atomic' ? { io: 'atomic' as const } : {}),
    ...(options.instrumentation === false ? { instrumentation: false } : {}),
    ...(options.virtualTime !== undefined && options.virtualTime !== (options.ambient === true) ? { virtualTime: options.virtualTime } : {}),
  };
}

async function exploreWith(workload: Workload, options: ExploreOptions, timers: RunTimers | undefined): Promise<ExploreResult> {
  // A replay token carries the seed its workload was built with: replaying with another would rebuild another workload.
  const tokenSeed = options.strategy === 'replay' && typeof options.replay === 'string' ? parseReplayToken(options.replay).seed : undefined;
  const seed = options.seed === undefined ? (tokenSeed ?? Random.freshSeed()) : options.seed >>> 0;
  if (options.seed !== undefined && (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffff_ffff)) {
    throw new RacelabError('BAD_OPTION', `explore: seed ${options.seed} must be a whole number from 0 to ${0xffff_ffff}`);
  }
  const runs = options.runs ?? DEFAULTS.runs;
  if (!Number.isInteger(runs) || runs < 1) throw new RacelabError('BAD_COUNT', `explore: runs must be a whole number of at least 1, not ${runs}`);
  const maxSteps = options.maxSteps ?? DEFAULTS.maxSteps;
  const strategy = makeStrategy(workload, options, seed);
  const params = paramsOf(workload);
  const runOptions = {
    seed,
    maxSteps,
    ambient: options.ambient === true,
    ...(options.io ? { io: options.io } : {}),
    ...(options.ioWaitMs !== undefined ? { ioWaitMs: options.ioWaitMs } : {}),
    ...(timers ? { timers } : {}),
    ...(options.instrumentation === false ? { instrumentation: false } : {}),
  };

  const started = realNow();
  const limits: Limits = {
    runs,
    timeLimitMs: options.timeLimitMs,
    signal: options.signal,
    stopOnFailure: options.stopOnFailure !== false,
    onRun: options.onRun,
    started,
  };
  if (options.workers && !shardableStrategies.includes(strategy.name)) {
    throw new RacelabError('BAD_OPTION', `explore: workers run the strategies ${shardableStrategies.join(', ')}; ${strategy.name} runs in one process (drop \`workers\`)`);
  }
  if (options.workers && (options.onRun || timers)) throw new RacelabError('BAD_OPTION', 'explore: workers do not run with onRun, virtual time or ambient yet; run in one process');
  const { tally, stopReason } = options.workers
    ? strategy.name === 'dfs'
      ? await runDfsSharded(workload, strategy as Strategy & { stats: DfsStats }, seed, runOptions, limits, options.workers, options.por ?? true)
      : await runSharded(workload, strategy, seed, runOptions, limits, options.workers)
    : await runAll(workload, strategy, runOptions, limits);
  const { checked, failures, maxStepsInRun, linearizabilityChecked, linearizabilityUnknown, first, uncontrolled } = tally;
  const elapsedMs = realNow() - started;

  let firstFailure: FailureReport | undefined;
  if (first) {
    const shrunk: ShrinkOutcome =
      options.shrink === false || strategy.name === 'replay'
        ? { record: first.record, runs: 0 }
        : await shrinkWithin(limits, (cut) => shrinkFailure(workload, first.record, { ...runOptions, budgetRuns: options.shrinkRuns ?? DEFAULTS.shrinkRuns, ...(cut ? { cut } : {}) }));
    const tokenOptions = schedulingOptions(options);
    const token: ReplayToken = {
      workload: workload.name,
      params,
      strategy: strategy.name,
      seed,
      run: first.run,
      schedule: scheduleOf(shrunk.record.steps),
      ...(Object.keys(tokenOptions).length > 0 ? { options: tokenOptions } : {}),
    };
    firstFailure = {
      run: first.run,
      runsToFailure: first.runsToFailure,
      kind: first.record.failure?.kind ?? 'invariant',
      message: shrunk.record.failure?.message ?? first.record.failure?.message ?? '',
      found: scheduleReport(first.record),
      shrunk: scheduleReport(shrunk.record),
      shrinkRuns: shrunk.runs,
      ...(shrunk.stopped ? { shrinkStopped: shrunk.stopped } : {}),
      replayToken: formatReplayToken(token),
    };
  }
  const dfs = 'stats' in strategy ? { ...(strategy as { stats: DfsStats }).stats } : undefined;
  const inconclusive = uncontrolled ? { first: uncontrolled.first, events: uncontrolled.events, runs: uncontrolled.runs } : undefined;
  const verdict: ExploreVerdict = firstFailure ? 'race-found' : inconclusive ? 'inconclusive' : dfs?.exhausted ? 'proved' : 'none-found';
  return {
    workload: workload.name,
    params,
    strategy: strategy.name,
    seed,
    ...(strategy.name === 'pct' || strategy.name === 'portfolio' ? { depth: options.depth ?? 3 } : {}),
    runs: checked,
    failures,
    stopReason,
    verdict,
    ...(inconclusive ? { inconclusive } : {}),
    ...(firstFailure ? { firstFailure } : {}),
    ...(dfs ? { dfs } : {}),
    ...(linearizabilityChecked > 0 ? { linearizability: { checked: linearizabilityChecked, unknown: linearizabilityUnknown } } : {}),
    maxStepsInRun,
    elapsedMs,
    runsPerSecond: elapsedMs > 0 ? (checked * 1000) / elapsedMs : 0,
  };
}

interface Tally {
  run: number;
  checked: number;
  failures: number;
  maxStepsInRun: number;
  linearizabilityChecked: number;
  linearizabilityUnknown: number;
  first: { record: RunRecord; run: number; runsToFailure: number } | undefined;
  uncontrolled: { first: string; events: number; runs: number } | undefined;
}

/** Nothing run yet; runs are numbered from `firstRun`. */
function emptyTally(firstRun: number): Tally {
  return { run: firstRun, checked: 0, failures: 0, maxStepsInRun: 0, linearizabilityChecked: 0, linearizabilityUnknown: 0, first: undefined, uncontrolled: undefined };
}

interface Limits {
  readonly runs: number;
  readonly timeLimitMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly stopOnFailure: boolean;
  readonly onRun: ExploreOptions['onRun'];
  readonly started: number;
}

/**
 * The exploration loop: runs the strategy's runs back to back until a limit is reached. Each run ends by calling
 * back here, and the next one starts right there, in the same promise job: the loop itself costs no promise and
 * no await per run. (A loop of `await executeRun(…)` paid three async frames per run, a third of an empty run.)
 * Whole explorations run on promise jobs alone, so now and then it lets timers, I/O and Ctrl+C through.
 */
function runAll(workload: Workload, strategy: Strategy, runOptions: RunOptions, limits: Limits, firstRun = 0): Promise<{ tally: Tally; stopReason: StopReason }> {
  return new Promise((resolve, reject) => {
    const tally = emptyTally(firstRun);
    let lastYield = limits.started;
    const cut = runCutter(limits);
    // Once either is called nothing calls next() again: every path that stops returns without it.
    const stop = (stopReason: StopReason): void => {
      cut?.close();
      resolve({ tally, stopReason });
    };
    const fail = (error: unknown): void => {
      cut?.close();
      reject(error);
    };
    // A run may end before startRun returns (nothing in it waits for a promise job): then the loop below starts
    // the next one, rather than a call inside the last one's, so the stack never grows with the runs.
    let starting = false;
    let again = false;
    const next = (): void => {
      if (starting) {
        again = true;
        return;
      }
      starting = true;
      do {
        again = false;
        if (tally.checked >= limits.runs) return stop('runs');
        const run = tally.run;
        // The abort event sets the reason at once; the clock is read every 16th run (runs of promise jobs alone
        // give the timer no turn of the event loop).
        if (cut && ((run - firstRun) & 15) === 0) cut.poll();
        if (cut?.reason) return stop(cut.reason);
        let chooser: Chooser | undefined;
        try {
          chooser = strategy.beginRun(run);
        } catch (e) {
          return fail(e);
        }
        if (!chooser) return stop('exhausted');
        startRun(workload, cut ? cut.wrap(chooser) : chooser, runOptions, listener);
      } while (again);
      starting = false;
    };
    const listener: RunListener = {
      done(record) {
        if (cut?.abandoned && cut.reason) return stop(cut.reason);
        const run = tally.run++;
        try {
          strategy.endRun(run, record);
          limits.onRun?.(run, record);
        } catch (e) {
          return fail(e);
        }
        if (record.linearizability) {
          tally.linearizabilityChecked++;
          if (record.linearizability === 'unknown') tally.linearizabilityUnknown++;
        }
        // Counted over checked runs (an abandoned dfs run repeats a prefix another run checks).
        if (record.uncontrolled && record.status !== 'abandoned') {
          const u = (tally.uncontrolled ??= { first: record.uncontrolled.first, events: 0, runs: 0 });
          u.events += record.uncontrolled.count;
          u.runs++;
        }
        if (record.status !== 'abandoned') {
          tally.checked++;
          if (record.steps.length > tally.maxStepsInRun) tally.maxStepsInRun = record.steps.length;
        }
        if (record.status === 'failed') {
          tally.failures++;
          tally.first ??= { record, run, runsToFailure: tally.checked };
          if (limits.stopOnFailure) return stop('first-failure');
        }
        // Not under virtual time: a run started from the event loop there shares its promise jobs with whatever
        // else the loop let in (a test runner's RPC), whose reactions the run then counts as code it did not
        // control. The time limit is still read every 16th run (cut.poll); a signal waits for the exploration's end.
        if ((tally.run & 15) === 0 && runOptions.timers === undefined && realNow() - lastYield > 20) {
          realTimers.setImmediate(() => {
            lastYield = realNow();
            next();
          });
        } else next();
      },
      error: fail,
    };
    next();
  });
}

/**
 * The time limit and Ctrl+C inside a run: between runs the loop checks them itself, but one run can be long (it
 * waits for real I/O at its steps, or stalls several times). A real timer and the signal set `reason`; the chooser
 * then abandons its run at the next step, so the run is not counted and the loop stops with the summary so far.
 * Reading a flag is all it costs a step.
 */
function runCutter(limits: Limits, onCut?: (reason: CutReason) => void): (ShrinkCut & { abandoned: boolean; close(): void }) | undefined {
  if (limits.timeLimitMs === undefined && !limits.signal) return undefined;
  const cutNow = (reason: CutReason): void => {
    if (cut.reason) return;
    cut.reason = reason;
    onCut?.(reason);
  };
  const cut = {
    reason: undefined as CutReason | undefined,
    /** This cut abandoned a run: it is neither the strategy's nor the tally's (not a schedule explored). */
    abandoned: false,
    wrap(chooser: Chooser): Chooser {
      return {
        choose: (enabled, step, previous) => {
          if (!cut.reason) return chooser.choose(enabled, step, previous);
          cut.abandoned = true;
          return -1;
        },
      };
    },
    poll(): void {
      if (limits.signal?.aborted) cutNow('interrupted');
      else if (limits.timeLimitMs !== undefined && realNow() - limits.started >= limits.timeLimitMs) cutNow('time-limit');
    },
    close(): void {
      if (timer) realTimers.clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onAbort);
    },
  };
  const onAbort = (): void => cutNow('interrupted');
  limits.signal?.addEventListener('abort', onAbort);
  const timer = limits.timeLimitMs === undefined ? undefined : realTimers.setTimeout(() => cutNow('time-limit'), Math.max(0, limits.timeLimitMs - (realNow() - limits.started)));
  // A signal aborted already never fires its event.
  if (limits.signal?.aborted) cutNow('interrupted');
  return cut;
}

/** Shrinking under the exploration's time limit and Ctrl+C (the same cut its runs have). */
async function shrinkWithin<T>(limits: Limits, shrink: (cut: ShrinkCut | undefined) => Promise<T>): Promise<T> {
  const cut = runCutter(limits);
  try {
    return await shrink(cut);
  } finally {
    cut?.close();
  }
}

/** Strategies whose runs a pool of workers can share: each run depends on (seed, run) and the strategy's state. */
export const shardableStrategies: readonly StrategyName[] = ['portfolio', 'random', 'pct', 'pos', 'dfs'];

/**
 * A worker's side: runs [from, to) of the exploration, the strategy started from the chunk's state, stopping at
 * the first failure (when the exploration stops on one) or when `signal` aborts.
 */
export function runChunk(workload: Workload, options: ExploreOptions, chunk: ShardChunk, signal: AbortSignal): Promise<ShardResult> {
  if (options.virtualTime ?? options.ambient === true) throw new RacelabError('BAD_OPTION', 'explore: workers do not run with virtual time or ambient yet; run in one process');
  const strategy = chunk.budget !== undefined ? dfsStrategy({ por: options.por ?? true, prefix: chunk.prefix ?? [] }) : makeStrategy(workload, options, chunk.seed);
  const runOptions: RunOptions = {
    seed: chunk.seed,
    maxSteps: options.maxSteps ?? DEFAULTS.maxSteps,
    ambient: false,
    ...(options.io ? { io: options.io } : {}),
    ...(options.ioWaitMs !== undefined ? { ioWaitMs: options.ioWaitMs } : {}),
    ...(options.instrumentation === false ? { instrumentation: false } : {}),
  };
  return runChunkWith(workload, strategy, runOptions, chunk, options.stopOnFailure !== false, signal);
}

async function runChunkWith(workload: Workload, strategy: Strategy, runOptions: RunOptions, chunk: ShardChunk, stopOnFailure: boolean, signal: AbortSignal): Promise<ShardResult> {
  strategy.setState?.(chunk.state);
  const firstRun = chunk.budget !== undefined ? 0 : chunk.from;
  let before = strategy.state?.();
  let failure: ShardResult['failure'];
  const began = realNow();
  const { tally } = await runAll(
    workload,
    strategy,
    runOptions,
    {
      runs: chunk.budget ?? chunk.to - chunk.from,
      timeLimitMs: undefined,
      signal,
      stopOnFailure,
      onRun(run, record) {
        if (record.status === 'failed') failure ??= { run, stateBefore: before, schedule: scheduleOf(record.steps) };
        before = strategy.state?.();
      },
      started: realNow(),
    },
    firstRun,
  );
  return {
    from: chunk.from,
    done: tally.run - firstRun,
    checked: tally.checked,
    ...('stats' in strategy ? { dfs: { ...(strategy as { stats: DfsStats }).stats } } : {}),
    state: strategy.state?.(),
    maxStepsInRun: tally.maxStepsInRun,
    linearizabilityChecked: tally.linearizabilityChecked,
    linearizabilityUnknown: tally.linearizabilityUnknown,
    ...(tally.uncontrolled ? { uncontrolled: tally.uncontrolled } : {}),
    ...(failure ? { failure } : {}),
    failures: tally.failures,
    elapsedMs: realNow() - began,
  };
}

const sameState = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Counts a range's runs into the tally, in run order. */
function addRange(tally: Tally, r: ShardResult): void {
  tally.run += r.done;
  tally.checked += r.checked;
  tally.failures += r.failures;
  if (r.maxStepsInRun > tally.maxStepsInRun) tally.maxStepsInRun = r.maxStepsInRun;
  tally.linearizabilityChecked += r.linearizabilityChecked;
  tally.linearizabilityUnknown += r.linearizabilityUnknown;
  if (r.uncontrolled) {
    const u = (tally.uncontrolled ??= { first: r.uncontrolled.first, events: 0, runs: 0 });
    u.events += r.uncontrolled.events;
    u.runs += r.uncontrolled.runs;
  }
}

/**
 * Ranges handed to the pool and the exploration's stop: the time limit and Ctrl+C interrupt every worker.
 * `afterRange` runs once each range settles (to hand out the next).
 */
function shardState(pool: ShardPool, limits: Limits, afterRange: (settled: { ok: ShardResult } | { error: unknown }) => void) {
  const pending = new Map<number, { chunk: ShardChunk; result: Promise<{ ok: ShardResult } | { error: unknown }> }>();
  const state = { stopReason: undefined as StopReason | undefined, inFlight: 0 };
  const stop = (reason: StopReason): void => {
    if (state.stopReason !== undefined) return;
    state.stopReason = reason;
    pool.interrupt();
  };
  const cut = runCutter(limits, stop);
  const send = (chunk: ShardChunk): void => {
    state.inFlight++;
    const result = pool.run(chunk).then(
      (ok) => ({ ok }),
      (error: unknown) => ({ error }),
    );
    pending.set(chunk.from, { chunk, result });
    void result.then((settled) => {
      state.inFlight--;
      // No worker left: nothing more is handed out, and the ranges out settle (the pool rejects them).
      if ('error' in settled && settled.error instanceof ShardsLost) stop('workers-lost');
      afterRange(settled);
    });
  };
  /** Stops the clock and Ctrl+C, interrupts the workers and waits for the ranges in flight (they stop between runs). */
  const close = async (): Promise<void> => {
    cut?.close();
    pool.interrupt();
    await Promise.all([...pending.values()].map((p) => p.result));
  };
  return { pending, state, stop, send, close };
}

/**
 * The result of the range handed out under `key`, once it settles; undefined when it was lost with the pool (every
 * worker gone): the runs before it are counted, the rest not, and the exploration stops as workers-lost. Any other
 * error is the exploration's.
 */
async function takeRange(shards: ReturnType<typeof shardState>, key: number): Promise<ShardResult | undefined> {
  const entry = shards.pending.get(key) as { result: Promise<{ ok: ShardResult } | { error: unknown }> };
  const settled = await entry.result;
  shards.pending.delete(key);
  if ('ok' in settled) return settled.ok;
  if (settled.error instanceof ShardsLost) {
    shards.stop('workers-lost');
    return undefined;
  }
  throw settled.error;
}

/**
 * The coordinator: hands out ranges of run indexes in order (small ones first, so an early failure is found
 * early), and takes the results in run order, as one process would have them. A range that started from a
 * state other than the one the runs before it left (pct: a longer run was measured meanwhile) is run again from
 * the right one, so every run has the schedule it has in one process. The first failure is declared once every
 * run below it is done; ranges above it are interrupted. The failing run is run again here, for its record.
 */
async function runSharded(
  workload: Workload,
  strategy: Strategy,
  seed: number,
  runOptions: RunOptions,
  limits: Limits,
  pool: ShardPool,
): Promise<{ tally: Tally; stopReason: StopReason }> {
  const tally = emptyTally(0);
  const initialState = strategy.state?.();
  let trueState = initialState;
  /** The latest state any range ended with: the guess a new range starts from. */
  let guess = initialState;
  let nextFrom = 0;
  const sizes = rangeSizer(pool.rangeMs);
  let failureRun: number | undefined;
  let failureStateBefore: unknown;
  let runsToFailure = 0;
  let failureSeen = Infinity;
  // Two ranges a worker: the next one waits in the worker's queue, so no worker idles while a result travels.
  const fill = (): void => {
    while (shards.state.stopReason === undefined && shards.state.inFlight < 2 * pool.size) {
      if (nextFrom >= limits.runs || nextFrom > failureSeen) return;
      const to = Math.min(limits.runs, nextFrom + sizes.next());
      shards.send({ seed, from: nextFrom, to, state: guess });
      nextFrom = to;
    }
  };
  // The next range is handed out as soon as any range ends, not when the lowest one does.
  const shards = shardState(pool, limits, (settled) => {
    if ('ok' in settled) sizes.measured(settled.ok);
    // A failure seen out of order: no range above it is needed. (Only where runs depend on (seed, run) alone: a
    // pct range may have started from a guess, and its failure may not be one.)
    if (limits.stopOnFailure && initialState === undefined && 'ok' in settled && settled.ok.failure) {
      failureSeen = Math.min(failureSeen, settled.ok.failure.run);
    }
    fill();
  });
  const { pending, stop } = shards;
  try {
    let from = 0;
    for (;;) {
      fill();
      const entry = pending.get(from);
      // Nothing handed out at `from`: every run of the budget is counted, or the exploration was stopped.
      if (!entry) break;
      const r = await takeRange(shards, from);
      if (!r) break;
      if (!sameState(entry.chunk.state, trueState)) {
        // Started from a wrong guess: run the range again from the state the runs before it left.
        if (shards.state.stopReason !== undefined) break;
        // Sent past the limit of ranges in flight: the pool runs it as soon as a worker is free.
        shards.send({ ...entry.chunk, state: trueState });
        continue;
      }
      guess = r.state;
      trueState = r.state;
      if (r.failure && failureRun === undefined) {
        failureRun = r.failure.run;
        failureStateBefore = r.failure.stateBefore;
        runsToFailure = tally.checked + (failureRun - from + 1);
      }
      addRange(tally, r);
      if (failureRun !== undefined && limits.stopOnFailure) {
        stop('first-failure');
        break;
      }
      from += r.done;
      // A range cut short (interrupted): the runs after it are not counted, as one process would not have run them.
      if (from < entry.chunk.to) break;
    }
  } finally {
    await shards.close();
  }
  if (failureRun !== undefined) {
    strategy.setState?.(failureStateBefore);
    const chooser = strategy.beginRun(failureRun);
    if (!chooser) throw new Error(`strategy ${strategy.name} refused run ${failureRun}`);
    tally.first = { record: await rerunFailure(workload, chooser, runOptions, failureRun), run: failureRun, runsToFailure };
  }
  return { tally, stopReason: shards.state.stopReason ?? 'runs' };
}

/** What a range of worker threads should take: long enough that its round trip is noise, short enough that a time limit or an interrupt wastes little. */
const RANGE_MS = 50;
const MIN_RANGE = 8;
const MAX_RANGE = 16384;

/**
 * The sizes of the ranges handed out: small ones first (8, 16, 32, … so an early failure is found early), at most
 * doubling, then as many runs as take about `rangeMs` at the rate the workers report (2048 when they report none).
 * Sizes change which ranges there are, never which schedule a run has: the result does not depend on them.
 */
function rangeSizer(rangeMs: number = RANGE_MS): { next(): number; measured(r: ShardResult): void } {
  let size = MIN_RANGE;
  let msPerRun: number | undefined;
  return {
    next() {
      const now = size;
      const wanted = msPerRun === undefined ? 2048 : Math.round(rangeMs / Math.max(msPerRun, 1e-3));
      size = Math.max(MIN_RANGE, Math.min(MAX_RANGE, size * 2, wanted));
      return now;
    },
    measured(r) {
      // The latest range's rate: a worker speeds up as its JIT warms, and slows down when the machine is busy.
      if (r.elapsedMs !== undefined && r.done >= MIN_RANGE) msPerRun = r.elapsedMs / r.done;
    },
  };
}

/** Runs a failing run found in a worker again here, for its record. */
async function rerunFailure(workload: Workload, chooser: Chooser, runOptions: RunOptions, run: number): Promise<RunRecord> {
  const record = await executeRun(workload, chooser, runOptions);
  if (record.status !== 'failed') {
    throw new RacelabError('NONDETERMINISTIC', `explore: run ${run} failed in a worker but passed when run again in the main thread; the workload depends on something other than the seed and the schedule`);
  }
  return record;
}

/**
 * dfs over workers: the tree is cut at a depth deep enough for several subtrees a worker (enumerated here, with
 * runs stopped at the cut), and the subtrees are handed out in the order a single search meets them (the
 * transitions before each path's own count as done in it, as in one search); results are taken in that order, so
 * the first failure is the one a single search finds, with the same run index. A subtree given a larger budget
 * than the schedules left once the subtrees before it are counted, and that used more, is explored again with
 * the right budget.
 */
async function runDfsSharded(
  workload: Workload,
  strategy: Strategy & { stats: DfsStats },
  seed: number,
  runOptions: RunOptions,
  limits: Limits,
  pool: ShardPool,
  por: boolean,
): Promise<{ tally: Tally; stopReason: StopReason }> {
  const tally = emptyTally(0);
  const stats = strategy.stats;
  const { prefixes, prunedAbove } = await subtreesFor(workload, runOptions, limits, pool.size, por);
  let next = 0;
  let failure: { run: number; schedule: readonly string[]; runsToFailure: number } | undefined;
  const fill = (): void => {
    while (shards.state.stopReason === undefined && shards.state.inFlight < 2 * pool.size && next < prefixes.length) {
      shards.send({ seed, from: next, to: next + 1, state: undefined, budget: limits.runs - tally.checked, prefix: prefixes[next] as number[] });
      next++;
    }
  };
  const shards = shardState(pool, limits, () => fill());
  const { pending, stop, state } = shards;
  try {
    let subtree = 0;
    for (;;) {
      fill();
      const entry = pending.get(subtree);
      if (!entry) {
        if (state.stopReason === undefined && subtree >= prefixes.length) {
          stats.exhausted = true;
          state.stopReason = 'exhausted';
        }
        break;
      }
      const r = await takeRange(shards, subtree);
      if (!r) break;
      const d = r.dfs as DfsStats;
      const left = limits.runs - tally.checked;
      if (r.checked > left) {
        if (state.stopReason !== undefined) break;
        shards.send({ ...entry.chunk, budget: left });
        continue;
      }
      if (r.failure) failure = { run: tally.run + r.failure.run, schedule: r.failure.schedule, runsToFailure: tally.checked + r.checked };
      addRange(tally, r);
      stats.schedulesExplored += d.schedulesExplored;
      stats.prunedByPor += d.prunedByPor + (prunedAbove[subtree] ?? 0);
      stats.redundantRuns += d.redundantRuns;
      if (failure && limits.stopOnFailure) {
        stop('first-failure');
        break;
      }
      if (tally.checked >= limits.runs) {
        stop('runs');
        break;
      }
      // A subtree cut short (interrupted): what comes after it is not counted.
      if (!d.exhausted) break;
      subtree++;
    }
  } finally {
    await shards.close();
  }
  if (failure) {
    const chooser = replayStrategy(failure.schedule).beginRun(0);
    if (!chooser) throw new Error('replay strategy refused its first run');
    tally.first = { record: await rerunFailure(workload, chooser, runOptions, failure.run), run: failure.run, runsToFailure: failure.runsToFailure };
  }
  return { tally, stopReason: state.stopReason ?? 'runs' };
}

/** Subtrees a worker the dfs split aims for: enough that one large subtree does not leave the others idle. */
const SUBTREES_PER_WORKER = 8;
/** The deepest cut tried: each level costs a partial run per subtree, here in the coordinator. */
const MAX_CUT_DEPTH = 8;

/**
 * The paths of the subtrees to hand out, in a single search's order: the tree cut one level deeper at a time
 * until there are SUBTREES_PER_WORKER a worker, or no path reaches the cut (the tree is that shallow). The
 * pruning at the nodes above the cut is counted with the subtree a single search first reaches each node in.
 */
async function subtreesFor(workload: Workload, runOptions: RunOptions, limits: Limits, workers: number, por: boolean): Promise<{ prefixes: number[][]; prunedAbove: number[] }> {
  let best: { prefixes: number[][]; prunedAbove: number[] } = { prefixes: [[]], prunedAbove: [0] };
  for (let depth = 1; depth <= MAX_CUT_DEPTH; depth++) {
    const prefixes: number[][] = [];
    const prunedAbove: number[] = [];
    const cut = dfsStrategy({ por, cutDepth: depth, prefixes, prunedAbove });
    await runAll(workload, cut, runOptions, { runs: Number.MAX_SAFE_INTEGER, timeLimitMs: undefined, signal: limits.signal, stopOnFailure: false, onRun: undefined, started: realNow() });
    if (limits.signal?.aborted) break;
    best = { prefixes, prunedAbove };
    if (prefixes.length >= SUBTREES_PER_WORKER * workers || prefixes.every((p) => p.length < depth)) break;
  }
  return best;
}

/** The outcome of running one recorded schedule. */
export interface ReplayResult {
  readonly workload: string;
  readonly params: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly status: 'passed' | 'failed';
  readonly failure?: { readonly kind: FailureKind; readonly message: string };
  readonly schedule: ScheduleReport;
}

/**
 * Runs the schedule of a replay token once, exactly. The token must have been made for this workload (same name
 * and parameters): anything else is refused with BAD_TOKEN rather than replayed into a different program.
 */
export async function replay(
  workload: Workload,
  token: string | ReplayToken,
  options: Pick<ExploreOptions, 'maxSteps' | 'ambient' | 'io' | 'ioWaitMs' | 'virtualTime' | 'instrumentation'> = {},
): Promise<ReplayResult> {
  const parsed = typeof token === 'string' ? parseReplayToken(token) : token;
  checkTokenMatches(workload, parsed);
  options = { ...options, ...replayOptions(parsed, options) };
  const strategy = replayStrategy(parsed.schedule);
  const chooser = strategy.beginRun(0);
  if (!chooser) throw new Error('replay strategy refused its first run');
  const record = await withVirtualTime(options, (timers) =>
    executeRun(workload, chooser, {
      seed: parsed.seed,
      maxSteps: options.maxSteps ?? Math.max(DEFAULTS.maxSteps, parsed.schedule.length),
      ambient: options.ambient === true,
      ...(options.io ? { io: options.io } : {}),
      ...(options.ioWaitMs !== undefined ? { ioWaitMs: options.ioWaitMs } : {}),
      ...(options.instrumentation === false ? { instrumentation: false } : {}),
      ...(timers ? { timers } : {}),
    }),
  );
  strategy.endRun(0, record);
  return {
    workload: workload.name,
    params: paramsOf(workload),
    seed: parsed.seed,
    status: record.status === 'failed' ? 'failed' : 'passed',
    ...(record.failure ? { failure: record.failure } : {}),
    schedule: scheduleReport(record),
  };
}

function checkTokenMatches(workload: Workload, token: ReplayToken): void {
  if (token.workload !== workload.name) {
    throw new RacelabError('BAD_TOKEN', `replay token: it was made for workload "${token.workload}", not "${workload.name}"`);
  }
  const mine = paramsOf(workload);
  const keys = new Set([...Object.keys(mine), ...Object.keys(token.params)]);
  for (const k of keys) {
    if (mine[k] !== token.params[k]) {
      throw new RacelabError(
        'BAD_TOKEN',
        `replay token: it was made with ${k}=${token.params[k] ?? '(none)'}, but this workload has ${k}=${mine[k] ?? '(none)'}`,
      );
    }
  }
}

function makeStrategy(workload: Workload, options: ExploreOptions, seed: number): Strategy {
  const s = options.strategy ?? 'portfolio';
  if (typeof s !== 'string') return s;
  switch (s) {
    case 'random':
      return randomStrategy(seed);
    case 'pct': {
      const depth = options.depth ?? 3;
      if (!Number.isInteger(depth) || depth < 1 || depth > 50) throw new RacelabError('BAD_OPTION', `explore: pct depth must be a whole number from 1 to 50, not ${depth}`);
      return pctStrategy(seed, { depth });
    }
    case 'pos':
      return posStrategy(seed);
    case 'portfolio':
      return portfolioStrategy(seed, { depth: options.depth ?? 3 });
    case 'dfs':
      return dfsStrategy({ por: options.por ?? true });
    case 'replay': {
      if (options.replay === undefined) throw new RacelabError('BAD_OPTION', 'explore: strategy "replay" needs the replay option (a replay token or a list of step keys)');
      if (typeof options.replay === 'string') {
        const token = parseReplayToken(options.replay);
        checkTokenMatches(workload, token);
        return replayStrategy(token.schedule);
      }
      return replayStrategy(options.replay);
    }
    default:
      throw new RacelabError('BAD_OPTION', `explore: unknown strategy "${String(s)}"; use random, pct, pos, portfolio, dfs or replay`);
  }
}

function paramsOf(workload: Workload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(workload.params ?? {})) out[k] = String(v);
  return out;
}

function scheduleReport(record: RunRecord): ScheduleReport {
  const cost = costOf(record.steps);
  return {
    steps: cost.steps,
    preemptions: cost.preemptions,
    trace: traceLine(record.steps),
    traceLines: traceLines(record.steps),
    stepTasks: record.steps.map((s) => s.taskName),
    schedule: scheduleOf(record.steps),
    virtualMs: record.virtualMs,
    windDownSteps: record.windDownFrom !== undefined ? record.steps.length - record.windDownFrom : 0,
    ...(record.windDownFrom !== undefined && record.windDownFrom < record.steps.length ? { traceToResult: traceLine(record.steps.slice(0, record.windDownFrom)) } : {}),
  };
}
