import type { CounterStats } from '../counter/variants.js';

/** Every counter stat, zero when a variant never touched it. */
export type CounterCost = Required<CounterStats>;

/** Sums the stats of several replicas (a killed replica reports none: undefined). */
export function mergeCounterStats(all: ReadonlyArray<CounterStats | undefined>): CounterCost {
  const sum: CounterCost = { conflicts: 0, retries: 0, lockWaits: 0, lockExpiries: 0, fencedRejections: 0, holderPauses: 0 };
  for (const s of all) {
    if (!s) continue;
    for (const k of Object.keys(sum) as Array<keyof CounterStats>) sum[k] += s[k] ?? 0;
  }
  return sum;
}
