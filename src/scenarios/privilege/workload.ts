import { RacelabError } from '../../core/errors.js';
import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import { checkExplorable, scenarioVariant } from '../impacts/scenario.js';
import { privilegeVariants, roleKey } from './variants.js';
import { plural } from '../../core/units.js';

export interface PrivilegeWorkloadOptions {
  readonly variant: string;
  readonly clients?: number;
  readonly delayMs?: number;
}

/**
 * mallory starts as an admin. t1 (and t3) run an admin action, t2 revokes mallory: a Revoke racing an
 * AdminAction. Invariant: no admin action took effect after the revoke completed.
 */
export function privilegeWorkload(options: PrivilegeWorkloadOptions): Workload {
  checkExplorable('privilege', privilegeVariants, options.variant);
  const variant = scenarioVariant('privilege', privilegeVariants, options.variant);
  const clients = options.clients ?? 2;
  const delayMs = options.delayMs ?? 0;
  if (!Number.isInteger(clients) || clients < 2 || clients > 3) throw new RacelabError('BAD_COUNT', `"${clients}" must be 2 or 3 for \`scenario\` privilege (admin action, revoke, admin action)`, { subject: 'clients' });
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RacelabError('BAD_DURATION', `"${delayMs}" must be a duration of 0 or more`, { subject: 'delayMs' });
  return {
    name: 'privilege',
    params: { variant: variant.name, clients, delay: delayMs },
    setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note, initial: { [roleKey('mallory')]: 1 } });
      const service = variant.make({ store, scheduler: ctx.scheduler, delayMs });
      const action = async (): Promise<void> => {
        await service.adminAction('mallory');
      };
      const tasks: Array<readonly [string, () => Promise<void>]> = [
        ['t1', action],
        [
          't2',
          async () => {
            await service.revoke('mallory');
          },
        ],
      ];
      if (clients === 3) tasks.push(['t3', action]);
      return {
        tasks,
        invariant: async () => {
          const a = await service.audit('mallory');
          return a.afterRevoke === 0 || `${plural(a.afterRevoke, 'admin action')} of mallory took effect after the revoke completed (${a.actions} in all)`;
        },
      };
    },
  };
}
