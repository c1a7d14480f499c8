import { plural } from '../core/units.js';
import type { CounterStats } from '../scenarios/counter/variants.js';

/** Each stat: its noun (singular, plural) in a sentence, the same shortened for a table cell, and what it counts. */
const LABELS: Array<{ key: keyof CounterStats; long: [string, string]; short: [string, string]; meaning?: string }> = [
  { key: 'retries', long: ['retry', 'retries'], short: ['retry', 'retries'], meaning: 'a retry is a whole attempt run again after the store refused it' },
  { key: 'conflicts', long: ['conflict', 'conflicts'], short: ['conflict', 'conflicts'], meaning: 'a conflict is a conditional write refused because the value changed after it was read, then tried again' },
  { key: 'lockWaits', long: ['lock wait', 'lock waits'], short: ['wait', 'waits'], meaning: 'a lock wait is an increment that found the lock (for pg-for-update, the row lock) taken and waited for it' },
  { key: 'holderPauses', long: ['holder pause', 'holder pauses'], short: ['pause', 'pauses'] },
  { key: 'lockExpiries', long: ['lock expired while held', 'locks expired while held'], short: ['expired', 'expired'] },
  { key: 'fencedRejections', long: ['fenced refusal', 'fenced refusals'], short: ['fenced', 'fenced'] },
];

/** `12 retries, 3 lock waits`: the non-zero stats, or '' when there were none; `short` for table cells. */
export function formatCounterStats(stats: CounterStats, short = false): string {
  return LABELS.filter(({ key }) => (stats[key] ?? 0) > 0)
    .map(({ key, long, short: brief }) => plural(stats[key] ?? 0, ...(short ? brief : long)))
    .join(', ');
}

/** What the stats non-zero in any of `all` count, one clause each, in the order formatCounterStats lists them. */
export function counterStatsMeanings(all: readonly CounterStats[]): string[] {
  return LABELS.filter(({ key, meaning }) => meaning !== undefined && all.some((s) => (s[key] ?? 0) > 0)).map(({ meaning }) => meaning!);
}
