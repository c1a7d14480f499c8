import { AbortedRun, unlessAborted, type Interrupted } from '../../core/interrupt.js';
import { RacelabError } from '../../core/errors.js';
import { formatMs, pct } from '../../core/units.js';
import { openStore } from '../../store/open.js';
import { counterVariant } from '../counter/registry.js';
import { COUNTER_KEY, type CounterLockOptions } from '../counter/variants.js';
import { startReplicaSet, type ReplicaExit } from './replica-set.js';
import { runSpreadBurst, type SpreadBurstCall, type SpreadBurstResult } from './spread-burst.js';
import { counterStatsMeanings, formatCounterStats } from '../../report/counter-stats.js';
import { mergeCounterStats, type CounterCost } from './stats.js';
import { cleanupOnSignal, describeSource, probeStore, resolveSharedStores, runNamespace, withNamespace, type ResolvedStore } from '../../store/specs.js';

export interface ReplicasDemoOptions {
  /** Stops the demo: the runs that finished are reported, with `interrupted`. */
  signal?: AbortSignal;
  /** `postgres`, `redis`, their URLs, comma-separated; default `postgres` (RACELAB_PG_URL or the default URL). */
  store?: string;
  /** Replicas for the multi-replica runs; default 3. */
  replicas?: number;
  /** Increments per run; default 120. */
  calls?: number;
  /** Calls in flight at once, spread across the replicas; default 12. */
  concurrency?: number;
  /** The read-modify-write window; default 20 ms. */
  delayMs?: number;
  /** Handlers at once in each replica; default 10. */
  maxConcurrency?: number;
  /** The store-level fixes to compare (default: every safe variant of the store). */
  variants?: string[];
  /** Also kill -9 one replica mid-burst (default true). */
  killOne?: boolean;
  /** The lock caution runs (Redis): TTL, the pause, and how often a holder pauses. */
  lockTtlMs?: number;
  holderPauseMs?: number;
  holderPauseEvery?: number;
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
  /** Keep every call of each run's burst (`ReplicasRun.calls`), for the page's timeline. */
  keepCalls?: boolean;
}

export type ReplicasRunRole = 'baseline' | 'fix' | 'caution';

export interface ReplicasRun {
  store: 'postgres' | 'redis';
  role: ReplicasRunRole;
  variant: string;
  /** `mutex`, or `redis-lock + pause` for the caution runs. */
  label: string;
  summary: string;
  replicas: number;
  sent: number;
  acknowledged: number;
  failed: number;
  unknown: number;
  finalValue: number;
  /** Acknowledged increments missing from the final value. */
  lostUpdates: number;
  exact: boolean;
  wallMs: number;
  callsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Summed over the replicas. */
  stats: CounterCost;
  lock?: { ttlMs: number; holderPauseMs: number; holderPauseEvery: number };
  /** Every call of the burst, with `keepCalls`. */
  calls?: SpreadBurstCall[];
}

export interface ReplicasKillRun {
  store: 'postgres' | 'redis';
  variant: string;
  replicas: number;
  killedReplica: number;
  killedTarget: string;
  acknowledgedAtKill: number;
  inFlightAtKill: number;
  sent: number;
  acknowledged: number;
  failed: number;
  unknown: number;
  finalValue: number;
  /** Acknowledged increments the final value does not contain: must be 0 with a durable store. */
  lostAcknowledged: number;
  /** Unknown outcomes that did take effect (final − acknowledged), between 0 and `unknown`. */
  unknownApplied: number;
  durable: boolean;
}

export interface ReplicasDemoReport {
  kind: 'replicas-demo';
  settings: { replicas: number; calls: number; concurrency: number; delayMs: number; maxConcurrency: number; stores: string[] };
  runs: ReplicasRun[];
  kills: ReplicasKillRun[];
  explanation: string[];
  /** Set when `signal` stopped the demo: `runs` and `kills` hold the runs that finished. */
  interrupted?: Interrupted;
}

const FIXES: Record<'postgres' | 'redis', string[]> = {
  postgres: ['pg-atomic', 'pg-for-update', 'pg-serializable', 'pg-version', 'pg-advisory'],
  redis: ['redis-incr', 'redis-watch', 'redis-lua', 'redis-lock', 'redis-lock-fencing'],
};
const DURABLE_VARIANT = { postgres: 'pg-atomic', redis: 'redis-incr' } as const;

interface Settings {
  replicas: number;
  calls: number;
  concurrency: number;
  delayMs: number;
  maxConcurrency: number;
}

/** One run: R replicas of one variant on a fresh namespace, one spread burst, the final value read from the store. */
async function runOne(
  s: ResolvedStore,
  plan: { variant: string; replicas: number; role: ReplicasRunRole; lock?: Required<CounterLockOptions> },
  o: Settings,
  progress: (l: string) => void,
  keepCalls = false,
): Promise<ReplicasRun> {
  const variant = counterVariant(plan.variant);
  const url = withNamespace(s.url, runNamespace(`demo-${plan.variant}`));
  const forget = cleanupOnSignal(url);
  const store = await openStore(url);
  try {
    const label = plan.lock?.holderPauseEvery ? `${plan.variant} + pause` : plan.variant;
    progress(`${s.kind}: ${label} on ${plan.replicas} replica${plan.replicas > 1 ? 's' : ''}: ${o.calls} increments, ${o.concurrency} in flight`);
    const set = await startReplicaSet({
      replicas: plan.replicas,
      variant: plan.variant,
      store: url,
      delayMs: o.delayMs,
      maxConcurrency: o.maxConcurrency,
      ...(plan.lock ? { lock: plan.lock } : {}),
    });
    let burst: SpreadBurstResult;
    let exits: ReplicaExit[];
    try {
      burst = await runSpreadBurst({ targets: set.targets, calls: o.calls, concurrency: o.concurrency, ...(keepCalls ? { keepCalls: true } : {}) });
    } finally {
      exits = await set.stop(2000);
    }
    const finalValue = await store.get(COUNTER_KEY);
    const run: ReplicasRun = {
      store: s.kind,
      role: plan.role,
      variant: plan.variant,
      label,
      summary: variant.summary,
      replicas: plan.replicas,
      sent: burst.sent,
      acknowledged: burst.acknowledged,
      failed: burst.failed,
      unknown: burst.unknown,
      finalValue,
      lostUpdates: burst.acknowledged - finalValue,
      exact: finalValue === burst.acknowledged && burst.unknown === 0,
      wallMs: burst.wallMs,
      callsPerSecond: burst.callsPerSecond,
      latencyP50Ms: burst.latencyP50Ms,
      latencyP99Ms: burst.latencyP99Ms,
      stats: mergeCounterStats(exits.map((e) => e.stats)),
      ...(plan.lock ? { lock: { ttlMs: plan.lock.ttlMs, holderPauseMs: plan.lock.holderPauseMs, holderPauseEvery: plan.lock.holderPauseEvery } } : {}),
      ...(burst.calls ? { calls: burst.calls } : {}),
    };
    progress(`  acknowledged ${run.acknowledged}, final value ${finalValue}${run.lostUpdates > 0 ? `: ${run.lostUpdates} lost` : ''}`);
    return run;
  } finally {
    await store.reset().catch(() => undefined);
    await store.close();
    forget();
  }
}

/** The fault: kill -9 one replica in the middle of a burst of a store-level fix, then count. */
export async function runKillOne(
  s: ResolvedStore,
  o: Settings & { variant?: string; victim?: number; afterAcknowledged?: number },
  progress: (l: string) => void = () => undefined,
): Promise<ReplicasKillRun> {
  const variantName = o.variant ?? DURABLE_VARIANT[s.kind];
  const victim = o.victim ?? Math.min(1, o.replicas - 1);
  const url = withNamespace(s.url, runNamespace(`kill-${variantName}`));
  const forget = cleanupOnSignal(url);
  const store = await openStore(url);
  try {
    progress(`${s.kind}: ${variantName} on ${o.replicas} replicas, kill -9 of replica ${victim + 1} mid-burst`);
    const set = await startReplicaSet({ replicas: o.replicas, variant: variantName, store: url, delayMs: o.delayMs, maxConcurrency: o.maxConcurrency });
    let burst: SpreadBurstResult;
    try {
      burst = await runSpreadBurst({
        targets: set.targets,
        calls: o.calls,
        concurrency: o.concurrency,
        fault: { victim, afterAcknowledged: o.afterAcknowledged ?? Math.floor(o.calls / 3), kill: (i) => set.kill(i) },
      });
    } finally {
      await set.stop(2000);
    }
    const finalValue = await store.get(COUNTER_KEY);
    const kill = burst.kill;
    if (!kill) throw new RacelabError('BAD_OPTION', 'the kill never happened: the burst ended first; send more calls');
    const run: ReplicasKillRun = {
      store: s.kind,
      variant: variantName,
      replicas: o.replicas,
      killedReplica: kill.victim + 1,
      killedTarget: kill.target,
      acknowledgedAtKill: kill.acknowledgedBefore,
      inFlightAtKill: kill.inFlight,
      sent: burst.sent,
      acknowledged: burst.acknowledged,
      failed: burst.failed,
      unknown: burst.unknown,
      finalValue,
      lostAcknowledged: Math.max(0, burst.acknowledged - finalValue),
      unknownApplied: finalValue - burst.acknowledged,
      durable: finalValue >= burst.acknowledged && finalValue <= burst.acknowledged + burst.unknown,
    };
    progress(`  acknowledged ${run.acknowledged}, unknown ${run.unknown}, final value ${finalValue}`);
    return run;
  } finally {
    await store.reset().catch(() => undefined);
    await store.close();
    forget();
  }
}

export async function runReplicasDemo(options: ReplicasDemoOptions = {}): Promise<ReplicasDemoReport> {
  const o: Settings = {
    replicas: options.replicas ?? 3,
    calls: options.calls ?? 120,
    concurrency: options.concurrency ?? 12,
    delayMs: options.delayMs ?? 20,
    maxConcurrency: options.maxConcurrency ?? 10,
  };
  if (o.replicas < 2) throw new RacelabError('BAD_COUNT', 'the demo compares 1 replica with several; use 2 or more', { subject: 'replicas' });
  const stores = resolveSharedStores(options.store, options.env);
  // An unknown name, or a variant for a store that is not in --store, fails before anything starts.
  for (const v of options.variants ?? []) {
    const needs = counterVariant(v).requires;
    if (needs && !stores.some((s) => s.kind === needs)) {
      throw new RacelabError('BAD_OPTION', `${v} needs a ${needs === 'postgres' ? 'PostgreSQL' : 'Redis'} store; add \`store\` ${needs} (or its URL)`, { subject: 'variants' });
    }
  }
  const progress = options.onProgress ?? (() => undefined);
  for (const s of stores) await probeStore(s);

  const runs: ReplicasRun[] = [];
  const kills: ReplicasKillRun[] = [];
  // Every run planned up front, so an interrupted demo can say how many of them finished.
  const plan: Array<() => Promise<void>> = [];
  for (const s of stores) {
    const fixes = (options.variants ?? FIXES[s.kind]).filter((v) => {
      const needs = counterVariant(v).requires;
      return !needs || needs === s.kind;
    });
    plan.push(async () => void runs.push(await runOne(s, { variant: 'mutex', replicas: 1, role: 'baseline' }, o, progress, options.keepCalls)));
    plan.push(async () => void runs.push(await runOne(s, { variant: 'mutex', replicas: o.replicas, role: 'baseline' }, o, progress, options.keepCalls)));
    for (const v of fixes) {
      // A variant asked for that is neither safe nor one of the store's fixes (pg-read-write, vulnerable) is a
      // baseline to compare with, not a fix.
      const role = counterVariant(v).safe || FIXES[s.kind].includes(v) ? 'fix' : 'baseline';
      plan.push(async () => void runs.push(await runOne(s, { variant: v, replicas: o.replicas, role }, o, progress, options.keepCalls)));
    }
    if (s.kind === 'redis' && !options.variants) {
      // The caution: the same lock, with a holder now and then stalled past the TTL.
      const ttlMs = options.lockTtlMs ?? Math.max(300, 10 * o.delayMs);
      const lock = { ttlMs, holderPauseMs: options.holderPauseMs ?? ttlMs * 2 + 100, holderPauseEvery: options.holderPauseEvery ?? 15 };
      for (const v of ['redis-lock', 'redis-lock-fencing']) plan.push(async () => void runs.push(await runOne(s, { variant: v, replicas: o.replicas, role: 'caution', lock }, o, progress, options.keepCalls)));
    }
    if (options.killOne ?? true) plan.push(async () => void kills.push(await runKillOne(s, o, progress)));
  }
  let interrupted: Interrupted | undefined;
  for (const step of plan) {
    try {
      if (options.signal?.aborted) throw new AbortedRun('interrupted');
      await unlessAborted(step(), options.signal);
    } catch (e) {
      if (!(e instanceof AbortedRun)) throw e;
      interrupted = { ran: runs.length + kills.length, planned: plan.length };
      break;
    }
  }
  const partial = { kind: 'replicas-demo' as const, settings: { ...o, stores: stores.map(describeSource) }, runs, kills };
  return { ...partial, explanation: explainReplicasDemo(partial), ...(interrupted ? { interrupted } : {}) };
}

const rate = (r: ReplicasRun): string => `${Math.round(r.callsPerSecond)} calls/s`;

/** What the run showed, written from its numbers only. */
export function explainReplicasDemo(report: Omit<ReplicasDemoReport, 'explanation'>): string[] {
  const lines: string[] = [];
  for (const kind of ['postgres', 'redis'] as const) {
    const runs = report.runs.filter((r) => r.store === kind);
    if (runs.length === 0) continue;
    const name = kind === 'postgres' ? 'PostgreSQL' : 'Redis';
    const one = runs.find((r) => r.variant === 'mutex' && r.replicas === 1);
    const many = runs.find((r) => r.variant === 'mutex' && r.replicas > 1);
    if (one && many) {
      const oneText = one.exact
        ? `the mutex on 1 replica kept all ${one.acknowledged} acknowledged increments`
        : `the mutex on 1 replica ended at ${one.finalValue} for ${one.acknowledged} acknowledged increments`;
      const manyText =
        many.lostUpdates > 0
          ? `on ${many.replicas} replicas it lost ${many.lostUpdates} of ${many.acknowledged} (${pct(many.lostUpdates, many.acknowledged)}): each process has its own mutex, which orders only that process's handlers, so the ${many.replicas} processes still read the shared counter in ${name} between each other's reads and writes`
          : `on ${many.replicas} replicas it lost nothing in this run (the processes' windows did not overlap; widen --delay or raise --concurrency)`;
      lines.push(`${name}: ${oneText}; ${manyText}.`);
    }
    for (const r of runs.filter((x) => x.role === 'baseline' && x.variant !== 'mutex')) {
      lines.push(`${r.variant} on ${r.replicas} replicas: ${r.lostUpdates > 0 ? `lost ${r.lostUpdates} of ${r.acknowledged} acknowledged increments (${pct(r.lostUpdates, r.acknowledged)})` : `lost nothing in this run`}. How it updates: ${r.summary}.`);
    }
    const fixes = runs.filter((r) => r.role === 'fix');
    if (fixes.length) {
      const exact = fixes.filter((r) => r.exact);
      const inexact = fixes.filter((r) => !r.exact);
      const fastest = [...exact].sort((a, b) => b.callsPerSecond - a.callsPerSecond)[0];
      const slowest = [...exact].sort((a, b) => a.callsPerSecond - b.callsPerSecond)[0];
      let text = `${exact.length} of ${fixes.length} store-level fixes were exact on ${fixes[0]?.replicas} replicas`;
      if (inexact.length) text += ` (not exact: ${inexact.map((r) => `${r.variant} lost ${r.lostUpdates}, ${r.failed} failed, ${r.unknown} unknown`).join('; ')})`;
      if (fastest && slowest && fastest !== slowest) {
        text += `. Their cost differs: ${fastest.variant} ran at ${rate(fastest)} (p99 ${formatMs(fastest.latencyP99Ms)}), ${slowest.variant} at ${rate(slowest)} (p99 ${formatMs(slowest.latencyP99Ms)})`;
      }
      lines.push(`${text}.`);
      // Each variant's own counts, with their own nouns: one that retries is not one that waits for a lock.
      const withCost = fixes.filter((r) => formatCounterStats(r.stats));
      if (withCost.length) {
        const meanings = counterStatsMeanings(withCost.map((r) => r.stats));
        const defined = meanings.length ? ` ${meanings.join('; ').replace(/^a/, 'A')}.` : '';
        lines.push(`What the fixes counted as they worked: ${withCost.map((r) => `${r.variant} ${formatCounterStats(r.stats)}`).join('; ')}.${defined}`);
      }
      const atomic = exact.filter((r) => r.variant === 'pg-atomic' || r.variant === 'redis-incr' || r.variant === 'redis-lua');
      if (atomic.length) {
        lines.push(
          `${atomic.map((r) => r.variant).join(' and ')} ${atomic.length > 1 ? 'move' : 'moves'} the read-modify-write into ${name}, so the ${formatMs(report.settings.delayMs)} of work before it overlaps freely; the variants that hold a lock or retry across the read-wait-write serialize that window across every replica.`,
        );
      }
    }
    const plain = runs.find((r) => r.role === 'caution' && r.variant === 'redis-lock');
    const fenced = runs.find((r) => r.role === 'caution' && r.variant === 'redis-lock-fencing');
    if (plain?.lock) {
      const setting = `a lock TTL of ${formatMs(plain.lock.ttlMs)} and every ${plain.lock.holderPauseEvery}th holder in each replica stalled ${formatMs(plain.lock.holderPauseMs)} between its read and its write`;
      lines.push(
        plain.lostUpdates > 0
          ? `The caution, with ${setting}: redis-lock lost ${plain.lostUpdates} of ${plain.acknowledged} increments (${plain.stats.holderPauses} pauses, ${plain.stats.lockExpiries} locks expired while held). A paused holder's lock expired, another replica took it and incremented, and the paused holder woke still believing it held the lock and wrote a value computed before those increments.`
          : `The caution, with ${setting}: redis-lock lost nothing this time (${plain.stats.holderPauses} pauses, ${plain.stats.lockExpiries} expiries): no other holder finished inside a pause. The hazard is the same; raise --calls.`,
      );
    }
    if (fenced?.lock) {
      lines.push(
        fenced.exact
          ? `With fencing tokens the same pauses (${fenced.stats.holderPauses}) cost ${fenced.stats.fencedRejections} refused accesses and ${fenced.stats.retries} retries, and the counter was exact: each holding gets a larger token, the store remembers the largest it has seen and refuses older ones, so a holder that lost its lock cannot write.`
          : `With fencing tokens the counter was not exact (lost ${fenced.lostUpdates}, failed ${fenced.failed}, unknown ${fenced.unknown}).`,
      );
    }
  }
  for (const k of report.kills) {
    const verdict = k.durable
      ? `no acknowledged increment was lost (final value ${k.finalValue} for ${k.acknowledged} acknowledged)`
      : `${k.lostAcknowledged} acknowledged increments were lost (final value ${k.finalValue} for ${k.acknowledged} acknowledged)`;
    lines.push(
      `kill -9 of replica ${k.killedReplica} (${k.variant}, ${k.store}) after ${k.acknowledgedAtKill} acknowledged increments, with ${k.inFlightAtKill} calls in flight on it: ${verdict}. ${k.unknown} calls have unknown outcomes: they got no answer${k.inFlightAtKill > k.unknown ? ` (the other ${k.inFlightAtKill - k.unknown} answers were already on their way)` : ''}; ${Math.max(0, k.unknownApplied)} of them had reached the store before the process died and count in the final value. A client must treat such calls as maybe-done, not as failed.`,
    );
  }
  return lines;
}

