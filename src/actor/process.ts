import { RacelabError } from '../core/errors.js';
import { realScheduler, type Scheduler } from '../sched/scheduler.js';
import { Mailbox, type MailboxOptions } from './mailbox.js';
import { ProcessExit, type ExitReason } from './reason.js';
import { CallEnvelope, CastEnvelope, type ReplySlot } from './reply.js';
import { summarizeMessage } from './summary.js';
import { cancelTimer, startTimer, type TimerHandle, type TimerTarget } from './timer.js';
import { Waiter } from './waiter.js';
import { DownMessage, Pid, type Dest, type Matcher } from './pid.js';
import type { ActorSystem } from './system.js';

export interface SpawnOptions {
  /** Register the process under this name (released when it exits). */
  readonly name?: string;
  /** Link to this process from the start (spawn_link): no window in which one could die unnoticed. */
  readonly link?: Pid;
  /** Receive exit signals from links as `ExitMessage`s instead of dying with them. */
  readonly trapExits?: boolean;
  readonly mailbox?: MailboxOptions;
}

export type ProcessBody = (self: Process) => Promise<void> | void;

/** @internal what a process waits for (`Process.waitingFor`): a send wakes only a process waiting for a message. */
export const WAIT_NONE = 0;
/** @internal */
export const WAIT_MESSAGE = 1;
/** @internal */
export const WAIT_REPLY = 2;
/** @internal */
export const WAIT_ROOM = 3;

/** @internal what `receiveOr` answers on a timeout. */
export const NO_MESSAGE: unique symbol = Symbol('no message');
const NEVER: Matcher = () => false;

/** `call get`, `cast {set, 3}`, or the message itself: for scheduling-point labels and traces. */
export function describeMessage(message: unknown): string {
  if (message instanceof CallEnvelope) return `call ${summarizeMessage(message.request)}`;
  if (message instanceof CastEnvelope) return `cast ${summarizeMessage(message.request)}`;
  return summarizeMessage(message);
}

/**
 * A process: an id, a mailbox, and a body (an async function) that runs as one task of the scheduler. The body
 * gets this object as `self` and uses it to receive, send, call, link and monitor. A process handles one thing
 * at a time only in the sense that its body is one sequential async function; the runtime never runs two parts
 * of one body at once.
 */
export class Process extends Waiter implements TimerTarget {
  readonly pid: Pid;
  readonly label: string;
  readonly mailbox: Mailbox;
  name: string | undefined;
  /** @internal */
  alive = true;
  /** Set once the process has exited. */
  exitReason: ExitReason | undefined;
  /** @internal an exit signal that arrived while the body was running; it unwinds at the next runtime call. */
  pendingExit: ExitReason | undefined;
  /** @internal */
  trapping: boolean;
  /** @internal */ links: Set<Process> | null = null;
  /** @internal monitors on this process: ref -> watcher. */ watchers: Map<number, Process> | null = null;
  /** @internal monitors this process holds: ref -> target. */ monitoring: Map<number, Process> | null = null;
  /** @internal settles when the body and the exit bookkeeping are done. */ done: Promise<void> = Promise.resolve();
  /** @internal */ exitWaiters: Waiter[] | null = null;
  /** @internal calls this process took and will never answer: failed with PROCESS_EXITED when it has exited. */
  unanswered: ReplySlot[] = [];
  /** @internal */ waitingFor = WAIT_NONE;
  /** @internal */ matcher: Matcher | null = null;
  private timedOut = false;
  private receiving = false;

  constructor(
    readonly system: ActorSystem,
    id: number,
    options: SpawnOptions,
  ) {
    super();
    this.pid = new Pid(id, this);
    this.label = this.pid.toString();
    this.mailbox = new Mailbox(options.mailbox);
    if (system.timeline !== null) {
      const clock = system.scheduler.clock;
      this.mailbox.recordTimes(() => clock.now());
    }
    this.trapping = options.trapExits ?? false;
  }

  /** The registered name, else the pid. */
  get display(): string {
    return this.name ?? this.label;
  }

  get scheduler(): Scheduler {
    return this.system.scheduler;
  }

  /**
   * Takes the oldest message `match` accepts (any message if no match), waiting up to `timeoutMs`; throws
   * TIMEOUT when none came. Messages it skips stay in the mailbox, in order, for later receives.
   */
  async receive<T = unknown>(match?: Matcher | null, timeoutMs = Infinity): Promise<T> {
    const m = await this.receiveOr(match ?? null, timeoutMs);
    if (m === NO_MESSAGE) {
      throw new RacelabError('TIMEOUT', `receive in ${this.display} timed out after ${timeoutMs}ms: no matching message arrived`);
    }
    return m as T;
  }

  /** Like `receive`, but resolves `undefined` on timeout (default 0: only what is already there). */
  async tryReceive<T = unknown>(match?: Matcher | null, timeoutMs = 0): Promise<T | undefined> {
    const m = await this.receiveOr(match ?? null, timeoutMs);
    return m === NO_MESSAGE ? undefined : (m as T);
  }

  /** Sends `message` (never blocks unless the target's mailbox is full with the `block` policy). */
  send(to: Dest, message: unknown): void | Promise<void> {
    this.checkExit();
    return this.system.sendFrom(this, to, message);
  }

  /** A GenServer call from this process: the reply wait ends early if this process is told to exit. */
  call<R = unknown>(to: Dest, request: unknown, timeoutMs?: number): Promise<R> {
    return this.system.callFrom<R>(this, to, request, timeoutMs);
  }

  cast(to: Dest, request: unknown): void | Promise<void> {
    this.checkExit();
    return this.system.sendFrom(this, to, new CastEnvelope(request));
  }

  /** Sends `message` to `to` after `ms` on the scheduler's clock. */
  sendAfter(to: Dest, message: unknown, ms: number): { cancel(): void } {
    return this.system.sendAfter(to, message, ms);
  }

  /** Waits `ms` on the scheduler's clock; an exit signal ends the wait early. */
  async sleep(ms: number): Promise<void> {
    await this.receiveOr(NEVER, ms);
  }

  spawn(body: ProcessBody, options: SpawnOptions = {}): Pid {
    this.checkExit();
    return this.system.spawn(body, options);
  }

  spawnLink(body: ProcessBody, options: SpawnOptions = {}): Pid {
    this.checkExit();
    return this.system.spawn(body, { ...options, link: this.pid });
  }

  /** Links both ways: when one exits abnormally the other dies too, unless it traps exits. */
  link(pid: Pid): void {
    this.checkExit();
    const other = this.system.own(pid, 'link');
    if (other === this) return;
    if (!other.alive) {
      this.system.deliverExitSignal(other.pid, this, 'noproc');
      this.checkExit();
      return;
    }
    (this.links ??= new Set()).add(other);
    (other.links ??= new Set()).add(this);
  }

  unlink(pid: Pid): void {
    const other = this.system.own(pid, 'unlink');
    this.links?.delete(other);
    other.links?.delete(this);
  }

  /** Watches `pid`: a DownMessage with the returned ref arrives when it exits (at once, `noproc`, if it has). */
  monitor(pid: Pid): number {
    this.checkExit();
    const target = this.system.own(pid, 'monitor');
    const ref = this.system.nextRef();
    if (!target.alive) {
      this.system.deliverSignal(this, new DownMessage(ref, pid, 'noproc'));
      return ref;
    }
    (target.watchers ??= new Map()).set(ref, this);
    (this.monitoring ??= new Map()).set(ref, target);
    return ref;
  }

  demonitor(ref: number): void {
    const target = this.monitoring?.get(ref);
    if (!target) return;
    this.monitoring?.delete(ref);
    target.watchers?.delete(ref);
  }

  /** Turns exit signals from links into ExitMessages in the mailbox (a supervisor does this). */
  trapExits(on = true): void {
    this.trapping = on;
  }

  /** Ends this process with `reason`. */
  exit(reason: ExitReason = 'normal'): never {
    throw new ProcessExit(reason, this.display);
  }

  /** Sends an exit signal to another process (Erlang's exit/2); `kill` cannot be trapped. */
  sendExit(to: Dest, reason: ExitReason): void | Promise<void> {
    this.checkExit();
    return this.system.exitSignal(this.pid, this.system.lookup(to, 'exit'), reason);
  }

  /** @internal unwinds the body if an exit signal arrived. */
  checkExit(): void {
    if (this.pendingExit !== undefined) throw new ProcessExit(this.pendingExit, this.display);
  }

  /** @internal receive timer fired. */
  onTimer(): void {
    this.timedOut = true;
    this.wake();
  }

  /** @internal a message arrived while this process waits in receive. */
  wakeForMessage(message: unknown): void {
    const match = this.matcher;
    if (match !== null) {
      try {
        if (!match(message)) return;
      } catch {
        // let the receiver run its matcher and meet the error itself
      }
    }
    this.wake();
  }

  /** @internal the next message without waiting; only when the scheduler is the real one (no point to take). */
  takeNow(): unknown {
    this.waitingFor = WAIT_NONE;
    if (this.mailbox.size === 0) return NO_MESSAGE;
    this.system.stats.messagesDelivered++;
    return this.mailbox.shift();
  }

  /**
   * @internal
   * @internal the real scheduler's idle wait of a server loop: resolves when a message arrives or an exit signal
   * does; the caller then takes it with `takeNow` (after `checkExit`). One promise, no async frame of its own.
   */
  idleFast(): Promise<void> {
    this.waitingFor = WAIT_MESSAGE;
    this.matcher = null;
    return this.wait(realScheduler, '');
  }

  /** @internal receive: the message, or NO_MESSAGE on timeout. */
  async receiveOr(match: Matcher | null, timeoutMs: number): Promise<unknown> {
    this.checkExit();
    if (this.receiving) {
      throw new RacelabError('ACTOR_MISUSE', `${this.display}: a second receive while one is waiting; a process takes one message at a time (await each receive)`);
    }
    const system = this.system;
    const box = this.mailbox;
    let timer: TimerHandle | null = null;
    this.timedOut = false;
    this.receiving = true;
    try {
      for (;;) {
        let i = match === null ? (box.size > 0 ? 0 : -1) : box.findIndex(match);
        if (i >= 0 && !system.fast) {
          // The delivery is the scheduling point: the explorer decides when this process takes its next message.
          const p = system.scheduler.point({ kind: 'deliver', object: this.label, label: `deliver ${describeMessage(box.at(i))} to ${this.display}` });
          if (p !== undefined) {
            await p;
            this.checkExit();
            // `drop-oldest` may have evicted messages meanwhile; nothing else can remove any.
            i = match === null ? (box.size > 0 ? 0 : -1) : box.findIndex(match);
          }
        }
        if (i >= 0) {
          system.stats.messagesDelivered++;
          return box.removeAt(i);
        }
        if (this.timedOut || timeoutMs <= 0) return NO_MESSAGE;
        if (timer === null && timeoutMs !== Infinity) timer = startTimer(system.scheduler, timeoutMs, this, `receive timeout in ${this.display}`);
        this.waitingFor = WAIT_MESSAGE;
        this.matcher = match;
        // Resumed, it touches only its own state (waitingFor, its mailbox, its exit signal) before the delivery's
        // point or the return of a timed-out receive: a wake on its own label, which sends to it conflict with.
        await this.wait(system.scheduler, system.fast ? '' : `receive in ${this.display}`, this.label);
        this.waitingFor = WAIT_NONE;
        this.matcher = null;
        this.checkExit();
      }
    } finally {
      if (timer !== null) cancelTimer(timer);
      this.waitingFor = WAIT_NONE;
      this.matcher = null;
      this.receiving = false;
    }
  }

  override toString(): string {
    return this.display;
  }
}
