import { ActorSystem, genServerChild, Supervisor, type GenServerBehaviour } from '../../actor/index.js';
import { messageOf, RacelabError } from '../../core/errors.js';
import type { Workload } from '../../explore/workload.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';

/*
 * The session scenario's supervisor-crash form (denial of service): the table of open sessions is held by one
 * process (a GenServer) under a one-for-one Supervisor with a restart intensity. The vulnerable End asks the table
 * whether the session is open, does its work (an await: another End runs there), then tells the table to remove
 * it, and the table crashes when the entry is gone, as a `{ok, S} = maps:take(...)` does in Erlang. Each crash
 * costs every open session (the restarted table starts empty); enough of them within the period and the supervisor
 * gives up: every later call fails (UNAVAILABLE). The fix removes in one step and answers whether it removed.
 */

export type SessionTableForm = 'vulnerable' | 'fixed';

export const SESSION_TABLE_FORMS: readonly SessionTableForm[] = ['vulnerable', 'fixed'];

export interface SessionTablePorts {
  readonly form: SessionTableForm;
  readonly scheduler?: Scheduler;
  /** The work End does between its check and its removal (revoking the token, a call to the license server). */
  readonly delayMs: number;
  /** The supervisor's restart intensity: at most `maxRestarts` within `withinMs`; default 3 within 5000 ms. */
  readonly maxRestarts?: number;
  readonly withinMs?: number;
  /** Sessions the table holds at most: an Open of a new session beyond it is refused (answered null); default no limit. */
  readonly capacity?: number;
}

/** A call's outcome: answered, or not (the table is restarting or its supervisor gave up: gRPC UNAVAILABLE). */
export type TableAnswer<T> = { readonly answered: true; readonly value: T } | { readonly answered: false; readonly message: string };

export interface SessionTable {
  /** The sessions open after it, or null when the table is full and the session was not open (refused). */
  open(session: string): Promise<TableAnswer<number | null>>;
  /** true when this End removed the session. */
  end(session: string): Promise<TableAnswer<boolean>>;
  /** The sessions open. */
  size(): Promise<TableAnswer<number>>;
  /** Crashes of the table so far, and whether its supervisor gave up (the service is down). */
  crashes(): number;
  gaveUp(): boolean;
  /** The supervisor's events in words (`child-exited …`), in order. */
  events(): string[];
  close(): Promise<void>;
}

export const TABLE_NAME = 'sessions';

/** End's work goes straight on to a call of the table: nothing shared is touched between its end and that send. */
const LOCAL = { local: true } as const;

type Request = { readonly op: 'open' | 'has' | 'take' | 'end' | 'size'; readonly session: string };

/** The table: a Map of open sessions, replaced (never mutated) by each call; at most `capacity` of them. */
const tableOf = (capacity: number): GenServerBehaviour<ReadonlyMap<string, true>> => ({
  init: () => new Map(),
  handleCall(request, _from, state) {
    const { op, session } = request as Request;
    if (op === 'has') return { reply: state.has(session), state };
    if (op === 'size') return { reply: state.size, state };
    if (op === 'open' && !state.has(session) && state.size >= capacity) return { reply: null, state };
    const next = new Map(state);
    if (op === 'open') return { reply: next.set(session, true).size, state: next };
    // One step: the removal answers whether the entry was there.
    const removed = next.delete(session);
    // The vulnerable End's `take` assumes the entry it checked is still there: a missing one crashes the table.
    if (op === 'take' && !removed) throw new Error(`session ${session} is not in the table: already ended`);
    return { reply: removed, state: next };
  },
});

export function startSessionTable(ports: SessionTablePorts): SessionTable {
  const scheduler = ports.scheduler ?? realScheduler;
  const system = new ActorSystem(ports.scheduler ? { scheduler: ports.scheduler } : {});
  let starting: Promise<Supervisor> | undefined;
  let sup: Supervisor | undefined;
  // Started by the first call (inside a task under the explorer, whose scheduler must be running); a call that
  // comes while it starts waits through the scheduler.
  const ask = async <T>(request: Request): Promise<T> => {
    if (sup === undefined) {
      // Resumed, the waiter only goes on to its call: its wake touches nothing another task does.
      if (starting) await scheduler.waitFor(starting, `start of the ${TABLE_NAME} supervisor`, `start of the ${TABLE_NAME} supervisor`);
      else {
        starting = Supervisor.start(system, [genServerChild(TABLE_NAME, tableOf(ports.capacity ?? Infinity), undefined, { name: TABLE_NAME })], {
          maxRestarts: ports.maxRestarts ?? 3,
          withinMs: ports.withinMs ?? 5000,
        });
        sup = await starting;
      }
    }
    return system.call<T>(TABLE_NAME, request);
  };
  const answer = async <T>(run: () => Promise<T>): Promise<TableAnswer<T>> => {
    try {
      return { answered: true, value: await run() };
    } catch (e) {
      // NO_PROCESS (restarting, or given up) and PROCESS_EXITED (crashed while this call waited) both mean unanswered.
      return { answered: false, message: messageOf(e) };
    }
  };
  return {
    open: (session) => answer(() => ask<number | null>({ op: 'open', session })),
    size: () => answer(() => ask<number>({ op: 'size', session: '' })),
    end: (session) =>
      answer(async () => {
        if (ports.form === 'fixed') {
          await sleep(ports.delayMs, scheduler, LOCAL);
          return ask<boolean>({ op: 'end', session });
        }
        if (!(await ask<boolean>({ op: 'has', session }))) return false;
        await sleep(ports.delayMs, scheduler, LOCAL);
        return ask<boolean>({ op: 'take', session });
      }),
    crashes: () => sup?.events.filter((e) => e.kind === 'child-exited').length ?? 0,
    gaveUp: () => sup?.events.some((e) => e.kind === 'gave-up') ?? false,
    events: () => sup?.events.map((e) => `${e.kind} ${e.childId}${e.reason ? ` (${e.reason})` : ''}`) ?? [],
    close: () => system.shutdown(),
  };
}

/** The explorer's clients: each is one tab of alice's, which opens her session and then ends it (the double End). */
export const CRASH_CLIENTS = [2, 3] as const;

/**
 * The supervisor-crash form under the explorer. Invariant, in the operator's terms: the session table never
 * crashes (a crash loses every open session; enough of them and the supervisor gives up: the service is down).
 */
export function sessionCrashWorkload(options: {
  readonly form: SessionTableForm;
  readonly clients?: number;
  readonly delayMs?: number;
  /** Name it as this variant of the session scenario (`crash-vulnerable`), so its replay tokens name a workload `racelab replay` knows. */
  readonly variant?: string;
}): Workload {
  const clients = options.clients ?? 2;
  if (!(CRASH_CLIENTS as readonly number[]).includes(clients)) throw new RacelabError('BAD_OPTION', `session crash: ${clients} clients; give 2 or 3`);
  if (!SESSION_TABLE_FORMS.includes(options.form)) throw new RacelabError('BAD_OPTION', `session crash: unknown form "${String(options.form)}"; give vulnerable or fixed`);
  const delayMs = options.delayMs ?? 1;
  return {
    ...(options.variant !== undefined
      ? { name: 'session', params: { variant: options.variant, clients, delay: delayMs } }
      : { name: 'session-crash', params: { form: options.form, clients, delay: delayMs } }),
    setup(ctx) {
      // One restart allowed: a second crash within the period and the supervisor gives up.
      const t = startSessionTable({ form: options.form, scheduler: ctx.scheduler, delayMs, maxRestarts: 1, withinMs: 60_000 });
      const unanswered: string[] = [];
      let finished = 0;
      let allDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (allDone = resolve));
      let seen = { crashes: 0, gaveUp: false };
      return {
        tasks: [
          ...Array.from({ length: clients }, (_, i) => [
            `t${i + 1}`,
            async () => {
              try {
                const opened = await t.open('alice');
                if (!opened.answered) unanswered.push(`t${i + 1} Open`);
                const ended = await t.end('alice');
                if (!ended.answered) unanswered.push(`t${i + 1} End`);
              } finally {
                if (++finished === clients) allDone();
              }
            },
          ] as const),
          [
            'table',
            async () => {
              // The processes live until every client is done; what the supervisor saw is taken before the shutdown.
              await ctx.scheduler.waitFor(done, 'every client done');
              seen = { crashes: t.crashes(), gaveUp: t.gaveUp() };
              await t.close();
            },
          ] as const,
        ],
        invariant: () => {
          const { crashes } = seen;
          if (crashes === 0) return true;
          const down = seen.gaveUp ? '; the supervisor gave up: the service is down' : '; the supervisor restarted it with every session lost';
          const calls = unanswered.length ? ` (${unanswered.join(', ')} unanswered)` : '';
          return `the session table crashed ${crashes === 1 ? 'once' : `${crashes} times`}: a double End removed alice's session twice${down}${calls}`;
        },
      };
    },
  };
}
