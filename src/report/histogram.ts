import type { LatencyReport } from '../burst/stats.js';

/** The histogram as ghz prints it: bucket bound, count, and a bar of ∎ scaled to the largest bucket. */
export function renderHistogram(r: LatencyReport, width = 40): string[] {
  const max = Math.max(...r.histogram.map((b) => b.count));
  return r.histogram.map((b) => `  ${b.upToMs.toFixed(3)} [${b.count}]\t|${'∎'.repeat(max ? Math.round((b.count / max) * width) : 0)}`);
}
