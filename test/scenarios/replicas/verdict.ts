import { COUNTER_KEY, type CounterLockOptions } from '../../../src/scenarios/counter/index.js';
import { mergeCounterStats, runSpreadBurst, startReplicaSet, type CounterCost } from '../../../src/scenarios/replicas/index.js';
import { openStore } from '../../../src/store/index.js';
import { runNamespace, withNamespace } from '../../../src/store/specs.js';

export interface Verdict {
  replicas: number;
  acknowledged: number;
  failed: number;
  unknown: number;
  finalValue: number;
  lost: number;
  stats: CounterCost;
}

export interface VerdictSettings {
  calls: number;
  concurrency: number;
  delayMs: number;
  lock?: CounterLockOptions;
}

/**
 * One real run: R `racelab serve` processes of a variant on a fresh namespace of the store, a spread burst,
 * the final value read from the store itself.
 */
export async function runVerdict(storeUrl: string, variant: string, replicas: number, o: VerdictSettings): Promise<Verdict> {
  const url = withNamespace(storeUrl, runNamespace(`t-${variant}-${replicas}`));
  const store = await openStore(url);
  try {
    // The start timeout of test/helpers/scenario-replicas.ts: three processes once took 19 s to listen on a loaded machine.
    const set = await startReplicaSet({ replicas, variant, store: url, delayMs: o.delayMs, maxConcurrency: 10, startTimeoutMs: 90_000, ...(o.lock ? { lock: o.lock } : {}) });
    let burst;
    let exits;
    try {
      burst = await runSpreadBurst({ targets: set.targets, calls: o.calls, concurrency: o.concurrency });
    } finally {
      exits = await set.stop(2000);
    }
    const finalValue = await store.get(COUNTER_KEY);
    return {
      replicas,
      acknowledged: burst.acknowledged,
      failed: burst.failed,
      unknown: burst.unknown,
      finalValue,
      lost: burst.acknowledged - finalValue,
      stats: mergeCounterStats(exits.map((e) => e.stats)),
    };
  } finally {
    await store.reset();
    await store.close();
  }
}

/** The same variant on 1 and on 3 replicas, at the same time (separate namespaces). */
export function onOneAndThree(storeUrl: string, variant: string, o: VerdictSettings): Promise<[Verdict, Verdict]> {
  return Promise.all([runVerdict(storeUrl, variant, 1, o), runVerdict(storeUrl, variant, 3, o)]);
}
