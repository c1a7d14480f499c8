import { quantile } from '../core/stats.js';
import { status } from '@grpc/grpc-js';
import { statusName } from '../grpc/status.js';
import type { CallOutcome } from './call.js';

/** How far apart one burst's calls were: first to last (range) and their standard deviation, in µs. */
export interface BurstSpread {
  readonly rangeMicros: number;
  readonly stddevMicros: number;
  readonly samples: number;
}

/**
 * Spreads over rounds, as PortSwigger's race benchmark reports them: the best round, the median round, the
 * standard deviation across rounds and the worst, each a first-to-last range in µs.
 */
export interface SpreadSummary {
  readonly rounds: number;
  readonly bestMicros: number;
  readonly medianMicros: number;
  readonly stddevMicros: number;
  readonly worstMicros: number;
}

export function spreadOf(times: readonly number[]): BurstSpread | undefined {
  if (times.length === 0) return undefined;
  // Loops, not Math.min(...times): a flood's hundred thousand latencies would overflow the stack.
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const mean = times.reduce((s, t) => s + t, 0) / times.length;
  const sd = Math.sqrt(times.reduce((s, t) => s + (t - mean) ** 2, 0) / times.length);
  return { rangeMicros: max - min, stddevMicros: sd, samples: times.length };
}

export function summarizeSpreads(spreads: ReadonlyArray<BurstSpread | undefined>): SpreadSummary | undefined {
  const ranges = spreads.filter((s): s is BurstSpread => s !== undefined && s.samples > 1).map((s) => s.rangeMicros);
  if (ranges.length === 0) return undefined;
  const sorted = [...ranges].sort((a, b) => a - b);
  const mean = ranges.reduce((s, r) => s + r, 0) / ranges.length;
  return {
    rounds: ranges.length,
    bestMicros: sorted[0] as number,
    medianMicros: quantile(sorted, 0.5),
    stddevMicros: Math.sqrt(ranges.reduce((s, r) => s + (r - mean) ** 2, 0) / ranges.length),
    worstMicros: sorted[sorted.length - 1] as number,
  };
}

/**
 * Client-side send spread of one burst, with each call's intended offset taken out: what is left is the
 * synchronization error of the sync mode.
 */
export function sendSpread(outcomes: readonly CallOutcome[], offsetOf: (index: number) => number): BurstSpread | undefined {
  return spreadOf(outcomes.map((o) => o.sentMicros - offsetOf(o.index)));
}

/** Server-side handler-start spread, when the server reported its handler start times (a racelab server). */
export function serverSpread(outcomes: readonly CallOutcome[], offsetOf: (index: number) => number): BurstSpread | undefined {
  const starts = outcomes.filter((o) => o.handlerStartMicros !== undefined).map((o) => (o.handlerStartMicros as number) - offsetOf(o.index));
  return starts.length > 0 ? spreadOf(starts) : undefined;
}

/** ghz's latency report: a 10-bucket histogram between fastest and slowest, and the usual percentiles. */
export interface LatencyReport {
  readonly count: number;
  readonly fastestMs: number;
  readonly slowestMs: number;
  readonly averageMs: number;
  readonly histogram: ReadonlyArray<{ readonly upToMs: number; readonly count: number }>;
  readonly distribution: ReadonlyArray<{ readonly percent: number; readonly ms: number }>;
}

const PERCENTS = [10, 25, 50, 75, 90, 95, 99];

export function latencyReport(latenciesMs: readonly number[], buckets = 10): LatencyReport | undefined {
  if (latenciesMs.length === 0) return undefined;
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const fastest = sorted[0] as number;
  const slowest = sorted[sorted.length - 1] as number;
  const width = (slowest - fastest) / buckets;
  const histogram: Array<{ upToMs: number; count: number }> = [];
  // ghz marks each bucket by its upper bound, starting with the fastest value itself.
  const marks = width === 0 ? [fastest] : [fastest, ...Array.from({ length: buckets }, (_, i) => fastest + width * (i + 1))];
  let j = 0;
  for (let b = 0; b < marks.length; b++) {
    const bound = b === marks.length - 1 ? Infinity : (marks[b] as number);
    let n = 0;
    while (j < sorted.length && (sorted[j] as number) <= bound) {
      n++;
      j++;
    }
    histogram.push({ upToMs: marks[b] as number, count: n });
  }
  return {
    count: sorted.length,
    fastestMs: fastest,
    slowestMs: slowest,
    averageMs: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    histogram,
    distribution: PERCENTS.map((p) => ({ percent: p, ms: quantile(sorted, p / 100) })),
  };
}

export interface StatusCount {
  readonly code: number;
  readonly name: string;
  readonly count: number;
  /** One example message, for codes other than OK. */
  readonly example?: string;
}

export function statusDistribution(outcomes: readonly CallOutcome[]): StatusCount[] {
  const by = new Map<number, { count: number; example?: string }>();
  for (const o of outcomes) {
    const e = by.get(o.code) ?? { count: 0 };
    e.count++;
    if (o.code !== status.OK && e.example === undefined && o.details) e.example = o.details;
    by.set(o.code, e);
  }
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([code, e]) => ({ code, name: statusName(code), count: e.count, ...(e.example ? { example: e.example } : {}) }));
}
