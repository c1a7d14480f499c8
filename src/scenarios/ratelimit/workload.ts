import { RacelabError } from '../../core/errors.js';
import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import { checkExplorable, scenarioVariant } from '../impacts/scenario.js';
import { rateLimitVariants, windowKey, type CallResult } from './variants.js';

/** Under the explorer: 1 call per user per minute, and every client calls as mallory. */
export const EXPLORE_LIMIT = 1;
export const EXPLORE_WINDOW_MS = 60_000;

export interface RateLimitWorkloadOptions {
  readonly variant: string;
  readonly clients?: number;
  readonly delayMs?: number;
}

/**
 * The rate limit under the explorer (virtual time starts at 0, so every call falls in window 0). Invariant: no
 * more calls accepted than the limit, and every accepted call counted.
 */
export function rateLimitWorkload(options: RateLimitWorkloadOptions): Workload {
  checkExplorable('ratelimit', rateLimitVariants, options.variant);
  const variant = scenarioVariant('ratelimit', rateLimitVariants, options.variant);
  const clients = options.clients ?? 2;
  const delayMs = options.delayMs ?? 0;
  if (!Number.isInteger(clients) || clients < 1 || clients > 6) throw new RacelabError('BAD_COUNT', `"${clients}" must be a whole number from 1 to 6 for \`scenario\` ratelimit`, { subject: 'clients' });
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs >= EXPLORE_WINDOW_MS / 10) {
    throw new RacelabError('BAD_DURATION', `"${delayMs}" must be a duration from 0 to ${EXPLORE_WINDOW_MS / 10 - 1}ms for \`scenario\` ratelimit (calls must stay in one window)`, { subject: 'delayMs' });
  }
  return {
    name: 'ratelimit',
    params: { variant: variant.name, clients, delay: delayMs },
    setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note });
      const service = variant.make({ store, scheduler: ctx.scheduler, delayMs, limit: EXPLORE_LIMIT, windowMs: EXPLORE_WINDOW_MS });
      const results: Array<CallResult | undefined> = Array.from({ length: clients }, () => undefined);
      let finished = 0;
      let allDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (allDone = resolve));
      const tasks: Array<readonly [string, () => Promise<void>]> = results.map((_, i) => [
        `t${i + 1}`,
        async () => {
          try {
            results[i] = await service.call('mallory');
          } finally {
            if (++finished === clients) allDone();
          }
        },
      ]);
      if (variant.spawnsProcesses) {
        tasks.push([
          'limiter',
          async () => {
            await ctx.scheduler.waitFor(done, 'every client done');
            await service.close();
          },
        ]);
      }
      return {
        tasks,
        invariant: async () => {
          const accepted = results.filter((r) => r?.accepted).length;
          if (accepted > EXPLORE_LIMIT) return `${accepted} calls by mallory accepted in one window; the limit is ${EXPLORE_LIMIT}`;
          const counted = await store.get(windowKey('mallory', 0));
          if (counted !== accepted) return `${accepted} calls accepted, but the window counts ${counted}`;
          return true;
        },
      };
    },
  };
}
