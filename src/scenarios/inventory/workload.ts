import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import { scenarioWorkloadPlan, type ScenarioWorkloadOptions } from '../impacts/scenario.js';
import { OPENING_STOCK, inventoryOpening, inventoryVariants, type ReserveResult } from './variants.js';
import { plural } from '../../core/units.js';

/** Client k makes the k-th reservation of widgets (3 in stock): two of 2 cannot both be served, then one of 1. */
export const INVENTORY_CLIENT_RESERVATIONS: ReadonlyArray<{ readonly sku: string; readonly quantity: number }> = [
  { sku: 'widget', quantity: 2 },
  { sku: 'widget', quantity: 2 },
  { sku: 'widget', quantity: 1 },
];

export type InventoryWorkloadOptions = ScenarioWorkloadOptions;

/**
 * The inventory under the explorer. Invariant, in the shop's terms: never more units reserved than were in
 * stock (no oversell), and what is left is the opening stock less what was reserved.
 */
export function inventoryWorkload(options: InventoryWorkloadOptions): Workload {
  const { variant, clients, delayMs, plan: reservations } = scenarioWorkloadPlan('inventory', inventoryVariants, options, INVENTORY_CLIENT_RESERVATIONS);
  return {
    name: 'inventory',
    params: { variant: variant.name, clients, delay: delayMs },
    setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note, initial: inventoryOpening(OPENING_STOCK) });
      const service = variant.make({ store, scheduler: ctx.scheduler, delayMs });
      const results: Array<ReserveResult | undefined> = reservations.map(() => undefined);
      return {
        tasks: reservations.map((r, i) => [
          `t${i + 1}`,
          async () => {
            results[i] = await service.reserve(r.sku, r.quantity);
          },
        ]),
        invariant: async () => {
          const opening = OPENING_STOCK.widget as number;
          const granted = reservations.map((r, i) => (results[i]?.accepted ? `t${i + 1} ${r.quantity}` : undefined)).filter((x) => x !== undefined);
          const units = reservations.reduce((s, r, i) => s + (results[i]?.accepted ? r.quantity : 0), 0);
          if (units > opening) return `widget oversold by ${plural(units - opening, 'unit')}: ${units} reserved (${granted.join(', ')}) from a stock of ${opening}`;
          const left = (await service.stock('widget'))?.stock;
          if (left !== opening - units) return `${units} units reserved from ${opening}, so ${opening - units} should be left, but the store says ${left}: a reservation went unrecorded`;
          return true;
        },
      };
    },
  };
}
