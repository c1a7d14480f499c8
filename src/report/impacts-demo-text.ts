import { plural } from '../core/units.js';
import { interruptedLine } from './table.js';
import type { ImpactExploreVerdict, ImpactMonitorView, ImpactsDemoReport, ImpactsDemoRun, ImpactsDemoScenario } from '../scenarios/impacts/demo.js';

/*
 * `racelab demo impacts` in words: the terminal report and the explanation its page shows. Every number comes
 * from the run's report.
 */

const sumAccepted = (r: ImpactsDemoRun): number => Object.values(r.accepted).reduce((s, n) => s + n, 0);

export function exploredText(e: ImpactExploreVerdict | undefined): string {
  if (!e) return 'not explored';
  switch (e.verdict) {
    case 'proved':
      return `proved: no failing schedule of ${plural(e.clients, 'client')} (${plural(e.runs, 'schedule')})`;
    case 'none-found':
      return `none found in ${plural(e.runs, 'schedule')} (time budget; not a proof)`;
    case 'race-found':
      return `race found in run ${e.runs}`;
    case 'deadlock-found':
      return `DEADLOCK found in run ${e.runs}`;
  }
}

/** The monitor's cell: its count, or why it has none. */
export function monitorText(m: ImpactMonitorView): string {
  return m.visible ? `${m.suspectedLostUpdates} suspected lost updates${m.suspectsByKeyClass ? ` (${keyClassSplit(m.suspectsByKeyClass)})` : ''}` : `not visible (${m.why ?? 'no Store write in a request'})`;
}

/** `4 on session, 4 on free`: where the suspects fell, by key class. */
function keyClassSplit(byClass: Readonly<Record<string, number>>): string {
  return Object.entries(byClass)
    .map(([cls, n]) => `${n} on ${cls}`)
    .join(', ');
}

/** The explanation, written from this run's numbers only. */
export function explainImpactsScenario(s: ImpactsDemoScenario): string[] {
  const lines: string[] = [];
  const vulnerable = s.runs.filter((r) => r.verdict === 'race');
  const exact = s.runs.filter((r) => r.verdict === 'exact');
  for (const r of vulnerable) {
    lines.push(`${r.variant}: ${sumAccepted(r)} of ${plural(r.calls, 'call')} were accepted and the invariant broke: ${r.impact.amount} ${r.impact.unit} (${r.impact.detail}).`);
  }
  if (exact.length) lines.push(`${exact.map((r) => r.variant).join(', ')}: the same burst left the invariant intact (${exact.map((r) => `${r.variant} ${sumAccepted(r)} accepted`).join(', ')}).`);
  for (const r of s.runs.filter((x) => x.explored?.verdict === 'deadlock-found')) {
    lines.push(`${r.variant} held in the burst, whose calls never wait on each other in a cycle (no opposite transfers); the explorer, which runs them, found the deadlock: ${r.explored?.message ?? ''}`);
  }
  const unknown = s.runs.filter((r) => r.verdict === 'unknown');
  if (unknown.length) lines.push(`${unknown.map((r) => r.variant).join(', ')}: some outcomes are unknown (deadline or lost connection), so no verdict is claimed.`);
  for (const r of s.runs) {
    const m = r.monitor;
    if (!m) continue;
    if (!m.visible) lines.push(`${r.variant}: the race monitor counted ${plural(m.requests, 'request')} but could not pair their writes with them: ${m.reason ?? ''}; it makes no claim about this variant.`);
    else if (m.suspectedLostUpdates > 0) lines.push(`${r.variant}: the race monitor, watching only which version of each key a request read and whether it wrote it, flagged ${plural(m.suspectedLostUpdates, 'suspected lost update')}${m.suspectsByKeyClass ? ` (${keyClassSplit(m.suspectsByKeyClass)}: one race can lose an update on each key it writes)` : ''} in ${plural(m.requests, 'request')}.`);
    else if (r.verdict === 'race') lines.push(`${r.variant}: the race monitor flagged no lost update in ${plural(m.requests, 'request')} (${plural(m.writesSeen, 'write')} seen), yet the invariant broke: this race is not a write over an unread update, the only signature the monitor looks for.`);
  }
  return lines;
}

export function renderImpactsDemo(r: ImpactsDemoReport): string {
  const lines: string[] = [];
  for (const s of r.scenarios) {
    lines.push(`${s.title}`, `invariant: ${s.invariant}`, `each variant served on loopback (memory store, ${r.delayMs} ms between check and write), ${plural(r.count, 'call')} of each method at once:`);
    const width = Math.max(...s.runs.map((x) => x.variant.length));
    for (const x of s.runs) {
      const impact = x.impact.violated ? `${x.impact.amount} ${x.impact.unit}` : 'invariant holds';
      const monitor = x.monitor ? `  monitor: ${monitorText(x.monitor)}` : '';
      lines.push(`  ${x.variant.padEnd(width)}  ${x.verdict.toUpperCase().padEnd(5)}  ${String(sumAccepted(x)).padStart(4)}/${x.calls} accepted  ${impact.padEnd(30)}  explorer: ${exploredText(x.explored)}${monitor}`);
    }
    lines.push(...explainImpactsScenario(s).map((l) => `  ${l}`));
    if (s.detection) {
      lines.push(`  detection rate of the vulnerable variant per sync mode (racelab attack --scenario ${s.name}):`);
      for (const d of s.detection) {
        lines.push(`    ${d.sync.padEnd(11)}  ${d.detected}/${plural(d.rounds, 'round')} (${Math.round((100 * d.detected) / Math.max(1, d.rounds))}%)  ${d.impact} ${d.unit || 'impact'} in all${d.undecided ? `, ${plural(d.undecided, 'round')} undecided` : ''}`);
      }
    }
    if (s.availability) {
      lines.push('  availability: calls answered before, during and after a burst of double Ends (the table in a supervised process, served on loopback):');
      const width = Math.max(...s.availability.map((a) => a.form.length));
      for (const a of s.availability) {
        const state = a.gaveUp ? 'the supervisor gave up: service down' : a.crashes ? 'restarted' : 'up';
        lines.push(`    ${a.form.padEnd(width)}  before ${a.before.answered}/${a.before.calls}  during ${a.during.answered}/${a.during.calls}  after ${a.after.answered}/${a.after.calls}  ${plural(a.crashes, 'crash', 'crashes')}, ${state}`);
      }
    }
    lines.push('');
  }
  lines.push(...interruptedLine(r.interrupted, 'run'));
  return lines.join('\n').trimEnd();
}
