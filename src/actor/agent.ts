import type { ExitReason } from './reason.js';
import { GenServer, type GenServerBehaviour, type GenServerOptions, type ServerRef } from './gen-server.js';
import type { Pid } from './pid.js';
import type { ActorSystem } from './system.js';

type Maybe<T> = T | Promise<T>;

/** One Agent operation: the function runs inside the agent's process, one at a time. */
class AgentOp {
  constructor(
    readonly op: 'get' | 'update' | 'getAndUpdate',
    readonly fn: (state: never) => unknown,
  ) {}

  toString(): string {
    return this.op;
  }
}

const agentBehaviour: GenServerBehaviour<unknown, () => unknown> = {
  init: (initial) => initial(),
  handleCall(request, _from, state) {
    const { op, fn } = request as AgentOp;
    const r = (fn as (s: unknown) => unknown)(state);
    const answer = (v: unknown): { reply: unknown; state: unknown } => {
      if (op === 'get') return { reply: v, state };
      if (op === 'update') return { reply: 'ok', state: v };
      const [value, next] = v as readonly [unknown, unknown];
      return { reply: value, state: next };
    };
    return r instanceof Promise ? r.then(answer) : answer(r);
  },
  handleCast(request, state) {
    return ((request as AgentOp).fn as (s: unknown) => unknown)(state);
  },
};

/**
 * Elixir's Agent: state held by a process, read and changed only through functions that run inside it, one at a
 * time. `update(s => s + 1)` is atomic; `get` followed by `update(() => n + 1)` is not (the state can move
 * between the two messages), which is the check-then-act race in its Agent form.
 */
export class Agent<S> {
  private constructor(private readonly server: ServerRef) {}

  static async start<S>(system: ActorSystem, initial: () => Maybe<S>, options: GenServerOptions = {}): Promise<Agent<S>> {
    return new Agent<S>(await GenServer.start(system, agentBehaviour, initial, options));
  }

  get pid(): Pid {
    return this.server.pid;
  }

  /** Returns `fn(state)`; the state is unchanged. */
  get<R>(fn: (state: S) => Maybe<R>, timeoutMs?: number): Promise<R> {
    return this.server.call<R>(new AgentOp('get', fn as (s: never) => unknown), timeoutMs);
  }

  /** Replaces the state with `fn(state)` and waits until it has. */
  async update(fn: (state: S) => Maybe<S>, timeoutMs?: number): Promise<void> {
    await this.server.call(new AgentOp('update', fn as (s: never) => unknown), timeoutMs);
  }

  /** `fn(state)` returns [reply, newState]: one atomic read-and-write. */
  getAndUpdate<R>(fn: (state: S) => Maybe<readonly [R, S]>, timeoutMs?: number): Promise<R> {
    return this.server.call<R>(new AgentOp('getAndUpdate', fn as (s: never) => unknown), timeoutMs);
  }

  /** Replaces the state with `fn(state)` without waiting. */
  cast(fn: (state: S) => Maybe<S>): void | Promise<void> {
    return this.server.cast(new AgentOp('update', fn as (s: never) => unknown));
  }

  stop(reason: ExitReason = 'normal', timeoutMs?: number): Promise<void> {
    return this.server.stop(reason, timeoutMs);
  }
}
