import { RacelabError } from '../../core/errors.js';
import { Mutex } from '../../sched/mutex.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { Store } from '../../store/store.js';
import type { ScenarioVariant } from '../impacts/scenario.js';

/*
 * Privilege revocation. `role(mallory)` is 1 while mallory is an admin; an admin action checks it, does its work
 * and then takes effect (`actions(mallory)` + 1). The invariant: no admin action takes effect after a revoke of
 * its user completed. A revoke's last step reads the action count; actions counted later took effect after it
 * (an action that lands between the revoke's write and that read is counted as before: the measure can only
 * under-count). The count at the earliest revoke since the last grant is kept in the store too
 * (`revoked(mallory)`, 1 + that count; 0 while none), so replicas sharing a store measure it as one process does.
 */

export const roleKey = (user: string): string => `role(${user})`;
export const actionsKey = (user: string): string => `actions(${user})`;
/** 0 while no revoke completed since the last grant, else 1 + the action count the earliest one read. */
export const revokedKey = (user: string): string => `revoked(${user})`;

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

/** A revoke's answer: the audit after it, and the action count as of the revoke itself. */
export interface RevokeResult extends PrivilegeAudit {
  readonly atRevoke: number;
}

export interface PrivilegeService {
  grant(user: string): Promise<PrivilegeAudit>;
  revoke(user: string): Promise<RevokeResult>;
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
  revoke(user: string, stats: PrivilegeService['stats']): Promise<number>;
  /** The admin action: check, work, effect; the action count after, or undefined when refused. */
  act(user: string, stats: PrivilegeService['stats']): Promise<number | undefined>;
}

const MAX_ATTEMPTS = 10_000;

/**
 * Keeps the earliest revoke's count: writes 1 + `count` unless a revoke already left a smaller one, by
 * compare-and-set, so revokes racing on one replica or on several agree on the first.
 */
async function markRevoke(store: Store, user: string, count: number): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const mark = await store.read(revokedKey(user));
    if (mark.value !== 0 && mark.value - 1 <= count) return;
    if (await store.compareAndSet(revokedKey(user), mark.version, count + 1)) return;
  }
  throw new RacelabError('TIMEOUT', `privilege revoke lost ${MAX_ATTEMPTS} compare-and-set rounds in a row on ${revokedKey(user)}`);
}

function privileges(ports: PrivilegePorts, steps: Steps): PrivilegeService {
  const { store } = ports;
  const stats = { refused: 0, conflicts: 0 };
  const audit = async (user: string): Promise<PrivilegeAudit> => {
    const actions = await store.get(actionsKey(user));
    const mark = await store.get(revokedKey(user));
    return { actions, afterRevoke: mark === 0 ? 0 : actions - (mark - 1) };
  };
  return {
    async grant(user) {
      await steps.setRole(user, 1);
      await store.set(revokedKey(user), 0);
      return audit(user);
    },
    async revoke(user) {
      const atRevoke = await steps.revoke(user, stats);
      await markRevoke(store, user, atRevoke);
      return { ...(await audit(user)), atRevoke };
    },
    async adminAction(user) {
      const actions = await steps.act(user, stats);
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

/** The check, the work and the effect as written every day; the revoke as a write and a read. */
const checkThenAct = (ports: PrivilegePorts): Steps => ({
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
});

export const privilegeVariants: readonly PrivilegeVariant[] = [
  {
    name: 'vulnerable',
    summary: 'checks the role, does the work, then takes effect: a revoke completed during the work does not stop it (time of check to time of use)',
    safe: false,
    make: (ports) => privileges(ports, checkThenAct(ports)),
  },
  {
    name: 'mutex',
    summary: 'an in-process mutex per user around the check, work and effect, and around the revoke: exact in one process, not across replicas',
    safe: true,
    make: (ports) => {
      const steps = checkThenAct(ports);
      const locks = new Map<string, Mutex>();
      const lock = (user: string): Mutex => {
        let m = locks.get(user);
        if (!m) locks.set(user, (m = new Mutex(`privilege(${user})`, ports.scheduler)));
        return m;
      };
      return privileges(ports, {
        setRole: steps.setRole,
        revoke: (user, stats) => lock(user).runExclusive(() => steps.revoke(user, stats)),
        act: (user, stats) => lock(user).runExclusive(() => steps.act(user, stats)),
      });
    },
  },
  {
    name: 'epoch',
    summary:
      'reads the version of the action record (the epoch) before checking the role, and writes the effect only if that version is unchanged (compare-and-set), else checks again; the revoke bumps the same version after clearing the role, so an action that checked before it fails its write',
    safe: true,
    make: (ports) =>
      privileges(ports, {
        setRole: (user, role) => ports.store.set(roleKey(user), role),
        async revoke(user) {
          await ports.store.set(roleKey(user), 0);
          // An add of 0 is a write: it bumps the version every action in flight read, and returns the count.
          return ports.store.increment(actionsKey(user), 0);
        },
        async act(user, stats) {
          for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            // The epoch first, then the check: read the other way round, a revoke could land between them and
            // the action would carry a stale role under a fresh epoch.
            const epoch = await ports.store.read(actionsKey(user));
            if ((await ports.store.get(roleKey(user))) !== 1) return undefined;
            await wait(ports);
            if (await ports.store.compareAndSet(actionsKey(user), epoch.version, epoch.value + 1)) return epoch.value + 1;
            stats.conflicts++;
          }
          throw new RacelabError('TIMEOUT', `privilege epoch lost ${MAX_ATTEMPTS} compare-and-set rounds in a row`);
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
