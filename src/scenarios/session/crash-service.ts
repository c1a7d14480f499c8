import { status } from '../../grpc/status.js';
import type { Scheduler } from '../../sched/scheduler.js';
import { grpcError, type HostedService, type ScenarioVariant } from '../impacts/scenario.js';
import { startSessionTable, type SessionTable, type SessionTableForm, type TableAnswer } from './crash.js';

/*
 * The supervisor-crash form (crash.ts) served over gRPC by the session scenario's own service: Open, End and Pool
 * of proto/session.proto, each a call to the session table. A call the table does not answer (it crashed and is
 * being restarted, or its supervisor gave up) is answered UNAVAILABLE: "restarting" while the supervisor still
 * restarts it, "service down" once it gave up, and from then on every call.
 */

/** The served supervisor's restart intensity: at most 3 restarts within 5 s; a 4th crash and it gives up. */
export const SERVED_RESTARTS = { maxRestarts: 3, withinMs: 5000 } as const;

export interface SessionCrashPorts {
  readonly scheduler?: Scheduler;
  /** The work End does between its check and its removal. */
  readonly delayMs: number;
  /** Sessions the table holds at most. */
  readonly capacity: number;
}

export type SessionCrashVariant = ScenarioVariant<SessionCrashPorts, SessionTable>;

const table = (form: SessionTableForm, ports: SessionCrashPorts): SessionTable =>
  startSessionTable({ form, delayMs: ports.delayMs, capacity: ports.capacity, ...SERVED_RESTARTS, ...(ports.scheduler ? { scheduler: ports.scheduler } : {}) });

/** Named `crash-<form>`, beside the pool's variants, so `racelab serve --scenario session --variant crash-vulnerable` reads as what it is. */
export const sessionCrashVariants: readonly SessionCrashVariant[] = [
  {
    name: 'crash-vulnerable',
    summary:
      'the sessions in one GenServer under a supervisor (3 restarts in 5 s); End asks whether the session is open, does its work, then takes it, and the table crashes when another End took it first: a burst of double Ends exceeds the restart intensity and the service is down',
    safe: false,
    spawnsProcesses: true,
    make: (ports) => table('vulnerable', ports),
  },
  {
    name: 'crash-fixed',
    summary: "the same supervised table; End removes the session in one call and answers Map.delete's boolean: a double End answers false, nothing crashes",
    safe: true,
    spawnsProcesses: true,
    make: (ports) => table('fixed', ports),
  },
];

export function isSessionCrashVariant(name: string): boolean {
  return sessionCrashVariants.some((v) => v.name === name);
}

/** The session service's handlers on a session table of `variant`: every unanswered call is UNAVAILABLE. */
export function hostSessionTable(variant: SessionCrashVariant, ports: SessionCrashPorts): HostedService {
  const t = variant.make(ports);
  const stats = { unavailable: 0 };
  const answered = <T>(a: TableAnswer<T>): T => {
    if (a.answered) return a.value;
    stats.unavailable++;
    throw grpcError(
      status.UNAVAILABLE,
      t.gaveUp()
        ? `service down: the session table crashed ${t.crashes()} times and its supervisor gave up (more than ${SERVED_RESTARTS.maxRestarts} restarts within ${SERVED_RESTARTS.withinMs} ms); restart the server`
        : `the session table is restarting after a crash (${a.message})`,
    );
  };
  const free = (size: number): number => ports.capacity - size;
  const session = (req: { session?: string }): string => {
    if (!req.session) throw grpcError(status.INVALID_ARGUMENT, 'session: give the session id');
    return req.session;
  };
  return {
    handlers: {
      Open: async (req: { session: string }) => {
        const size = answered(await t.open(session(req)));
        if (size === null) throw grpcError(status.RESOURCE_EXHAUSTED, `no slot for ${req.session}: all ${ports.capacity} sessions are open`);
        return { free: free(size) };
      },
      End: async (req: { session: string }) => {
        answered(await t.end(session(req)));
        return { free: free(answered(await t.size())) };
      },
      Pool: async () => ({ free: free(answered(await t.size())), capacity: ports.capacity }),
    },
    stats: {
      get crashes() {
        return t.crashes();
      },
      get gaveUp() {
        return t.gaveUp();
      },
      get unavailable() {
        return stats.unavailable;
      },
    },
    supervision: () => ({ crashes: t.crashes(), gaveUp: t.gaveUp() }),
    close: () => t.close(),
  };
}
