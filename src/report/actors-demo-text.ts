import { formatMs } from '../core/units.js';
import type { ActorDemoReport } from '../scenarios/actors/demo.js';
import { interruptedLine, renderTable, wrap } from './table.js';

const show = (v: number | string | undefined): string => (v === undefined ? '' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v));

export function renderActorDemo(report: ActorDemoReport): string {
  const out: string[] = [`racelab demo actors: the seed's message-passing races on racelab's actor runtime (seed ${report.settings.seed})`];
  for (const name of report.settings.patterns) {
    const runs = report.runs.filter((r) => r.pattern === name);
    if (runs.length === 0) continue;
    const detailKeys = [...new Set(runs.flatMap((r) => Object.keys(r.details ?? {})))];
    // Every variant of a pattern counts in the pattern's unit: the four rows that count are labelled with it.
    const unit = runs[0]?.unit ?? 'effects';
    const rows: string[][] = [
      ['form', ...runs.map((r) => r.form)],
      ['messages sent', ...runs.map((r) => String(r.messagesSent))],
      [`expected ${unit}`, ...runs.map((r) => show(r.expected))],
      [`observed ${unit}`, ...runs.map((r) => show(r.observed))],
      [`lost ${unit}`, ...runs.map((r) => String(r.lostEffects))],
      [`duplicated ${unit}`, ...runs.map((r) => String(r.duplicatedEffects))],
      ['invariant', ...runs.map((r) => (r.ok ? 'holds' : 'BROKEN'))],
      ['wall time', ...runs.map((r) => formatMs(r.wallMs))],
      ...detailKeys.map((k) => [k, ...runs.map((r) => show(r.details?.[k]))]),
    ];
    out.push(`== ${name}: ${runs[0]?.title ?? ''}`);
    out.push(renderTable(['', ...runs.map((r) => r.variant)], rows));
    for (const r of runs) out.push(wrap(`${r.variant} (${r.summary}).`, 100, '  '), wrap(r.explanation, 100, '    '));
  }
  out.push(...report.explanation.map((p) => wrap(p, 100)), ...interruptedLine(report.interrupted, 'run'));
  return out.join('\n\n');
}
