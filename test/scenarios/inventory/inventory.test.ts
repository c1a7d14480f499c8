import { afterEach, describe, expect, it } from 'vitest';
import { recordedVerdict } from '../../helpers/scenario-history.js';
import { explore } from '../../../src/explore/explore.js';
import { inventoryVariants } from '../../../src/scenarios/inventory/variants.js';
import { inventoryWorkload } from '../../../src/scenarios/inventory/workload.js';
import type { ScenarioServer } from '../../../src/scenarios/impacts/server.js';
import { freshRoundTests } from '../../helpers/fresh-rounds.js';

const memoryVariants = inventoryVariants.filter((v) => !v.requires);

describe('inventory under the explorer', () => {
  it('finds two reservations of 2 passing one check on 3 widgets and shrinks it to the two reads and two writes (after each its SKU check)', async () => {
    const r = await explore(inventoryWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 10_000, seed: 1 });
    expect(r.firstFailure?.message).toMatch(/widget oversold by 1 unit: 4 reserved \(t1 2, t2 2\) from a stock of 3/);
    // Each reservation first reads opening(widget), which only AddSku writes: whether the SKU exists.
    expect(r.firstFailure?.shrunk.trace).toMatch(/t\d get stock\(widget\)->3 . (t\d read opening\(widget\)->3@v1 . )?t\d get stock\(widget\)->3/);
  });
  for (const v of memoryVariants.filter((x) => x.safe)) {
    for (const clients of [2, 3]) {
      it(`proves ${v.name} at ${clients} clients`, async () => {
        const r = await explore(inventoryWorkload({ variant: v.name, clients }), { strategy: 'dfs', runs: 1_000_000, seed: 1 });
        expect(r.firstFailure?.message).toBeUndefined();
        expect(r.dfs?.exhausted).toBe(true);
      }, 60_000);
    }
  }
});

describe('racelab attack --scenario inventory --sync last-frame against racelab serve --scenario inventory', () => {
  const server: { current?: ScenarioServer } = {};
  afterEach(async () => {
    await server.current?.close();
    server.current = undefined;
  });
  freshRoundTests('inventory', memoryVariants, 'units oversold', server);
  it('records a history racelab check --model inventory finds illegal for vulnerable and ok for txn', async () => {
    expect(await recordedVerdict('inventory', 'vulnerable', 'inventory', 7)).toBe('illegal');
    expect(await recordedVerdict('inventory', 'txn', 'inventory', 7)).toBe('ok');
  }, 60_000);
});
