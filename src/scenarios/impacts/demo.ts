import { plural } from '../../core/units.js';
import { messageOf } from '../../core/errors.js';
import { AbortedRun, unlessAborted, type Interrupted } from '../../core/interrupt.js';
import type { SyncMode } from '../../burst/sync-policy.js';
import { spreadOf, type BurstSpread } from '../../burst/stats.js';
import { explore } from '../../explore/explore.js';
import { runAttack } from '../../attack/run.js';
import { raceMonitor, type RaceMonitor, type SuspectLogger } from '../../monitor/monitor.js';
import { runScenarioBurst, type ScenarioBurstCall } from './burst.js';
import { impactScenario, impactScenarios } from './registry.js';
import type { ImpactAvailability, ImpactMeasure, ImpactScenario } from './scenario.js';
import { startScenarioServer, type StoreUse } from './server.js';

export interface ImpactsDemoOptions {
  /** One scenario; default every scenario in the registry. */
  readonly scenario?: string;
  /** The race window each served variant has between check and write; default 50 ms. */
  readonly delayMs?: number;
  /** Calls of each default method per burst; default 10. */
  readonly count?: number;
  /** Wall-time budget of each explorer proof (dfs at 3 clients); default 5 s. */
  readonly exploreTimeLimitMs?: number;
  /**
   * Watch each served variant with a race monitor: its suspected lost updates join the report. `logger` gets one
   * line per suspect (pino on stderr in the CLI).
   */
  readonly monitor?: boolean | { readonly logger?: SuspectLogger };
  /** Keep every call of each burst, with the server's handler times and the monitor's marks (for `--html`). */
  readonly keepCalls?: boolean;
  readonly onProgress?: (line: string) => void;
  /** Stops the demo: the runs that finished are reported, with `interrupted`. */
  readonly signal?: AbortSignal;
}

/** What the explorer said about a variant: a failing schedule (a race or a deadlock), a proof, or neither within the budget. */
export interface ImpactExploreVerdict {
  readonly verdict: 'race-found' | 'deadlock-found' | 'proved' | 'none-found';
  readonly runs: number;
  readonly clients: number;
  readonly message?: string;
  readonly trace?: string;
}

export interface ImpactsDemoRun {
  readonly variant: string;
  readonly summary: string;
  readonly safe: boolean;
  /** Served on loopback on the memory store, one burst of the scenario's calls. */
  readonly calls: number;
  readonly accepted: Readonly<Record<string, number>>;
  readonly refused: number;
  readonly unknown: number;
  readonly impact: ImpactMeasure;
  /** `race` when the invariant broke, `exact` when it held with every outcome known, `unknown` otherwise. */
  readonly verdict: 'race' | 'exact' | 'unknown';
  readonly explored?: ImpactExploreVerdict;
  readonly wallMs: number;
  /** What the race monitor saw of this variant's server (with `monitor`). */
  readonly monitor?: ImpactMonitorView;
  /** Every call of the burst (with `keepCalls`). */
  readonly callLog?: readonly ImpactDemoCall[];
  /** How far apart the burst's calls were (with `keepCalls`): the attack's measures of one round. */
  readonly burstSpread?: ImpactBurstSpread;
}

/** First to last handler start on the server (only when every call's handler was seen) and first to last send. */
export interface ImpactBurstSpread {
  readonly server?: BurstSpread;
  readonly send?: BurstSpread;
}

function burstSpreadOf(calls: readonly ImpactDemoCall[]): ImpactBurstSpread {
  const server = calls.every((c) => c.handlerStartMicros !== undefined) ? spreadOf(calls.map((c) => c.handlerStartMicros!)) : undefined;
  const send = spreadOf(calls.map((c) => c.sentMicros));
  return { ...(server ? { server } : {}), ...(send ? { send } : {}) };
}

/**
 * The race monitor on one variant. `visible` is false when the handlers' writes never reached it as a request's
 * writes (state in an actor's memory, writes inside store transactions, a store reached past the port): then its
 * 0 means "saw nothing", not "no lost update", and `reason` says why.
 */
export interface ImpactMonitorView {
  readonly requests: number;
  readonly suspectedLostUpdates: number;
  /**
   * The suspected lost updates per key class (the key up to its first `:` or `/`), when they fell on more than one:
   * one race can lose an update on each key it writes (a session's record and the pool's free count).
   */
  readonly suspectsByKeyClass?: Readonly<Record<string, number>>;
  /** Writes the monitor paired with a request (through the Store, in the request's context). */
  readonly writesSeen: number;
  readonly visible: boolean;
  /** Why not visible: a few words for a table cell, and the sentence. */
  readonly why?: string;
  readonly reason?: string;
}

/** One burst call as the client saw it, joined by request id with the server's handler as the monitor saw it. */
export interface ImpactDemoCall extends ScenarioBurstCall {
  readonly handlerStartMicros?: number;
  readonly handlerEndMicros?: number;
  /** First read to last write of the handler, when it went through the Store. */
  readonly windowMicros?: { readonly startMicros: number; readonly endMicros: number };
  /** The request whose update this call's write went over (a suspected lost update). */
  readonly overwrote?: string;
  readonly overwrittenBy?: string;
}

/** One sync mode's attack on the vulnerable variant: rounds in which the invariant broke, and the impact summed. */
export interface ImpactDetection {
  readonly sync: SyncMode;
  readonly rounds: number;
  readonly detected: number;
  readonly undecided: number;
  /** The impact summed over the rounds, in the scenario's unit. */
  readonly impact: number;
  readonly unit: string;
}

export interface ImpactsDemoScenario {
  readonly name: string;
  readonly title: string;
  readonly invariant: string;
  readonly runs: readonly ImpactsDemoRun[];
  /** Detection rate per sync mode (scenarios with `detectionRounds`). */
  readonly detection?: readonly ImpactDetection[];
  /** Calls answered before, during and after a crashing burst, per form (scenarios with `availability`). */
  readonly availability?: readonly ImpactAvailability[];
}

const DETECTION_MODES: readonly SyncMode[] = ['sequential', 'parallel', 'connections', 'last-frame'];

async function detectionPerMode(scenario: ImpactScenario, rounds: number, delayMs: number, count: number, progress: (line: string) => void): Promise<ImpactDetection[]> {
  const out: ImpactDetection[] = [];
  for (const sync of DETECTION_MODES) {
    progress(`${scenario.name} vulnerable: ${plural(rounds, 'round')} of racelab attack --sync ${sync}`);
    const server = await startScenarioServer({ scenario: scenario.name, variant: 'vulnerable', delayMs });
    try {
      const report = await runAttack({ target: server.target, scenario: scenario.name, sync, count, rounds, pauseMs: 0 });
      let impact = 0;
      let unit = '';
      for (const r of report.rounds) {
        const m = scenario.impact(r.before, r.after, {});
        impact += m.violated ? m.amount : 0;
        unit = m.unit;
      }
      out.push({ sync, rounds: report.rounds.length, detected: report.racesFound, undecided: report.rounds.filter((r) => r.verdict === 'unknown').length, impact, unit });
    } finally {
      await server.close(2000);
    }
  }
  return out;
}

/** Each availability variant served on loopback and measured over gRPC, with what its supervisor saw. */
async function availabilityPerVariant(scenario: ImpactScenario, delayMs: number, progress: (line: string) => void): Promise<ImpactAvailability[]> {
  const out: ImpactAvailability[] = [];
  for (const v of scenario.availabilityVariants ?? []) {
    progress(`${scenario.name} ${v.name}: serving on loopback; calls answered before, during and after a crashing burst`);
    const server = await startScenarioServer({ scenario: scenario.name, variant: v.name, delayMs });
    try {
      const phases = await (scenario.availability as NonNullable<ImpactScenario['availability']>).measure(server.target);
      const seen = server.service.supervision?.();
      if (!seen) throw new Error(`${scenario.name} ${v.name}: an availability variant without a supervisor to ask`);
      out.push({ form: v.name, ...phases, ...seen });
    } finally {
      await server.close(2000);
    }
  }
  return out;
}

export interface ImpactsDemoReport {
  readonly kind: 'demo-impacts';
  readonly delayMs: number;
  readonly count: number;
  readonly scenarios: readonly ImpactsDemoScenario[];
  /** Set when `signal` stopped the demo: `scenarios` holds the runs that finished. */
  readonly interrupted?: Interrupted;
}

const EXPLORE_CLIENTS = 3;

async function exploreVariant(scenario: ImpactScenario, variant: string, timeLimitMs: number): Promise<ImpactExploreVerdict> {
  const r = await explore(scenario.workload({ variant, clients: EXPLORE_CLIENTS }), { strategy: 'dfs', runs: 1_000_000, seed: 1, timeLimitMs });
  const f = r.firstFailure;
  if (f) return { verdict: f.kind === 'deadlock' ? 'deadlock-found' : 'race-found', runs: f.runsToFailure, clients: EXPLORE_CLIENTS, message: f.message, trace: f.shrunk.trace };
  return { verdict: r.dfs?.exhausted ? 'proved' : 'none-found', runs: r.runs, clients: EXPLORE_CLIENTS };
}

/**
 * `racelab demo impacts`: every scenario's variants that run on the embedded store, each served on loopback and
 * hit by one burst of the scenario's calls, the vulnerable one beside the fixes; the impact is measured in the
 * scenario's own units in this run. Each variant is also explored (dfs, 3 clients), which finds what a burst
 * cannot show, such as the lock-ordering deadlock.
 */
export async function runImpactsDemo(o: ImpactsDemoOptions = {}): Promise<ImpactsDemoReport> {
  const scenarios = o.scenario ? [impactScenario(o.scenario)] : [...impactScenarios];
  const delayMs = o.delayMs ?? 50;
  const count = o.count ?? 10;
  const progress = o.onProgress ?? (() => undefined);
  const out: ImpactsDemoScenario[] = [];
  const planned = scenarios.reduce((n, s) => n + s.variants.filter((x) => !x.requires).length + (s.detectionRounds ? 1 : 0), 0);
  let ran = 0;
  const step = <T>(p: () => Promise<T>): Promise<T> => (o.signal?.aborted ? Promise.reject(new AbortedRun('interrupted')) : unlessAborted(p(), o.signal));
  let interrupted: Interrupted | undefined;
  for (const scenario of scenarios) {
    const runs: ImpactsDemoRun[] = [];
    try {
      for (const v of scenario.variants.filter((x) => !x.requires)) {
        const calls = count * scenario.attack.calls.length;
        progress(`${scenario.name} ${v.name}: serving on loopback, ${plural(calls, 'call')} at once, ${delayMs} ms window`);
        const logger = typeof o.monitor === 'object' ? o.monitor.logger : undefined;
        // A monitor also joins the calls with the server's handler times on the page; it speaks in the report only with `monitor`.
        const monitor = o.monitor || o.keepCalls ? raceMonitor({ keepRequests: calls + 16, ...(logger && o.monitor ? { logger, name: `demo impacts ${scenario.name} ${v.name}` } : {}) }) : undefined;
        const server = await startScenarioServer({ scenario: scenario.name, variant: v.name, delayMs, ...(monitor ? { monitor } : {}) });
        let burst;
        try {
          burst = await step(() => runScenarioBurst({ scenario: scenario.name, targets: [server.target], count, ...(o.keepCalls ? { keepCalls: true } : {}) }));
        } finally {
          await server.close(2000);
        }
        const monitorView = monitor && o.monitor ? monitorViewOf(monitor, server.storeUse, v.spawnsProcesses === true) : undefined;
        if (monitorView) progress(`${scenario.name} ${v.name}: the race monitor ${monitorView.visible ? `flagged ${plural(monitorView.suspectedLostUpdates, 'suspected lost update')}` : `saw no write (${monitorView.reason ?? ''})`}`);
        progress(`${scenario.name} ${v.name}: exploring every schedule of ${plural(EXPLORE_CLIENTS, 'client')} (dfs)`);
        let explored: ImpactExploreVerdict | undefined;
        try {
          explored = await step(() => exploreVariant(scenario, v.name, o.exploreTimeLimitMs ?? 5000));
        } catch (e) {
          if (e instanceof AbortedRun) throw e;
          progress(`${scenario.name} ${v.name}: the explorer could not run it (${messageOf(e)})`);
        }
        const callLog = burst.callLog && monitor ? joinCalls(burst.callLog, monitor, v.spawnsProcesses !== true) : undefined;
        runs.push({
          variant: v.name,
          summary: v.summary,
          safe: v.safe,
          calls: burst.calls,
          accepted: burst.accepted,
          refused: burst.refused,
          unknown: burst.unknown,
          impact: burst.impact,
          verdict: burst.impact.violated ? (burst.unknown > 0 ? 'unknown' : 'race') : burst.unknown > 0 ? 'unknown' : 'exact',
          ...(explored ? { explored } : {}),
          wallMs: burst.wallMs,
          ...(monitorView ? { monitor: monitorView } : {}),
          ...(callLog ? { callLog, burstSpread: burstSpreadOf(callLog) } : {}),
        });
        ran++;
      }
      const rounds = scenario.detectionRounds;
      const detection = rounds ? await step(() => detectionPerMode(scenario, rounds, delayMs, Math.min(count, 5), progress)) : undefined;
      if (detection) ran++;
      const availability = scenario.availability ? await step(() => availabilityPerVariant(scenario, delayMs, progress)) : undefined;
      out.push({ name: scenario.name, title: scenario.title, invariant: scenario.invariant, runs, ...(detection ? { detection } : {}), ...(availability ? { availability } : {}) });
    } catch (e) {
      if (!(e instanceof AbortedRun)) throw e;
      // The variants of this scenario that finished are reported; its detection rates are not.
      if (runs.length) out.push({ name: scenario.name, title: scenario.title, invariant: scenario.invariant, runs });
      interrupted = { ran, planned };
      break;
    }
  }
  return { kind: 'demo-impacts', delayMs, count, scenarios: out, ...(interrupted ? { interrupted } : {}) };
}

function monitorViewOf(monitor: RaceMonitor, use: StoreUse | undefined, actors: boolean): ImpactMonitorView {
  const writesSeen = monitor.completed.reduce((n, r) => n + r.writes.length, 0);
  const byClass: Record<string, number> = {};
  for (const s of monitor.suspects) if (s.kind === 'lost-update') byClass[monitor.keyClass(s.key)] = (byClass[monitor.keyClass(s.key)] ?? 0) + s.lost;
  // The suspects list is bounded: the split is given only when it accounts for every suspect.
  const split = Object.keys(byClass).length > 1 && Object.values(byClass).reduce((a, b) => a + b, 0) === monitor.counts.suspectedLostUpdates;
  const base = { requests: monitor.counts.requests, suspectedLostUpdates: monitor.counts.suspectedLostUpdates, ...(split ? { suspectsByKeyClass: byClass } : {}), writesSeen };
  // An actor started inside a request keeps that request's async context: every write its later messages make is
  // put down to the request that started it, so the monitor cannot tell which call's message wrote what.
  if (actors) return { ...base, visible: false, why: 'writes in actors', reason: 'its writes run in actor processes, which carry the context of the request that started them, so the monitor cannot pair a write with the call that caused it' };
  if (writesSeen > 0) return { ...base, visible: true };
  if (use && use.transactions > 0) return { ...base, visible: false, why: 'writes in transactions', reason: `its writes are inside store transactions (${use.transactions}), which the store serializes and the monitor does not pair` };
  if (monitor.counts.untracked > 0) return { ...base, visible: false, why: 'writes outside requests', reason: 'its Store calls run outside any gRPC request, so the monitor cannot pair them with one' };
  return { ...base, visible: false, why: 'no Store write', reason: "its handlers keep their state outside racelab's Store" };
}

/** Joins what the client saw of each call with what the monitor saw of the same request on the server. */
function joinCalls(calls: readonly ScenarioBurstCall[], monitor: RaceMonitor, storeSide: boolean): ImpactDemoCall[] {
  const server = new Map(monitor.completed.map((r) => [r.id, r]));
  const overwrittenBy = new Map<string, string>();
  for (const s of monitor.suspects) if (s.kind === 'lost-update') overwrittenBy.set(s.first.id, s.second.id);
  return calls.map((c) => {
    const r = server.get(c.requestId);
    if (!r) return c;
    const reads = [...r.reads.values()].map((x) => x.atMicros);
    const writes = r.writes.map((w) => w.atMicros);
    const by = overwrittenBy.get(c.requestId);
    const handler = { ...c, handlerStartMicros: r.startMicros, ...(r.endMicros !== undefined ? { handlerEndMicros: r.endMicros } : {}) };
    // An actor's writes land on the request that started it (see monitorViewOf): only the handler times are the call's.
    if (!storeSide) return handler;
    return {
      ...handler,
      ...(reads.length && writes.length ? { windowMicros: { startMicros: Math.min(...reads), endMicros: Math.max(...writes) } } : {}),
      ...(r.overwrote ? { overwrote: r.overwrote } : {}),
      ...(by ? { overwrittenBy: by } : {}),
    };
  });
}

