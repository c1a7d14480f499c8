import { RacelabError } from '../core/errors.js';
import { formatReason, ProcessExit, type ExitReason } from './reason.js';
import { CallEnvelope, CastEnvelope, ReplySlot, type From } from './reply.js';
import { summarizeMessage } from './summary.js';
import type { Dest, Pid } from './pid.js';
import { NO_MESSAGE, type Process, type SpawnOptions } from './process.js';
import type { ActorSystem } from './system.js';

/** handleCall's answer when the reply will be sent later with `GenServer.reply(system, from, value)`. */
export class NoReply<S> {
  constructor(readonly state: S) {}
}

/** A handler's answer that stops the server with `reason` (replying first, for a call, if `reply` is given). */
export class Stop<S> {
  constructor(
    readonly reason: ExitReason,
    readonly state: S,
    readonly reply?: { readonly value: unknown },
  ) {}
}

/** What handleCall returns: the reply and the new state, a deferred reply, or a stop. */
export type CallResult<S> = { readonly reply: unknown; readonly state: S } | NoReply<S> | Stop<S>;

/** What handleCast / handleInfo return: the new state, or a stop. */
export type CastResult<S> = S | Stop<S>;

type Maybe<T> = T | Promise<T>;

/**
 * A GenServer's behaviour: plain functions from (message, state) to the new state, as in Elixir. The runtime
 * around it owns the mailbox and runs ONE message at a time: it awaits a handler, async or not, before it takes
 * the next message, so two messages can never interleave inside one server (the seed's claim that two
 * `handle_cast(:increment)` can is wrong). Handlers return the new state; they never mutate it in place (by default
 * the runtime freezes each state object it gets back, so an in-place write throws and crashes the server).
 */
export interface GenServerBehaviour<S, Arg = void> {
  init(arg: Arg, self: Process): Maybe<S>;
  handleCall?(request: unknown, from: From, state: S, self: Process): Maybe<CallResult<S>>;
  handleCast?(request: unknown, state: S, self: Process): Maybe<CastResult<S>>;
  /** Every other message: raw sends, ExitMessage (when trapping exits), DownMessage, timers. */
  handleInfo?(message: unknown, state: S, self: Process): Maybe<CastResult<S>>;
  /** Called once when the server stops or crashes (not when it is killed while waiting in another call). */
  terminate?(reason: ExitReason, state: S, self: Process): Maybe<void>;
}

export interface GenServerOptions extends SpawnOptions {
  /** Freeze each state object the handlers return (top level), so a handler that mutates it crashes. Default true. */
  readonly freezeState?: boolean;
}

/** `GenServer.stop` travels as a call, so it is handled in turn after the messages already queued. */
class StopRequest {
  constructor(readonly reason: ExitReason) {}
  toString(): string {
    return `stop ${formatReason(this.reason)}`;
  }
}

/** A started GenServer: its pid and the calls a client needs. */
export class ServerRef<Call = unknown, Cast = unknown> {
  constructor(
    readonly system: ActorSystem,
    readonly pid: Pid,
  ) {}

  call<R = unknown>(request: Call, timeoutMs?: number): Promise<R> {
    return this.system.call<R>(this.pid, request, timeoutMs);
  }

  cast(request: Cast): void | Promise<void> {
    return this.system.cast(this.pid, request);
  }

  stop(reason: ExitReason = 'normal', timeoutMs?: number): Promise<void> {
    return GenServer.stop(this.system, this.pid, reason, timeoutMs);
  }

  get alive(): boolean {
    return this.system.isAlive(this.pid);
  }
}

function freeze(state: unknown): void {
  if (typeof state === 'object' && state !== null && !Object.isFrozen(state)) Object.freeze(state);
}

async function serve<S>(self: Process, behaviour: GenServerBehaviour<S, never>, initial: S, freezeState: boolean): Promise<void> {
  const system = self.system;
  let state = initial;
  // The call being handled and the calls answered later: their callers must hear if this server dies.
  let current: ReplySlot | null = null;
  let deferred: Set<ReplySlot> | null = null;
  let stopSlot: ReplySlot | null = null;
  let reason: ExitReason;
  let crashed = false;
  try {
    for (;;) {
      let message: unknown;
      if (system.fast) {
        // Real scheduler: no delivery point to take, so take messages straight off the mailbox and, when it is
        // empty, wait on the process's own signal (the hot path of the benchmark).
        message = self.takeNow();
        while (message === NO_MESSAGE) {
          await self.idleFast();
          self.checkExit();
          message = self.takeNow();
        }
      } else {
        message = await self.receiveOr(null, Infinity);
      }
      const timeline = system.timeline;
      if (timeline !== null) timeline.handlerStart(self, message, self.mailbox.lastTakenAt, self.mailbox.lastTakenFrom);
      if (message instanceof CallEnvelope) {
        const from = message.from;
        if (message.request instanceof StopRequest) {
          stopSlot = from;
          reason = message.request.reason;
          break;
        }
        if (behaviour.handleCall === undefined) throw new Error(`${self.display} got call ${summarizeMessage(message.request)} but has no handleCall`);
        current = from;
        let r = behaviour.handleCall(message.request, from, state, self);
        if (r instanceof Promise) r = await r;
        if (r instanceof NoReply) {
          state = r.state;
          if (from.pending) {
            deferred ??= new Set();
            if (deferred.size >= 1024) for (const d of deferred) if (!d.pending) deferred.delete(d);
            deferred.add(from);
          }
        } else if (r instanceof Stop) {
          state = r.state;
          reason = r.reason;
          if (r.reply !== undefined) {
            const p = system.reply(from, r.reply.value);
            if (p !== undefined) await p;
            current = null;
          }
          break;
        } else {
          state = r.state;
          const p = system.reply(from, r.reply);
          if (p !== undefined) await p;
        }
        current = null;
      } else {
        // A cast or any other message: its handler answers with the new state or a Stop, taken in one place.
        let r: Maybe<CastResult<S>>;
        if (message instanceof CastEnvelope) {
          if (behaviour.handleCast === undefined) throw new Error(`${self.display} got cast ${summarizeMessage(message.request)} but has no handleCast`);
          r = behaviour.handleCast(message.request, state, self);
        } else if (behaviour.handleInfo !== undefined) {
          r = behaviour.handleInfo(message, state, self);
        } else {
          // Like Elixir's default handle_info: an unexpected message is dropped (and counted). The state is the one
          // already frozen after the last message (or init), so only the exit check of the loop's end is left.
          system.stats.unexpectedMessages++;
          if (timeline !== null) timeline.handlerEnd(self, 'dropped');
          self.checkExit();
          continue;
        }
        if (r instanceof Promise) r = await r;
        if (r instanceof Stop) {
          state = r.state;
          reason = r.reason;
          break;
        }
        state = r;
      }
      if (timeline !== null) timeline.handlerEnd(self);
      if (freezeState) freeze(state);
      self.checkExit();
    }
    // Left the loop by a stop: the message that stopped it has been handled.
    system.timeline?.handlerEnd(self);
  } catch (e) {
    reason = self.pendingExit ?? (e instanceof ProcessExit ? e.reason : { error: e });
    crashed = true;
  }
  if (behaviour.terminate !== undefined && !(crashed && self.pendingExit !== undefined)) {
    try {
      await behaviour.terminate(reason, state, self);
    } catch {
      // terminate is best effort: the server is stopping either way, with the reason it already has
    }
  }
  // Callers still waiting hear PROCESS_EXITED once this process has exited (its reason is then visible).
  if (current !== null) self.unanswered.push(current);
  if (deferred !== null) for (const d of deferred) if (d.pending) self.unanswered.push(d);
  if (stopSlot !== null) {
    const p = system.reply(stopSlot, 'ok');
    if (p !== undefined) await p;
  }
  if (reason !== 'normal') throw new ProcessExit(reason, self.display);
}

/**
 * Elixir's GenServer: `start` runs `init` inside the new process and returns once it has finished (a failing
 * init is an error of `start`), `call` waits for the reply with a timeout, `cast` does not wait, `reply` answers a
 * deferred call, `stop` stops the server after the messages already in its mailbox.
 */
export const GenServer = {
  async start<S, Arg>(system: ActorSystem, behaviour: GenServerBehaviour<S, Arg>, arg: Arg, options: GenServerOptions = {}): Promise<ServerRef> {
    const freezeState = options.freezeState ?? true;
    const ack = new ReplySlot<void>(null, 'starter', options.name ?? 'GenServer', 'init', Infinity);
    const pid = system.spawn(async (self) => {
      let state: S;
      try {
        const s = behaviour.init(arg, self);
        state = s instanceof Promise ? await s : s;
        self.checkExit();
      } catch (e) {
        ack.fail(
          new RacelabError(
            'PROCESS_EXITED',
            `${self.display} failed to start: ${e instanceof ProcessExit ? formatReason(e.reason) : formatReason({ error: e })}`,
          ),
        );
        throw e;
      }
      if (freezeState) freeze(state);
      ack.settle(undefined);
      await serve(self, behaviour as GenServerBehaviour<S, never>, state, freezeState);
    }, options);
    const proc = pid.process;
    (proc.exitWaiters ??= []).push(ack);
    const label = system.fast ? '' : `start ${proc.display}`;
    // Resumed, the starter reads only the ack and whether the new process lives: a wake on that process.
    while (ack.pending && proc.alive) await ack.wait(system.scheduler, label, proc.label);
    if (ack.pending) {
      throw new RacelabError('PROCESS_EXITED', `${proc.display} exited before its init finished (${formatReason(proc.exitReason ?? 'normal')})`);
    }
    ack.outcome();
    return new ServerRef(system, pid);
  },

  call<R = unknown>(system: ActorSystem, server: Dest, request: unknown, timeoutMs?: number): Promise<R> {
    return system.call<R>(server, request, timeoutMs);
  },

  cast(system: ActorSystem, server: Dest, request: unknown): void | Promise<void> {
    return system.cast(server, request);
  },

  reply(system: ActorSystem, from: From, value: unknown): void | Promise<void> {
    return system.reply(from, value);
  },

  /** Stops the server once it reaches this request, runs `terminate`, and resolves when it has exited. */
  async stop(system: ActorSystem, server: Dest, reason: ExitReason = 'normal', timeoutMs?: number): Promise<void> {
    const pid = typeof server === 'string' ? system.lookup(server, 'stop').pid : server;
    try {
      await system.call(pid, new StopRequest(reason), timeoutMs);
    } catch (e) {
      // Already gone, or it died on the way: either way it is stopped.
      if (!(e instanceof RacelabError) || (e.code !== 'NO_PROCESS' && e.code !== 'PROCESS_EXITED')) throw e;
    }
    await system.join(pid);
  },
};
