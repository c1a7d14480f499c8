import { RacelabError } from '../core/errors.js';
import { formatReason, isNormalExit, type ExitReason } from './reason.js';
import { GenServer, Stop, type GenServerBehaviour, type GenServerOptions, type ServerRef } from './gen-server.js';
import { DownMessage, ExitMessage, type Pid } from './pid.js';
import type { Process } from './process.js';
import type { ActorSystem } from './system.js';

/** permanent: always restarted; transient: only after an abnormal exit; temporary: never. */
export type RestartPolicy = 'permanent' | 'transient' | 'temporary';

export interface ChildSpec {
  readonly id: string;
  /** Starts the child LINKED to `supervisor` (pass `link: supervisor` when spawning) and returns its pid. */
  start(supervisor: Pid, system: ActorSystem): Promise<Pid> | Pid;
  readonly restart?: RestartPolicy;
}

export interface SupervisorOptions {
  readonly name?: string;
  /** Restart intensity: at most `maxRestarts` restarts within `withinMs`; one more and the supervisor gives up. */
  readonly maxRestarts?: number;
  readonly withinMs?: number;
  /** How long a child gets to stop after `shutdown` before it is killed. */
  readonly shutdownMs?: number;
  /** Called with each event as it happens. */
  readonly onEvent?: (event: SupervisorEvent) => void;
}

export interface SupervisorEvent {
  readonly kind: 'child-exited' | 'child-restarted' | 'restart-failed' | 'gave-up';
  readonly childId: string;
  readonly pid?: string;
  readonly reason?: string;
  /** Scheduler clock, ms. */
  readonly at: number;
}

export interface ChildInfo {
  readonly id: string;
  readonly pid: Pid | undefined;
  readonly restarts: number;
}

interface Child {
  readonly spec: ChildSpec;
  readonly pid: Pid | undefined;
  readonly restarts: number;
}

interface SupState {
  readonly children: readonly Child[];
  /** Times of recent restarts, for the intensity limit. */
  readonly restartTimes: readonly number[];
}

/** The exit reason of a supervisor that hit its restart-intensity limit (Erlang logs this and exits `shutdown`). */
export const MAX_RESTART_INTENSITY = 'reached_max_restart_intensity';

/** A GenServer child: started with `link: supervisor`, under its registered name if it has one. */
export function genServerChild<S, Arg>(
  id: string,
  behaviour: GenServerBehaviour<S, Arg>,
  arg: Arg,
  options: GenServerOptions = {},
  restart: RestartPolicy = 'permanent',
): ChildSpec {
  return {
    id,
    restart,
    start: async (supervisor, system) => (await GenServer.start(system, behaviour, arg, { ...options, link: supervisor })).pid,
  };
}

/**
 * A one-for-one supervisor: when a child exits and its restart policy says so, only that child is started
 * again, from its spec (fresh state from `init`), up to `maxRestarts` within `withinMs`. Supervision recovers
 * a crashed process; it does not prevent the race that crashed it (the seed says as much, and the
 * `supervisor-restart` pattern measures it).
 */
export class Supervisor {
  private constructor(
    private readonly server: ServerRef,
    /** Everything the supervisor saw and did, in order. */
    readonly events: readonly SupervisorEvent[],
  ) {}

  static async start(system: ActorSystem, children: readonly ChildSpec[], options: SupervisorOptions = {}): Promise<Supervisor> {
    const maxRestarts = options.maxRestarts ?? 3;
    const withinMs = options.withinMs ?? 5000;
    const shutdownMs = options.shutdownMs ?? 1000;
    if (!Number.isInteger(maxRestarts) || maxRestarts < 0) throw new RacelabError('ACTOR_MISUSE', `maxRestarts: ${maxRestarts} must be a whole number of at least 0`);
    if (!(withinMs > 0)) throw new RacelabError('ACTOR_MISUSE', `withinMs: ${withinMs} must be a positive number of milliseconds`);
    const ids = new Set<string>();
    for (const c of children) {
      if (ids.has(c.id)) throw new RacelabError('ACTOR_MISUSE', `supervisor: two children have the id "${c.id}"; give each child its own id`);
      ids.add(c.id);
    }
    const log: SupervisorEvent[] = [];
    const record = (self: Process, e: Omit<SupervisorEvent, 'at'>): void => {
      const event = { ...e, at: self.scheduler.clock.now() };
      log.push(event);
      options.onEvent?.(event);
    };

    const startChild = async (self: Process, spec: ChildSpec): Promise<Pid> => {
      const pid = await spec.start(self.pid, self.system);
      // A child started without `link: supervisor` is linked now (a child that already died yields EXIT noproc).
      if (!self.links?.has(pid.process)) self.link(pid);
      return pid;
    };

    const behaviour: GenServerBehaviour<SupState, void> = {
      async init(_arg, self) {
        const started: Child[] = [];
        for (const spec of children) started.push({ spec, pid: await startChild(self, spec), restarts: 0 });
        return { children: started, restartTimes: [] };
      },

      handleCall(request, _from, state) {
        if (request === 'which_children') {
          return { reply: state.children.map((c): ChildInfo => ({ id: c.spec.id, pid: c.pid, restarts: c.restarts })), state };
        }
        return { reply: new RacelabError('ACTOR_MISUSE', `supervisor: unknown request ${String(request)}`), state };
      },

      async handleInfo(message, state, self) {
        if (!(message instanceof ExitMessage)) return state;
        const index = state.children.findIndex((c) => c.pid !== undefined && message.from !== null && c.pid.id === message.from.id);
        if (index < 0) {
          // Not a child: our parent (or someone with our pid) told us to stop.
          return message.reason === 'normal' ? state : new Stop(message.reason, state);
        }
        const child = state.children[index] as Child;
        record(self, { kind: 'child-exited', childId: child.spec.id, pid: String(message.from), reason: formatReason(message.reason) });
        const policy = child.spec.restart ?? 'permanent';
        const restart = policy === 'permanent' || (policy === 'transient' && !isNormalExit(message.reason));
        const replace = (c: Child): readonly Child[] => state.children.map((x, i) => (i === index ? c : x));
        if (!restart) return { ...state, children: replace({ ...child, pid: undefined }) };
        let restartTimes = state.restartTimes;
        let restarts = child.restarts;
        for (;;) {
          const now = self.scheduler.clock.now();
          restartTimes = restartTimes.filter((t) => now - t <= withinMs);
          if (restartTimes.length >= maxRestarts) {
            record(self, { kind: 'gave-up', childId: child.spec.id, reason: `${restartTimes.length} restarts within ${withinMs}ms` });
            return new Stop(MAX_RESTART_INTENSITY, { restartTimes, children: replace({ ...child, pid: undefined, restarts }) });
          }
          restartTimes = [...restartTimes, now];
          restarts++;
          try {
            const pid = await startChild(self, child.spec);
            record(self, { kind: 'child-restarted', childId: child.spec.id, pid: String(pid) });
            return { restartTimes, children: replace({ spec: child.spec, pid, restarts }) };
          } catch (e) {
            self.checkExit();
            record(self, { kind: 'restart-failed', childId: child.spec.id, reason: e instanceof Error ? e.message : String(e) });
          }
        }
      },

      async terminate(_reason, state, self) {
        // Stop children last-started first, each with `shutdown`, giving each `shutdownMs` before `kill`.
        for (const c of [...state.children].reverse()) {
          if (c.pid === undefined || !self.system.isAlive(c.pid)) continue;
          self.unlink(c.pid);
          const ref = self.monitor(c.pid);
          const p = self.system.exitSignal(self.pid, c.pid.process, 'shutdown');
          if (p !== undefined) await p;
          const down = await self.tryReceive((m) => m instanceof DownMessage && m.ref === ref, shutdownMs);
          if (down === undefined) {
            const k = self.system.exitSignal(self.pid, c.pid.process, 'kill');
            if (k !== undefined) await k;
          }
        }
      },
    };

    const server = await GenServer.start(system, behaviour, undefined, { name: options.name, trapExits: true });
    return new Supervisor(server, log);
  }

  get pid(): Pid {
    return this.server.pid;
  }

  get alive(): boolean {
    return this.server.alive;
  }

  /** Restarts done so far (from the event log). */
  get restarts(): number {
    return this.events.filter((e) => e.kind === 'child-restarted').length;
  }

  whichChildren(timeoutMs?: number): Promise<ChildInfo[]> {
    return this.server.call<ChildInfo[]>('which_children', timeoutMs);
  }

  /** Stops the children (last first), then the supervisor. */
  stop(reason: ExitReason = 'normal', timeoutMs?: number): Promise<void> {
    return this.server.stop(reason, timeoutMs);
  }
}
