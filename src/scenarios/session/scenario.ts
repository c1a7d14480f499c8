import { status } from '../../grpc/status.js';
import { checkExplorable, grpcError, scenarioVariant, type HostPorts, type HostedService, type ImpactScenario, wholeOf } from '../impacts/scenario.js';
import { openPool, sessionVariants, type OpenResult } from './variants.js';
import { sessionWorkload } from './workload.js';
import { sessionCrashWorkload } from './crash.js';
import { hostSessionTable, isSessionCrashVariant, sessionCrashVariants } from './crash-service.js';

/** A served pool: 10 session slots. */
export const SERVED_CAPACITY = 10;

const SERVICE = 'racelab.session.v1.Sessions';

const STATUS_OF: Record<Exclude<OpenResult, { accepted: true }>['reason'], number> = {
  'pool-full': status.RESOURCE_EXHAUSTED,
  'bad-session': status.INVALID_ARGUMENT,
};

export const sessionScenario: ImpactScenario = {
  name: 'session',
  title: 'session: one session opened by a burst of retries takes many slots (leaked slots exhaust the pool: denial of service)',
  invariant: 'every slot not free is held by an open session: opening one session, however often, takes one slot',
  protoFile: 'session.proto',
  service: SERVICE,
  variants: sessionVariants,
  // The supervisor-crash form (crash.ts): served and explored as crash-vulnerable and crash-fixed, measured by availability.
  availabilityVariants: sessionCrashVariants,
  model: 'session',
  open: (store) => openPool(store, SERVED_CAPACITY),
  host(variantName: string, ports: HostPorts): HostedService {
    if (isSessionCrashVariant(variantName)) {
      const variant = scenarioVariant('session', sessionCrashVariants, variantName);
      return hostSessionTable(variant, { delayMs: ports.delayMs, capacity: SERVED_CAPACITY, ...(ports.scheduler ? { scheduler: ports.scheduler } : {}) });
    }
    const svc = scenarioVariant('session', sessionVariants, variantName).make({ ...ports, capacity: SERVED_CAPACITY });
    return {
      handlers: {
        Open: async (req: { session: string }) => {
          const r = await svc.openSession(req.session);
          if (!r.accepted) throw grpcError(STATUS_OF[r.reason], r.message);
          return { free: r.free };
        },
        End: async (req: { session: string }) => svc.closeSession(req.session),
        Pool: () => svc.pool(),
      },
      stats: svc.stats,
      close: () => svc.close(),
    };
  },
  workload(o) {
    // One message lists every variant the explorer runs, the crash form's too.
    checkExplorable('session', [...sessionVariants, ...sessionCrashVariants], o.variant);
    if (!isSessionCrashVariant(o.variant)) return sessionWorkload(o);
    const form = o.variant === 'crash-vulnerable' ? 'vulnerable' : 'fixed';
    return sessionCrashWorkload({ form, variant: o.variant, ...(o.clients !== undefined ? { clients: o.clients } : {}), ...(o.delayMs !== undefined ? { delayMs: o.delayMs } : {}) });
  },
  // The supervisor-crash form served on loopback: Opens, a burst of double Ends, Opens, over gRPC.
  // Loaded when measured: it is a gRPC client, which explore and check never need.
  availability: { measure: async (target) => (await import('./availability.js')).measureDoubleEndBurstOverGrpc({ target }) },
  impact(before, after, accepted) {
    const b = before as { free: number; capacity: number };
    const a = after as { free: number };
    // Every call of a burst opens the same session: it may hold one slot.
    const opened = (accepted.Open ?? 0) > 0 ? 1 : 0;
    const taken = b.free - a.free;
    const leaked = taken - opened;
    const detail = `pool of ${b.capacity}: ${b.free} free before, ${accepted.Open ?? 0} Open of one session accepted, ${a.free} free after${leaked > 0 ? `: ${leaked} slots held by no session, lost to every other user until a restart` : ''}`;
    if (leaked > 0) return { violated: true, amount: leaked, unit: 'slots leaked', detail };
    return { violated: leaked !== 0, amount: Math.abs(leaked), unit: 'slots unaccounted', detail };
  },
  attack: {
    name: 'session',
    description: 'the session pool: a burst of Open for one session (retries, tabs) takes one slot, never more',
    calls: [`${SERVICE}/Open`],
    // One session per round, opened by every call of the burst; new in every run ({{run}}), so a second attack on
    // the same server does not reopen a session an earlier one left open (an Open of an open session takes no slot).
    callData: { [`${SERVICE}/Open`]: { session: 'mallory-{{run}}-{{round}}' } },
    before: `${SERVICE}/Pool`,
    after: `${SERVICE}/Pool`,
    invariant: 'before.free - after.free == (ok > 0 ? 1 : 0)',
    // A full pool answers ResourceExhausted and takes no slot.
    refusals: [status.RESOURCE_EXHAUSTED],
    model: 'session',
    historyOp(method, request, response) {
      const free = (response as { free?: unknown } | undefined)?.free ?? null;
      if (method === 'Open' || method === 'End' || method === 'Pool') return { f: method.toLowerCase(), invokeValue: request ?? null, okValue: free };
      return undefined;
    },
    // The pool says how many slots are free, not which sessions hold the others: those stay open or closed.
    initialFrom: (response) => wholeOf((response as { free?: unknown } | undefined)?.free, (free) => ({ free })),
  },
};

const sessionHistoryOp = sessionScenario.attack.historyOp;

/**
 * The other half of the session race, as an attack of its own (`racelab attack --scenario session-end`): each round
 * opens a session of its own (the setup call), then ends it with every call of the burst at once (a logout sent
 * from several tabs, a client's retries). Ending one session, however often, gives back one slot. A double End
 * gives back two on `vulnerable` (more slots free than the pool has: the limit it enforces is gone), and takes the
 * session table down on `crash-vulnerable` (the attack reports TARGET DOWN: a denial of service).
 */
export const sessionEndAttack: ImpactScenario['attack'] = {
  name: 'session-end',
  description: 'the session pool: a burst of End for one session (a logout from several tabs) gives back one slot, never more, and keeps the service up',
  calls: [`${SERVICE}/End`],
  callData: { [`${SERVICE}/End`]: { session: 'tabs-{{run}}-{{round}}' } },
  setup: { method: `${SERVICE}/Open`, data: { session: 'tabs-{{run}}-{{round}}' } },
  before: `${SERVICE}/Pool`,
  after: `${SERVICE}/Pool`,
  invariant: 'after.free - before.free == (ok > 0 ? 1 : 0)',
  model: 'session',
  ...(sessionHistoryOp ? { historyOp: sessionHistoryOp } : {}),
  ...(sessionScenario.attack.initialFrom ? { initialFrom: sessionScenario.attack.initialFrom } : {}),
};
