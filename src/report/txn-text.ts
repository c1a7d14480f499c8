import type { TxnCheckReport } from '../txn/types.js';
import { plural } from '../core/units.js';
import { renderTable, wrap } from './table.js';

const n = (x: number): string => x.toLocaleString('en-US');
const count = (x: number, word: string, many?: string): string => plural(x, word, many, n);

const VERDICT_WORDS: Record<TxnCheckReport['verdict'], string> = {
  ok: 'ok (no anomaly found)',
  illegal: 'ANOMALIES FOUND',
  unknown: 'UNKNOWN (the budget ran out before the analysis finished, and nothing was found before that)',
};

function orders(report: TxnCheckReport): string {
  const o = [report.options.realtime ? 'real-time' : '', report.options.process ? 'process' : ''].filter(Boolean);
  return o.length > 0 ? ` (with ${o.join(' and ')} order)` : '';
}

/** A transactional check for a terminal: verdict, counts, models ruled out, each example explained. */
export function renderTxnReport(report: TxnCheckReport, source?: string): string {
  const c = report.counts;
  const out: string[] = [];
  out.push(`racelab txn check${source ? ` ${source}` : ''}: workload ${report.workload}`);
  const interrupted = report.verdict === 'unknown' && report.stoppedBecause === 'interrupted';
  out.push(`verdict: ${interrupted ? 'UNKNOWN (interrupted before the analysis finished, and nothing was found before that)' : VERDICT_WORDS[report.verdict]}`);
  out.push(`history: ${count(c.transactions, 'transaction')} from ${count(c.processes, 'process', 'processes')} (${n(c.ok)} ok, ${n(c.failed)} failed, ${n(c.unknownOutcome)} unknown outcome) on ${count(c.keys, 'key')}`);
  out.push(
    `graph: ${count(report.graph.edges, 'dependency edge')}${orders(report)}; ${count(report.graph.components, 'cycle-holding component')}, the largest ${count(report.graph.largestComponent, 'transaction')}; ${report.elapsedMs.toFixed(0)} ms`,
  );
  const kinds = Object.entries(report.anomalyCounts);
  if (kinds.length > 0) out.push('', renderTable(['anomaly', 'found'], kinds.map(([k, v]) => [k, n(v ?? 0)])));
  out.push('', renderTable(['model', 'verdict'], Object.entries(report.models).map(([m, v]) => [m, v])));
  for (const note of report.notes) out.push('', wrap(`note: ${note}`));
  for (const a of report.anomalies) {
    out.push('', `${a.type}:`);
    for (const line of a.explanation) out.push(wrap(line, 100, '  '));
    for (const i of a.txns) {
      const t = report.transactions[i];
      if (t) out.push(`    ${t.label} (process ${t.process}, ${t.status}): ${t.ops}`);
    }
  }
  return out.join('\n');
}
