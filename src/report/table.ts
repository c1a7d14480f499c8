import { plural } from '../core/units.js';

/** A plain terminal table: first column left-aligned, the rest right-aligned (numbers). */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Wraps prose to `width` columns for terminal output. */
export function wrap(text: string, width = 100, indent = ''): string {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (cur && (indent + cur + ' ' + word).length > width) {
      out.push(indent + cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(indent + cur);
  return out.join('\n');
}

/** The line a demo's text ends with when a signal stopped it: how many of its runs finished (and are shown). */
export function interruptedLine(i: { ran: number; planned: number } | undefined, noun: string): string[] {
  if (!i) return [];
  if (i.ran === 0) return [`Interrupted before any of the ${plural(i.planned, noun)} finished: nothing was measured.`];
  return [`Interrupted: ${i.ran} of ${plural(i.planned, noun)} finished before the signal and ${i.ran === 1 ? 'is' : 'are'} shown above; the rest did not run.`];
}
