import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttack } from '../../../src/attack/index.js';
import { pause, refuse, startPlainServer, type PlainServer } from '../../helpers/plain-scenario-server.js';

/** 5 widgets in a Map. Vulnerable: read, check, await (pricing), write. Fixed: the await first, then check and write with none between. */
function startPlainInventory(fixed: boolean): Promise<PlainServer> {
  const stock = new Map([['widget', 5]]);
  return startPlainServer('inventory.proto', 'racelab.inventory.v1.Inventory', {
    Reserve: async (r: { sku: string; quantity: number }) => {
      if (fixed) await pause();
      const s = stock.get(r.sku) ?? 0;
      if (s < r.quantity) throw refuse(grpc.status.FAILED_PRECONDITION, `not enough ${r.sku}`);
      if (!fixed) await pause();
      stock.set(r.sku, s - r.quantity);
      return { stock: s - r.quantity };
    },
    Stock: async (r: { sku: string }) => ({ stock: stock.get(r.sku) ?? 0, opening: 5 }),
  });
}

describe('racelab attack --scenario inventory against a plain grpc-js inventory (types through reflection)', () => {
  let server: PlainServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  for (const fixed of [false, true]) {
    it(fixed ? 'check and write with no await between: no race, 5 of 8 accepted' : 'vulnerable: race, as against racelab serve', async () => {
      server = await startPlainInventory(fixed);
      const report = await runAttack({ target: server.target, scenario: 'inventory', sync: 'last-frame', count: 8, rounds: 2, pauseMs: 0 });
      expect(report.schemaSource).toMatch(/^server reflection/);
      expect(report.verdict, report.warnings.join('\n')).toBe(fixed ? 'no-race' : 'race');
      if (fixed) expect(report.totals.ok).toBe(5);
    }, 60_000);
  }
});
