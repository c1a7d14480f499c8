import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { Store } from '../../store/store.js';
import type { ScenarioVariant } from '../impacts/scenario.js';

/*
 * Privilege revocation. `role(mallory)` is 1 while mallory is an admin; an admin action checks it, does its work
 * and then takes effect (`actions(mallory)` + 1). The invariant: no admin action takes effect after a revoke of
 * its user completed. A revoke's last step reads the action count; actions counted later took effect after it
 * (an action that lands between the revoke's write and that read is counted as before: the measure can only
 * under-count). A grant starts the count afresh. In-process bookkeeping of that mark keeps these variants to
 * one process (explore, serve, attack); they are not offered on replicas.
 */

export const roleKey = (user: string): string => `role(${user})`;
export const actionsKey = (user: string): string => `actions(${user})`;

export interface PrivilegePorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /** The admin action's work between its check and its effect. */
  readonly delayMs: number;
}

export type ActionResult = { readonly accepted: true; readonly actions: number } | { readonly accepted: false; readonly message: string };

export interface PrivilegeAudit {
  readonly actions: number;
  readonly afterRevoke: number;
}

export interface PrivilegeService {
  grant(user: string): Promise<PrivilegeAudit>;
  revoke(user: string): Promise<PrivilegeAudit>;
  adminAction(user: string): Promise<ActionResult>;
  audit(user: string): Promise<PrivilegeAudit>;
  readonly stats: { refused: number; conflicts: number };
  close(): Promise<void>;
}

export type PrivilegeVariant = ScenarioVariant<PrivilegePorts, PrivilegeService>;

const wait = (ports: PrivilegePorts): Promise<void> => sleep(ports.delayMs, ports.scheduler ?? realScheduler);
const denied = (user: string): ActionResult => ({ accepted: false, message: `${user} is not an admin` });

interface Steps {
  setRole(user: string, role: 1): Promise<void>;
  /** Sets the role to 0 and, as its last step, reads the action count. */
  revoke(user: string): Promise<number>;
  /** The admin action: check, work, effect; the action count after, or undefined when refused. */
  act(user: string): Promise<number | undefined>;
}

function privileges(ports: PrivilegePorts, steps: Steps): PrivilegeService {
  const actionsAtRevoke = new Map<string, number>();
  const stats = { refused: 0, conflicts: 0 };
  const audit = async (user: string): Promise<PrivilegeAudit> => {
    const actions = await ports.store.get(actionsKey(user));
    const at = actionsAtRevoke.get(user);
    return { actions, afterRevoke: at === undefined ? 0 : actions - at };
  };
  return {
    async grant(user) {
      await steps.setRole(user, 1);
      actionsAtRevoke.delete(user);
      return audit(user);
    },
    async revoke(user) {
      actionsAtRevoke.set(user, await steps.revoke(user));
      return audit(user);
    },
    async adminAction(user) {
      const actions = await steps.act(user);
      if (actions === undefined) {
        stats.refused++;
        return denied(user);
      }
      return { accepted: true, actions };
    },
    audit,
    stats,
    close: async () => undefined,
  };
}

export const privilegeVariants: readonly PrivilegeVariant[] = [
  {
    name: 'vulnerable',
    summary: 'checks the role, does the work, then takes effect: a revoke completed during the work does not stop it (time of check to time of use)',
    safe: false,
    make: (ports) =>
      privileges(ports, {
        setRole: (user, role) => ports.store.set(roleKey(user), role),
        async revoke(user) {
          await ports.store.set(roleKey(user), 0);
          return ports.store.get(actionsKey(user));
        },
        async act(user) {
          if ((await ports.store.get(roleKey(user))) !== 1) return undefined;
          await wait(ports);
          return ports.store.increment(actionsKey(user));
        },
      }),
  },
  {
    name: 'txn',
    summary: 'check, work and effect in one serializable transaction, and the revoke in another: the revoke waits for an action in flight, and every later action sees it',
    safe: true,
    make: (ports) =>
      privileges(ports, {
        setRole: (user, role) => ports.store.transaction((tx) => tx.set(roleKey(user), role)),
        revoke: (user) =>
          ports.store.transaction(async (tx) => {
            await tx.set(roleKey(user), 0);
            return tx.get(actionsKey(user));
          }),
        act: (user) =>
          ports.store.transaction(async (tx) => {
            if ((await tx.get(roleKey(user))) !== 1) return undefined;
            await wait(ports);
            const n = (await tx.get(actionsKey(user))) + 1;
            await tx.set(actionsKey(user), n);
            return n;
          }),
      }),
  },
];
