import type { Workload } from '../../explore/workload.js';
import { plural } from '../../core/units.js';
import { MemoryStore } from '../../store/memory.js';
import { scenarioWorkloadPlan, type ScenarioWorkloadOptions } from '../impacts/scenario.js';
import { ORDER_PRICE, checkoutVariants, type CheckoutResult } from './variants.js';

/** Client k sends the k-th checkout: all of order-1 with one idempotency key (a double click, then a retry). */
export const CHECKOUT_CLIENT_CALLS: ReadonlyArray<{ readonly order: string; readonly key: string }> = [
  { order: 'order-1', key: 'chk-1' },
  { order: 'order-1', key: 'chk-1' },
  { order: 'order-1', key: 'chk-1' },
];

export type CheckoutWorkloadOptions = ScenarioWorkloadOptions;

/**
 * The checkout under the explorer. Invariant, in the shop's terms: each order is charged once, however many
 * times its checkout is sent with the same idempotency key.
 */
export function checkoutWorkload(options: CheckoutWorkloadOptions): Workload {
  const { variant, clients, delayMs, plan: calls } = scenarioWorkloadPlan('checkout', checkoutVariants, options, CHECKOUT_CLIENT_CALLS);
  return {
    name: 'checkout',
    params: { variant: variant.name, clients, delay: delayMs },
    setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note });
      const service = variant.make({ store, scheduler: ctx.scheduler, delayMs });
      const results: Array<CheckoutResult | undefined> = calls.map(() => undefined);
      return {
        tasks: calls.map((c, i) => [
          `t${i + 1}`,
          async () => {
            results[i] = await service.checkout(c.order, c.key);
          },
        ]),
        invariant: async () => {
          const { charges } = await service.charges('order-1');
          const charged = calls.map((_, i) => (results[i]?.accepted && !results[i].replayed ? `t${i + 1}` : undefined)).filter((x) => x !== undefined);
          if (charges > 1) {
            return `order-1 charged ${plural(charges, 'time')} under one idempotency key (${charged.join(' and ')} each charged it): ${charges * ORDER_PRICE} taken for an order of ${ORDER_PRICE}`;
          }
          if (charges === 0) return `no call charged order-1, yet ${plural(calls.length, 'checkout')} ${calls.length === 1 ? 'was' : 'were'} answered`;
          return true;
        },
      };
    },
  };
}
