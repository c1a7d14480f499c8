import type { CounterStats } from '../scenarios/counter/variants.js';

const LABELS: Array<[keyof CounterStats, string, string]> = [
  ['retries', 'retries', 'retries'],
  ['conflicts', 'conflicts', 'conflicts'],
  ['lockWaits', 'lock waits', 'waits'],
  ['holderPauses', 'holder pauses', 'pauses'],
  ['lockExpiries', 'locks expired while held', 'expired'],
  ['fencedRejections', 'fenced refusals', 'fenced'],
];

/** `12 retries, 3 lock waits`: the non-zero stats, or '' when there were none; `short` for table cells. */
export function formatCounterStats(stats: CounterStats, short = false): string {
  return LABELS.filter(([k]) => (stats[k] ?? 0) > 0)
    .map(([k, long, brief]) => `${stats[k]} ${short ? brief : long}`)
    .join(', ');
}
