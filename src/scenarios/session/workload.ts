import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import { scenarioWorkloadPlan, type ScenarioWorkloadOptions } from '../impacts/scenario.js';
import { CAPACITY, FREE_KEY, sessionKey, sessionVariants, type OpenResult } from './variants.js';
import { plural } from '../../core/units.js';

/** Client k opens the k-th session of a pool of 2 slots: alice, alice again (a retry, a second tab), then bob. */
export const SESSION_CLIENT_OPENS: readonly string[] = ['alice', 'alice', 'bob'];

/**
 * What client k does after its open: the two clients of alice's session each end it (a logout in each tab: the
 * double End); bob stays.
 */
const ENDS_AFTER_OPEN: readonly boolean[] = [true, true, false];

export type SessionWorkloadOptions = ScenarioWorkloadOptions;

/**
 * Sessions under the explorer. Invariant, in the operator's terms: every slot not free is held by an open
 * session (none leaked), so a user is refused only when the pool really is full.
 */
export function sessionWorkload(options: SessionWorkloadOptions): Workload {
  const { variant, clients, delayMs, plan: opens } = scenarioWorkloadPlan('session', sessionVariants, options, SESSION_CLIENT_OPENS);
  return {
    name: 'session',
    params: { variant: variant.name, clients, delay: delayMs },
    setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note, initial: { [FREE_KEY]: CAPACITY } });
      const service = variant.make({ store, scheduler: ctx.scheduler, delayMs });
      const results: Array<OpenResult | undefined> = opens.map(() => undefined);
      return {
        tasks: opens.map((user, i) => [
          `t${i + 1}`,
          async () => {
            results[i] = await service.openSession(user);
            if (ENDS_AFTER_OPEN[i]) await service.closeSession(user);
          },
        ]),
        invariant: async () => {
          const free = await store.get(FREE_KEY);
          const open: string[] = [];
          for (const user of new Set(opens)) if ((await store.get(sessionKey(user))) === 1) open.push(user);
          const leaked = CAPACITY - free - open.length;
          const refused = opens.filter((_, i) => results[i] && !results[i].accepted);
          const also = refused.length ? `; ${[...new Set(refused)].join(', ')} refused: pool full` : '';
          if (leaked !== 0) {
            const what = leaked > 0 ? `${plural(leaked, 'slot')} leaked` : `${plural(-leaked, 'slot')} more free than the pool has`;
            return `${what}: the pool has ${free} of ${CAPACITY} free with ${plural(open.length, 'session')} open (${open.join(', ') || 'none'})${also}`;
          }
          return true;
        },
      };
    },
  };
}
