import { messageOf } from '../../core/errors.js';
import type { SyncMode } from '../../burst/sync-policy.js';
import { explore } from '../../explore/explore.js';
import { runAttack } from '../../attack/run.js';
import { runScenarioBurst } from './burst.js';
import { impactScenario, impactScenarios } from './registry.js';
import type { ImpactMeasure, ImpactScenario } from './scenario.js';
import { startScenarioServer } from './server.js';

export interface ImpactsDemoOptions {
  /** One scenario; default every scenario in the registry. */
  readonly scenario?: string;
  /** The race window each served variant has between check and write; default 50 ms. */
  readonly delayMs?: number;
  /** Calls of each default method per burst; default 10. */
  readonly count?: number;
  /** Wall-time budget of each explorer proof (dfs at 3 clients); default 5 s. */
  readonly exploreTimeLimitMs?: number;
  readonly onProgress?: (line: string) => void;
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
}

const DETECTION_MODES: readonly SyncMode[] = ['sequential', 'parallel', 'connections', 'last-frame'];

async function detectionPerMode(scenario: ImpactScenario, rounds: number, delayMs: number, count: number, progress: (line: string) => void): Promise<ImpactDetection[]> {
  const out: ImpactDetection[] = [];
  for (const sync of DETECTION_MODES) {
    progress(`${scenario.name} vulnerable: ${rounds} rounds of racelab attack --sync ${sync}`);
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

export interface ImpactsDemoReport {
  readonly kind: 'demo-impacts';
  readonly delayMs: number;
  readonly count: number;
  readonly scenarios: readonly ImpactsDemoScenario[];
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
  for (const scenario of scenarios) {
    const runs: ImpactsDemoRun[] = [];
    for (const v of scenario.variants.filter((x) => !x.requires)) {
      progress(`${scenario.name} ${v.name}: serving on loopback, ${count * scenario.attack.calls.length} calls at once, ${delayMs} ms window`);
      const server = await startScenarioServer({ scenario: scenario.name, variant: v.name, delayMs });
      let burst;
      try {
        burst = await runScenarioBurst({ scenario: scenario.name, targets: [server.target], count });
      } finally {
        await server.close(2000);
      }
      progress(`${scenario.name} ${v.name}: exploring every schedule of ${EXPLORE_CLIENTS} clients (dfs)`);
      let explored: ImpactExploreVerdict | undefined;
      try {
        explored = await exploreVariant(scenario, v.name, o.exploreTimeLimitMs ?? 5000);
      } catch (e) {
        progress(`${scenario.name} ${v.name}: the explorer could not run it (${messageOf(e)})`);
      }
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
      });
    }
    const detection = scenario.detectionRounds ? await detectionPerMode(scenario, scenario.detectionRounds, delayMs, Math.min(count, 5), progress) : undefined;
    out.push({ name: scenario.name, title: scenario.title, invariant: scenario.invariant, runs, ...(detection ? { detection } : {}) });
  }
  return { kind: 'demo-impacts', delayMs, count, scenarios: out };
}

const sumAccepted = (r: ImpactsDemoRun): number => Object.values(r.accepted).reduce((s, n) => s + n, 0);

function exploredText(e: ImpactExploreVerdict | undefined): string {
  if (!e) return 'not explored';
  switch (e.verdict) {
    case 'proved':
      return `proved: no failing schedule of ${e.clients} clients (${e.runs} schedules)`;
    case 'none-found':
      return `none found in ${e.runs} schedules (time budget; not a proof)`;
    case 'race-found':
      return `race found in run ${e.runs}`;
    case 'deadlock-found':
      return `DEADLOCK found in run ${e.runs}`;
  }
}

/** The explanation, written from this run's numbers only. */
export function explainImpactsScenario(s: ImpactsDemoScenario): string[] {
  const lines: string[] = [];
  const vulnerable = s.runs.filter((r) => r.verdict === 'race');
  const exact = s.runs.filter((r) => r.verdict === 'exact');
  for (const r of vulnerable) {
    lines.push(`${r.variant}: ${sumAccepted(r)} of ${r.calls} calls were accepted and the invariant broke: ${r.impact.amount} ${r.impact.unit} (${r.impact.detail}).`);
  }
  if (exact.length) lines.push(`${exact.map((r) => r.variant).join(', ')}: the same burst left the invariant intact (${exact.map((r) => `${r.variant} ${sumAccepted(r)} accepted`).join(', ')}).`);
  for (const r of s.runs.filter((x) => x.explored?.verdict === 'deadlock-found')) {
    lines.push(`${r.variant} held in the burst, whose calls never wait on each other in a cycle (no opposite transfers); the explorer, which runs them, found the deadlock: ${r.explored?.message ?? ''}`);
  }
  const unknown = s.runs.filter((r) => r.verdict === 'unknown');
  if (unknown.length) lines.push(`${unknown.map((r) => r.variant).join(', ')}: some outcomes are unknown (deadline or lost connection), so no verdict is claimed.`);
  return lines;
}

export function renderImpactsDemo(r: ImpactsDemoReport): string {
  const lines: string[] = [];
  for (const s of r.scenarios) {
    lines.push(`${s.title}`, `invariant: ${s.invariant}`, `each variant served on loopback (memory store, ${r.delayMs} ms between check and write), ${r.count} calls of each method at once:`);
    const width = Math.max(...s.runs.map((x) => x.variant.length));
    for (const x of s.runs) {
      const impact = x.impact.violated ? `${x.impact.amount} ${x.impact.unit}` : 'invariant holds';
      lines.push(`  ${x.variant.padEnd(width)}  ${x.verdict.toUpperCase().padEnd(5)}  ${String(sumAccepted(x)).padStart(4)}/${x.calls} accepted  ${impact.padEnd(30)}  explorer: ${exploredText(x.explored)}`);
    }
    lines.push(...explainImpactsScenario(s).map((l) => `  ${l}`));
    if (s.detection) {
      lines.push(`  detection rate of the vulnerable variant per sync mode (racelab attack --scenario ${s.name}):`);
      for (const d of s.detection) {
        lines.push(`    ${d.sync.padEnd(11)}  ${d.detected}/${d.rounds} rounds (${Math.round((100 * d.detected) / Math.max(1, d.rounds))}%)  ${d.impact} ${d.unit || 'impact'} in all${d.undecided ? `, ${d.undecided} rounds undecided` : ''}`);
      }
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}
