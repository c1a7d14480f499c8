import type { CheckReport } from '../check/check-report.js';
import { formatMs, plural } from '../core/units.js';
import { renderTable, wrap } from './table.js';

const n = (x: number): string => x.toLocaleString('en-US');
/** `1,024 operations`: a count with its noun, the number written as `n` writes it. */
const count = (x: number, word: string, many?: string): string => plural(x, word, many, n);


const VERDICT_WORDS: Record<CheckReport['verdict'], string> = {
  ok: 'ok (linearizable)',
  illegal: 'ILLEGAL (not linearizable)',
  unknown: 'UNKNOWN (the budget ran out before a verdict)',
};

/** The check report for a terminal: verdict, what was checked, and the explanation, from the report's own numbers. */
export function renderCheckReport(report: CheckReport, source?: string): string {
  const c = report.counts;
  const out: string[] = [];
  out.push(`racelab check${source ? ` ${source}` : ''}: model ${report.model}`);
  // An interrupted check did not run out of budget: it was stopped.
  out.push(`verdict: ${report.verdict === 'unknown' && report.stoppedBecause === 'interrupted' ? 'UNKNOWN (interrupted before a verdict)' : VERDICT_WORDS[report.verdict]}`);
  if (report.stoppedWhileReading) {
    // Nothing was checked: no counts, start or search to show.
    out.push(`history: ${count(report.operations, 'operation')} read before it stopped; none checked`, '');
    for (const line of report.explanation) out.push(wrap(line, 100));
    return out.join('\n');
  }
  const parts = [`${n(c.ok)} ok`, `${n(c.failed)} failed`, `${n(c.unknownOutcome)} unknown outcome`];
  out.push(`history: ${count(report.operations, 'operation')} from ${count(c.processes, 'process', 'processes')} (${parts.join(', ')}); ${count(report.partitions, 'partition')}`);
  const from = { model: "the model's start", given: 'as the history or --initial says', unknown: 'unknown: the history does not say where it started (give --initial)' }[report.start.from];
  out.push(`start: ${report.start.from === 'unknown' ? from : `${report.start.state} (${from})`}`);
  const rest = report.elapsedMs - report.searchMs;
  out.push(`search: ${count(report.steps, 'step')} in ${formatMs(report.searchMs)}${report.window ? `; finding and explaining the window took ${formatMs(rest)} more` : ''}`);
  if (report.partitions > 1) {
    const notOk = report.partitionReports.filter((p) => p.verdict !== 'ok');
    const counts = (['ok', 'illegal', 'unknown'] as const).map((v) => `${report.partitionReports.filter((p) => p.verdict === v).length} ${v}`).join(', ');
    out.push(`partitions: ${counts}`);
    if (notOk.length > 0) {
      const rows = notOk.slice(0, 10).map((p) => [String(p.key), p.verdict, n(p.operations), `${n(p.linearized)}`, n(p.steps)]);
      out.push('', renderTable(['key', 'verdict', 'operations', 'linearized', 'steps'], rows));
      if (notOk.length > 10) out.push(`… and ${notOk.length - 10} more`);
    }
  }
  out.push('');
  for (const line of report.explanation) {
    // Numbered operation lines keep their layout; prose is wrapped.
    out.push(/^\s+\[\d+\]/.test(line) ? line : wrap(line, 100));
  }
  return out.join('\n');
}
