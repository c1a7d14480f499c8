import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttack } from '../../../src/attack/index.js';
import { pause, refuse, startPlainServer, type PlainServer } from '../../helpers/plain-scenario-server.js';

/**
 * Stock per SKU in a Map, opened by AddSku (the attack adds a SKU of its own per round). Vulnerable: read, check,
 * await (pricing), write. Fixed: the await first, then check and write with none between.
 */
function startPlainInventory(fixed: boolean, addSku = true): Promise<PlainServer> {
  const stock = new Map([['widget', 5]]);
  const opening = new Map(stock);
  const handlers = {
    Reserve: async (r: { sku: string; quantity: number }) => {
      if (fixed) await pause();
      const s = stock.get(r.sku) ?? 0;
      if (s < r.quantity) throw refuse(grpc.status.FAILED_PRECONDITION, `not enough ${r.sku}`);
      if (!fixed) await pause();
      stock.set(r.sku, s - r.quantity);
      return { stock: s - r.quantity };
    },
    Stock: async (r: { sku: string }) => ({ stock: stock.get(r.sku) ?? 0, opening: opening.get(r.sku) ?? 0 }),
    AddSku: async (r: { sku: string; stock: number }) => {
      if (opening.has(r.sku)) throw refuse(grpc.status.ALREADY_EXISTS, `SKU ${r.sku} exists`);
      opening.set(r.sku, r.stock);
      stock.set(r.sku, r.stock);
      return { stock: r.stock, opening: r.stock };
    },
  };
  const { AddSku, ...older } = handlers;
  return startPlainServer('inventory.proto', 'racelab.inventory.v1.Inventory', addSku ? { ...older, AddSku } : older);
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
      // Each round on a SKU of its own: 5 of 8 accepted in both.
      if (fixed) expect(report.rounds.map((r) => r.ok)).toEqual([5, 5]);
    }, 60_000);
  }
  it('a service without AddSku: the built-in attack stops in one line naming its setup call, before any burst', async () => {
    server = await startPlainInventory(true, false);
    await expect(runAttack({ target: server.target, scenario: 'inventory', sync: 'last-frame', count: 8, rounds: 2, pauseMs: 0 })).rejects.toThrow(
      /^`scenario` inventory's setup call: \/racelab\.inventory\.v1\.Inventory\/AddSku failed with Unimplemented: [^\n]*$/,
    );
  }, 60_000);
});
