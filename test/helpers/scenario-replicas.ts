import { openStore, startReplicaSet } from '../../src/index.js';
import { runNamespace, withNamespace } from '../../src/store/specs.js';
import { runScenarioBurst, type ScenarioBurstResult } from '../../src/scenarios/impacts/burst.js';

/**
 * `replicas` processes of `racelab serve --scenario S --variant V` on a fresh namespace of the store, `count`
 * calls of each of the scenario's default methods spread over them at once, `delayMs` between check and write;
 * the namespace is removed afterwards.
 */
export async function burstOnReplicas(storeUrl: string, scenario: string, variant: string, replicas: number, count: number, delayMs = 40): Promise<ScenarioBurstResult> {
  const url = withNamespace(storeUrl, runNamespace(`${scenario}-${variant}-${replicas}`));
  const store = await openStore(url);
  try {
    // Three processes loading racelab took about 19 s to listen at a load average of 17 on 2 cores: 20 s (the
    // default) was not enough there.
    const set = await startReplicaSet({ replicas, scenario, variant, store: url, delayMs, maxConcurrency: 50, startTimeoutMs: 90_000 });
    try {
      return await runScenarioBurst({ scenario, targets: set.targets, count });
    } finally {
      await set.stop(2000);
    }
  } finally {
    await store.reset();
    await store.close();
  }
}
