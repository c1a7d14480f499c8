import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import { scenarioWorkloadPlan, type ScenarioWorkloadOptions } from '../impacts/scenario.js';
import { COUPON_LIMITS, couponOpening, couponVariants, type RedeemResult } from './variants.js';

/** Client k redeems the k-th: mallory twice (the single-use overrun), then eve (the limit of 2 reached). */
export const COUPON_CLIENT_REDEMPTIONS: ReadonlyArray<{ readonly code: string; readonly user: string }> = [
  { code: 'SPRING', user: 'mallory' },
  { code: 'SPRING', user: 'mallory' },
  { code: 'SPRING', user: 'eve' },
];

export type CouponWorkloadOptions = ScenarioWorkloadOptions;

/**
 * The coupon under the explorer. Invariant, in the shop's terms: no user redeems a code twice, a code is never
 * redeemed more often than its limit, and what is left is the limit less what was granted.
 */
export function couponWorkload(options: CouponWorkloadOptions): Workload {
  const { variant, clients, delayMs, plan: redemptions } = scenarioWorkloadPlan('coupon', couponVariants, options, COUPON_CLIENT_REDEMPTIONS);
  return {
    name: 'coupon',
    params: { variant: variant.name, clients, delay: delayMs },
    setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note, initial: couponOpening(COUPON_LIMITS) });
      const service = variant.make({ store, scheduler: ctx.scheduler, delayMs });
      const results: Array<RedeemResult | undefined> = redemptions.map(() => undefined);
      return {
        tasks: redemptions.map((r, i) => [
          `t${i + 1}`,
          async () => {
            results[i] = await service.redeem(r.code, r.user);
          },
        ]),
        invariant: async () => {
          const granted = redemptions.filter((_, i) => results[i]?.accepted);
          for (const user of new Set(granted.map((r) => r.user))) {
            const n = granted.filter((r) => r.user === user).length;
            if (n > 1) return `${user} redeemed SPRING ${n} times; each user may redeem a code once`;
          }
          const limit = COUPON_LIMITS.SPRING as number;
          if (granted.length > limit) return `SPRING was redeemed ${granted.length} times; its limit is ${limit}`;
          const left = (await service.status('SPRING'))?.remaining;
          if (left !== limit - granted.length) return `${granted.length} redemptions granted, so ${limit - granted.length} should be left, but the store says ${left}: a redemption went unrecorded`;
          return true;
        },
      };
    },
  };
}
