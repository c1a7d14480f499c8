import { formatMs } from '../core/units.js';
import type { ProxyDirectionStats, ProxyStats } from './stats.js';

function delayCell(ms: number): string {
  return Number.isFinite(ms) ? formatMs(ms) : '-';
}

function row(label: string, d: ProxyDirectionStats): string[] {
  const a = d.addedDelayMs;
  return [label, String(d.bytes), String(d.segments), String(d.largestSegmentBytes), ...[a.min, a.p50, a.p99, a.max].map(delayCell)];
}

/** The proxy's stats as a few lines of text: settings, connections, and one row per direction. */
export function renderProxyStats(stats: ProxyStats): string {
  const header = ['direction', 'bytes', 'segments', 'largest', 'delay min', 'p50', 'p99', 'max'];
  const rows = [header, row('client → target', stats.clientToTarget), row('target → client', stats.targetToClient)];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  const c = stats.connections;
  return [
    `proxy ${stats.listen} → ${stats.target}: delay ${formatMs(stats.delayMs)} + jitter up to ${formatMs(stats.jitterMs)} per segment, MSS ${stats.mss} bytes, seed ${stats.seed}`,
    `connections: ${c.accepted} accepted, ${c.open} open, ${c.targetFailures} failed to reach the target, ${c.reset} reset; up ${formatMs(stats.uptimeMs)}`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    'delay = measured per segment, from when the proxy read it to when it handed it to the kernel',
  ].join('\n');
}
