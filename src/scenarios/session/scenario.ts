import { status } from '@grpc/grpc-js';
import { grpcError, scenarioVariant, type HostPorts, type HostedService, type ImpactScenario, wholeOf } from '../impacts/scenario.js';
import { openPool, sessionVariants, type OpenResult } from './variants.js';
import { sessionWorkload } from './workload.js';
import { measureDoubleEndBurst, SESSION_TABLE_FORMS } from './crash.js';

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
  model: 'session',
  open: (store) => openPool(store, SERVED_CAPACITY),
  host(variantName: string, ports: HostPorts): HostedService {
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
  workload: (o) => sessionWorkload(o),
  // The supervisor-crash form, in process (its End is not served yet): a burst of double Ends against the session table.
  availability: async (delayMs) => {
    const out = [];
    for (const form of SESSION_TABLE_FORMS) out.push(await measureDoubleEndBurst(form, delayMs));
    return out;
  },
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
