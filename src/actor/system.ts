import { RacelabError } from '../core/errors.js';
import { tracer } from '../core/trace.js';
import { currentScheduler, realScheduler, type Scheduler } from '../sched/scheduler.js';
import { Mailbox, type BlockedSend, type MailboxOptions } from './mailbox.js';
import { formatReason, isCrash, ProcessExit, ProcessExitedError, type ExitReason } from './reason.js';
import { CallEnvelope, CastEnvelope, ReplySlot } from './reply.js';
import { summarizeMessage } from './summary.js';
import { cancelTimer, startTimer, type TimerHandle, type TimerTarget } from './timer.js';
import { Waiter } from './waiter.js';

const trace = tracer('actor');

/** A process identifier. Holding one lets you send to the process; it stays valid (and dead) after it exits. */
export class Pid {
  /** @internal the process behind the id; use the ActorSystem's functions, not this. */
  readonly process: Process;

  /** Only the ActorSystem makes pids. */
  constructor(
    readonly id: number,
    process: Process,
  ) {
    this.process = process;
  }

  toString(): string {
    return `<0.${this.id}.0>`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Where a message goes: a pid, or a name registered with `register` / the `name` spawn option. */
export type Dest = Pid | string;

/** A selective-receive pattern: the oldest message it accepts is taken; the others stay, in order. */
export type Matcher = (message: unknown) => boolean;

/**
 * What a process that traps exits receives when a linked process exits (`from` is null when the signal came
 * from outside any process, e.g. `system.sendExit`).
 */
export class ExitMessage {
  readonly type = 'EXIT';
  constructor(
    readonly from: Pid | null,
    readonly reason: ExitReason,
  ) {}

  toString(): string {
    return `{EXIT, ${String(this.from ?? 'external')}, ${formatReason(this.reason)}}`;
  }
}

/** What a monitoring process receives when the monitored process exits (or was already gone: `noproc`). */
export class DownMessage {
  readonly type = 'DOWN';
  constructor(
    readonly ref: number,
    readonly pid: Pid,
    readonly reason: ExitReason,
  ) {}

  toString(): string {
    return `{DOWN, ${this.ref}, ${String(this.pid)}, ${formatReason(this.reason)}}`;
  }
}

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

export interface ActorStats {
  processesSpawned: number;
  processesExited: number;
  /** Processes whose own body or handler threw (not those that died of a linked crash). */
  crashes: number;
  /** Processes still running when shutdown gave up waiting for them (a body awaiting something that never ends). */
  stuckAtShutdown: number;
  /** Every message offered to a mailbox or reply slot: sends, casts, calls, replies, exit and down signals. */
  messagesSent: number;
  /** Messages taken out of a mailbox by a receive, and replies taken by their caller. */
  messagesDelivered: number;
  calls: number;
  callTimeouts: number;
  /** Replies that came after their caller stopped waiting (timed out). */
  lateReplies: number;
  /** Messages a GenServer without handleInfo received and dropped (Elixir logs these). */
  unexpectedMessages: number;
  /** Sends to a process that had already exited (silently dropped, as in Erlang). */
  deadLetters: number;
  /** Messages still waiting in a mailbox when its process exited: lost with it. */
  lostAtExit: number;
  overflowRejected: number;
  overflowDropped: number;
}

export interface ActorSystemOptions {
  /** The scheduler all concurrency goes through; default the ambient one (`currentScheduler()`). */
  readonly scheduler?: Scheduler;
  /** Default timeout of `call`, ms (Elixir's is 5000). */
  readonly callTimeoutMs?: number;
}

const WAIT_NONE = 0;
const WAIT_MESSAGE = 1;
const WAIT_REPLY = 2;
const WAIT_ROOM = 3;

const NO_MESSAGE: unique symbol = Symbol('no message');
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
        await this.wait(system.scheduler, system.fast ? '' : `receive in ${this.display}`);
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

class DelayedSend implements TimerTarget {
  handle: TimerHandle | null = null;
  constructor(
    private readonly system: ActorSystem,
    private readonly to: Dest,
    private readonly message: unknown,
  ) {}

  onTimer(): void | Promise<void> {
    this.handle = null;
    this.system.forgetDelayed(this);
    try {
      return this.system.sendFrom(null, this.to, this.message);
    } catch (e) {
      trace(`delayed send to ${String(this.to)} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  cancel(): void {
    cancelTimer(this.handle);
    this.handle = null;
    this.system.forgetDelayed(this);
  }
}

/**
 * The actor runtime: processes with mailboxes, send / selective receive, names, links, monitors, exits with
 * reasons, calls with timeouts. ALL its concurrency goes through one Scheduler: each process body is started
 * with `scheduler.spawn`, each delivery (a receive taking a message, a caller taking its reply) is preceded by a
 * `deliver` scheduling point on the receiving process, each send by a `send` point, every wait goes through
 * `scheduler.waitFor`, and every timer runs on `scheduler.clock`. Under the real scheduler the points are skipped
 * (they would do nothing) and nothing is allocated per message beyond the message's own envelope.
 *
 * Messages from one sender to one receiver arrive in the order sent: a send appends to the receiver's mailbox
 * before the sender can do anything else, and a blocked send (full `block` mailbox) keeps its place in line.
 */
export class ActorSystem {
  readonly scheduler: Scheduler;
  /** @internal the real scheduler: scheduling points are no-ops and are skipped. */
  readonly fast: boolean;
  readonly callTimeoutMs: number;
  readonly stats: ActorStats = {
    processesSpawned: 0,
    processesExited: 0,
    crashes: 0,
    stuckAtShutdown: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    calls: 0,
    callTimeouts: 0,
    lateReplies: 0,
    unexpectedMessages: 0,
    deadLetters: 0,
    lostAtExit: 0,
    overflowRejected: 0,
    overflowDropped: 0,
  };
  private nextId = 1;
  private refs = 0;
  private externalCalls = 0;
  private readonly live = new Map<number, Process>();
  private readonly names = new Map<string, Process>();
  private readonly delayed = new Set<DelayedSend>();
  private stopping: Promise<void> | null = null;

  constructor(options: ActorSystemOptions = {}) {
    this.scheduler = options.scheduler ?? currentScheduler();
    this.fast = this.scheduler === realScheduler;
    const t = options.callTimeoutMs ?? 5000;
    if (!(t > 0)) throw new RacelabError('ACTOR_MISUSE', `callTimeoutMs: ${t} must be a positive number of milliseconds (or Infinity)`);
    this.callTimeoutMs = t;
  }

  /** Starts a process running `body`; returns its pid at once (the body runs as a task of the scheduler). */
  spawn(body: ProcessBody, options: SpawnOptions = {}): Pid {
    if (this.stopping) throw new RacelabError('SYSTEM_STOPPED', 'spawn: this actor system has been shut down; create a new ActorSystem');
    const proc = new Process(this, this.nextId++, options);
    if (options.name !== undefined) this.registerProcess(options.name, proc);
    this.live.set(proc.pid.id, proc);
    this.stats.processesSpawned++;
    if (options.link) proc.link(options.link);
    if (trace.enabled) trace(`spawn ${proc.display}`);
    proc.done = this.scheduler.spawn(proc.display, () => this.run(proc, body));
    return proc.pid;
  }

  /** Sends `message` from outside any process. */
  send(to: Dest, message: unknown): void | Promise<void> {
    return this.sendFrom(null, to, message);
  }

  /**
   * A GenServer call from outside any process: sends `request`, waits for the reply up to `timeoutMs`.
   * NO_PROCESS if the process is unknown or dead, PROCESS_EXITED if it exits before replying, TIMEOUT.
   */
  call<R = unknown>(to: Dest, request: unknown, timeoutMs?: number): Promise<R> {
    return this.callFrom<R>(null, to, request, timeoutMs);
  }

  cast(to: Dest, request: unknown): void | Promise<void> {
    return this.sendFrom(null, to, new CastEnvelope(request));
  }

  /** Replies to a call whose `from` a handler kept (a deferred reply). */
  reply(from: ReplySlot, value: unknown): void | Promise<void> {
    this.stats.messagesSent++;
    if (this.fast) {
      if (!from.settle(value)) this.stats.lateReplies++;
      return;
    }
    const p = this.scheduler.point({ kind: 'send', object: from.callerObject, label: `reply ${summarizeMessage(value)} to ${from.callerObject}` });
    if (p === undefined) {
      if (!from.settle(value)) this.stats.lateReplies++;
      return;
    }
    return p.then(() => {
      if (!from.settle(value)) this.stats.lateReplies++;
    });
  }

  /** Sends `message` after `ms` on the scheduler's clock; `cancel()` stops it. */
  sendAfter(to: Dest, message: unknown, ms: number): { cancel(): void } {
    const d = new DelayedSend(this, to, message);
    this.delayed.add(d);
    d.handle = startTimer(this.scheduler, ms, d, `send after ${ms}ms`);
    return d;
  }

  register(name: string, pid: Pid): void {
    const proc = this.own(pid, 'register');
    if (!proc.alive) throw new RacelabError('NO_PROCESS', `register "${name}": ${proc.label} has exited (${formatReason(proc.exitReason ?? 'normal')}); register a live process`);
    this.registerProcess(name, proc);
  }

  unregister(name: string): void {
    const proc = this.names.get(name);
    if (!proc) return;
    this.names.delete(name);
    proc.name = undefined;
  }

  whereis(name: string): Pid | undefined {
    return this.names.get(name)?.pid;
  }

  isAlive(pid: Pid): boolean {
    return pid.process.alive;
  }

  /** Why the process exited, or undefined while it runs. */
  exitReasonOf(pid: Pid): ExitReason | undefined {
    return pid.process.exitReason;
  }

  /** Live processes. */
  processes(): Pid[] {
    return [...this.live.values()].map((p) => p.pid);
  }

  /** Sends an exit signal from outside any process (`kill` cannot be trapped). */
  sendExit(to: Dest, reason: ExitReason): void | Promise<void> {
    return this.exitSignal(null, this.lookup(to, 'exit'), reason);
  }

  /** Waits until the process has exited; returns its reason. */
  async join(pid: Pid): Promise<ExitReason> {
    const proc = this.own(pid, 'join');
    if (proc.alive) {
      const w = new Waiter();
      (proc.exitWaiters ??= []).push(w);
      while (proc.alive) await w.wait(this.scheduler, this.fast ? '' : `join ${proc.display}`);
    }
    return proc.exitReason ?? 'normal';
  }

  /**
   * Stops every process (exit reason `shutdown`, which no trap can hold back), cancels pending timers, and
   * resolves when every process task has finished. A body that awaits something outside the runtime (a promise
   * that never settles) cannot be interrupted in JavaScript: shutdown waits for such a process up to `graceMs`
   * (scheduler clock), then gives up on it and counts it in `stats.stuckAtShutdown`.
   */
  shutdown(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping ??= this.stopAll(options.graceMs ?? 5000);
    return this.stopping;
  }

  // ---- internals shared with Process, GenServer and Supervisor ----

  /** @internal */
  nextRef(): number {
    return ++this.refs;
  }

  /** @internal */
  forgetDelayed(d: DelayedSend): void {
    this.delayed.delete(d);
  }

  /** @internal a pid of this system, as its process. */
  own(pid: Pid, verb: string): Process {
    if (!(pid instanceof Pid)) throw new RacelabError('ACTOR_MISUSE', `${verb}: ${String(pid)} is not a pid`);
    if (pid.process.system !== this) throw new RacelabError('ACTOR_MISUSE', `${verb}: ${pid.toString()} belongs to another actor system`);
    return pid.process;
  }

  /** @internal resolves a pid or name; an unknown name is NO_PROCESS (Erlang: badarg). */
  lookup(to: Dest, verb: string): Process {
    if (typeof to === 'string') {
      const p = this.names.get(to);
      if (p === undefined) {
        throw new RacelabError('NO_PROCESS', `${verb} to "${to}": no process is registered under that name (it never started, or it exited); check the name or start it first`);
      }
      return p;
    }
    return this.own(to, verb);
  }

  /** @internal send from `sender` (null = outside any process). */
  sendFrom(sender: Process | null, to: Dest, message: unknown): void | Promise<void> {
    return this.sendTo(sender, typeof to === 'string' || to.process.system !== this ? this.lookup(to, 'send') : to.process, message);
  }

  /** @internal a send as a scheduling point on the receiver, then the enqueue. */
  sendTo(sender: Process | null, target: Process, message: unknown): void | Promise<void> {
    if (this.fast) return this.enqueue(sender, target, message);
    const p = this.scheduler.point({ kind: 'send', object: target.label, label: `send ${describeMessage(message)} to ${target.display}` });
    if (p === undefined) return this.enqueue(sender, target, message);
    return p.then(() => this.enqueue(sender, target, message));
  }

  /** @internal */
  callFrom<R>(caller: Process | null, to: Dest, request: unknown, timeoutMs = this.callTimeoutMs): Promise<R> {
    return this.fast && caller === null ? this.callDirect<R>(to, request, timeoutMs) : this.callWaiting<R>(caller, to, request, timeoutMs);
  }

  /**
   * A call from outside any process under the real scheduler: no scheduling points to take, so the reply slot
   * settles the caller's promise itself (one promise, one hop: this is the hot path of the benchmark).
   */
  private callDirect<R>(to: Dest, request: unknown, timeoutMs: number): Promise<R> {
    let slot: ReplySlot<R>;
    let sent: void | Promise<void>;
    let result: Promise<R>;
    try {
      const target = typeof to === 'string' || to.process.system !== this ? this.lookup(to, 'call') : to.process;
      if (!target.alive) throw this.noProcessError(target, request);
      this.stats.calls++;
      slot = new ReplySlot<R>(null, 'external', target.display, request, timeoutMs);
      slot.stats = this.stats;
      result = slot.promise();
      sent = this.enqueue(null, target, new CallEnvelope(request, slot as ReplySlot));
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (sent === undefined) {
      slot.startTimeout(this.scheduler, '');
      return result;
    }
    return sent.then(() => {
      slot.startTimeout(this.scheduler, '');
      return result;
    });
  }

  private async callWaiting<R>(caller: Process | null, to: Dest, request: unknown, timeoutMs: number): Promise<R> {
    if (caller !== null) caller.checkExit();
    const target = this.lookup(to, 'call');
    if (!target.alive) throw this.noProcessError(target, request);
    this.stats.calls++;
    const callerObject = caller !== null ? caller.label : this.fast ? 'external' : `external#${++this.externalCalls}`;
    const slot = new ReplySlot<R>(caller, callerObject, target.display, request, timeoutMs);
    const sent = this.sendTo(caller, target, new CallEnvelope(request, slot as ReplySlot));
    if (sent !== undefined) await sent;
    slot.startTimeout(this.scheduler, this.fast ? '' : `call timeout ${target.display}`);
    try {
      if (caller === null) {
        while (slot.pending) await slot.wait(this.scheduler, this.fast ? '' : `call ${describeMessage(request)} to ${target.display}`);
      } else {
        while (slot.pending) {
          caller.waitingFor = WAIT_REPLY;
          await caller.wait(this.scheduler, this.fast ? '' : `${caller.display} calls ${summarizeMessage(request)} on ${target.display}`);
          caller.waitingFor = WAIT_NONE;
          caller.checkExit();
        }
      }
    } finally {
      if (caller !== null) caller.waitingFor = WAIT_NONE;
      if (slot.pending) slot.fail(new RacelabError('PROCESS_EXITED', `call to ${target.display} abandoned: the caller is exiting`));
    }
    if (!this.fast) {
      const p = this.scheduler.point({ kind: 'deliver', object: callerObject, label: `deliver reply to ${caller?.display ?? callerObject} from ${target.display}` });
      if (p !== undefined) await p;
    }
    if (slot.timedOut) this.stats.callTimeouts++;
    else this.stats.messagesDelivered++;
    return slot.outcome();
  }

  /** @internal the NO_PROCESS error for a call to a dead process. */
  noProcessError(target: Process, request: unknown): RacelabError {
    return new RacelabError(
      'NO_PROCESS',
      `call ${describeMessage(request)} to ${target.display}: no such process; it exited (${formatReason(target.exitReason ?? 'normal')})${target.name === undefined ? '' : `; if it is supervised, call it by name once it has restarted`}`,
    );
  }

  /** @internal the PROCESS_EXITED error for a call its server never answered. */
  exitedError(target: Process, request: unknown, whileHandling: boolean, reason: ExitReason): ProcessExitedError {
    return new ProcessExitedError(
      `call ${describeMessage(request)} to ${target.display}: the process exited (${formatReason(reason)}) ${whileHandling ? 'while handling it' : 'before handling it'}`,
      whileHandling,
      reason,
    );
  }

  /** @internal puts a message in the target's mailbox, applying its overflow policy. */
  enqueue(sender: Process | null, target: Process, message: unknown): void | Promise<void> {
    this.stats.messagesSent++;
    if (!target.alive) {
      this.stats.deadLetters++;
      if (message instanceof CallEnvelope) message.from.fail(this.noProcessError(target, message.request));
      return;
    }
    const box = target.mailbox;
    if (box.capacity !== Infinity && (box.full || box.blocked > 0)) return this.overflow(sender, target, message);
    box.push(message);
    if (target.waitingFor === WAIT_MESSAGE) target.wakeForMessage(message);
  }

  private fullError(target: Process, message: unknown): RacelabError {
    const box = target.mailbox;
    return new RacelabError(
      'MAILBOX_FULL',
      `${describeMessage(message)} to ${target.display}: mailbox full (${box.size} waiting, capacity ${box.capacity}, overflow ${box.overflow}); slow the senders down or raise the capacity`,
    );
  }

  private overflow(sender: Process | null, target: Process, message: unknown): void | Promise<void> {
    const box = target.mailbox;
    switch (box.overflow) {
      case 'reject':
        box.rejected++;
        this.stats.overflowRejected++;
        throw this.fullError(target, message);
      case 'drop-newest':
        box.dropped++;
        this.stats.overflowDropped++;
        if (message instanceof CallEnvelope) message.from.fail(this.fullError(target, message));
        return;
      case 'drop-oldest': {
        const old = box.shift();
        box.dropped++;
        this.stats.overflowDropped++;
        if (old instanceof CallEnvelope) old.from.fail(this.fullError(target, old));
        box.push(message);
        if (target.waitingFor === WAIT_MESSAGE) target.wakeForMessage(message);
        return;
      }
      case 'block':
        // A process waiting for room in its own mailbox would wait forever.
        if (sender === target) throw this.fullError(target, message);
        return this.blockedSend(sender, target, message);
    }
  }

  private async blockedSend(sender: Process | null, target: Process, message: unknown): Promise<void> {
    const waiter = sender ?? new Waiter();
    const entry: BlockedSend = { message, wake: () => waiter.wake(), accepted: false };
    target.mailbox.block(entry);
    const label = this.fast ? '' : `${sender?.display ?? 'external'} waits for room in ${target.display}`;
    try {
      while (!entry.accepted) {
        if (sender !== null) sender.waitingFor = WAIT_ROOM;
        await waiter.wait(this.scheduler, label);
        if (sender !== null) {
          sender.waitingFor = WAIT_NONE;
          // The message keeps its place in line; only the sender stops waiting.
          sender.checkExit();
        }
      }
    } finally {
      if (sender !== null) sender.waitingFor = WAIT_NONE;
    }
  }

  /** @internal a runtime signal (EXIT, DOWN): bypasses the mailbox bound, as Erlang's signals do. */
  deliverSignal(target: Process, message: unknown): void {
    this.stats.messagesSent++;
    if (!target.alive) {
      this.stats.deadLetters++;
      return;
    }
    target.mailbox.push(message);
    if (target.waitingFor === WAIT_MESSAGE) target.wakeForMessage(message);
  }

  /** @internal how an exit signal lands: killed, ignored (normal, not trapping), or an ExitMessage. */
  deliverExitSignal(from: Pid | null, target: Process, reason: ExitReason): void {
    if (!target.alive) return;
    if (reason === 'kill') this.kill(target, 'killed');
    else if (target.trapping) this.deliverSignal(target, new ExitMessage(from, reason));
    else if (reason !== 'normal') this.kill(target, reason);
  }

  /** @internal an exit signal as a scheduling point (it is a send to `target`). */
  exitSignal(from: Pid | null, target: Process, reason: ExitReason): void | Promise<void> {
    if (this.fast) return this.deliverExitSignal(from, target, reason);
    const p = this.scheduler.point({ kind: 'send', object: target.label, label: `exit signal ${formatReason(reason)} to ${target.display}` });
    if (p === undefined) return this.deliverExitSignal(from, target, reason);
    return p.then(() => this.deliverExitSignal(from, target, reason));
  }

  /** @internal marks the process to exit with `reason` and wakes it wherever it waits. */
  kill(target: Process, reason: ExitReason): void {
    if (!target.alive || target.pendingExit !== undefined) return;
    target.pendingExit = reason;
    target.wake();
  }

  private registerProcess(name: string, proc: Process): void {
    if (typeof name !== 'string' || name === '') throw new RacelabError('ACTOR_MISUSE', `register: a name must be a non-empty string`);
    const holder = this.names.get(name);
    if (holder !== undefined && holder !== proc) {
      throw new RacelabError('NAME_TAKEN', `register "${name}": the name is taken by ${holder.label}; pick another name or stop that process first`);
    }
    if (proc.name !== undefined && proc.name !== name) {
      throw new RacelabError('NAME_TAKEN', `register "${name}": ${proc.label} is already registered as "${proc.name}"`);
    }
    this.names.set(name, proc);
    proc.name = name;
  }

  private async run(proc: Process, body: ProcessBody): Promise<void> {
    let reason: ExitReason = 'normal';
    try {
      proc.checkExit();
      await body(proc);
      if (proc.pendingExit !== undefined) reason = proc.pendingExit;
    } catch (e) {
      reason = proc.pendingExit ?? (e instanceof ProcessExit ? e.reason : { error: e });
    }
    // A crash is an error raised in this process, not one it died of through a link.
    if (isCrash(reason) && proc.pendingExit === undefined) this.stats.crashes++;
    try {
      await this.finish(proc, reason);
    } catch (e) {
      trace(`exit bookkeeping of ${proc.display} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async finish(proc: Process, reason: ExitReason): Promise<void> {
    proc.alive = false;
    proc.exitReason = reason;
    this.live.delete(proc.pid.id);
    if (proc.name !== undefined && this.names.get(proc.name) === proc) this.names.delete(proc.name);
    this.stats.processesExited++;
    if (trace.enabled) trace(`exit ${proc.display}: ${formatReason(reason)}`);
    for (const slot of proc.unanswered) if (slot.pending) slot.fail(this.exitedError(proc, slot.request, true, reason));
    proc.unanswered = [];
    // Calls still waiting in the mailbox will never be handled: their callers hear it now, not at a timeout.
    for (const m of proc.mailbox.drain()) {
      this.stats.lostAtExit++;
      if (m instanceof CallEnvelope) m.from.fail(this.exitedError(proc, m.request, false, reason));
    }
    if (proc.monitoring !== null) for (const [ref, target] of proc.monitoring) target.watchers?.delete(ref);
    if (proc.links !== null) {
      const links = [...proc.links];
      proc.links = null;
      for (const other of links) {
        other.links?.delete(proc);
        const p = this.exitSignal(proc.pid, other, reason);
        if (p !== undefined) await p;
      }
    }
    if (proc.watchers !== null) {
      const watchers = [...proc.watchers];
      proc.watchers = null;
      for (const [ref, watcher] of watchers) {
        watcher.monitoring?.delete(ref);
        if (!this.fast) {
          const p = this.scheduler.point({ kind: 'send', object: watcher.label, label: `DOWN ${proc.display} to ${watcher.display}` });
          if (p !== undefined) await p;
        }
        this.deliverSignal(watcher, new DownMessage(ref, proc.pid, reason));
      }
    }
    if (proc.exitWaiters !== null) for (const w of proc.exitWaiters) w.wake();
  }

  private async stopAll(graceMs: number): Promise<void> {
    for (const d of [...this.delayed]) d.cancel();
    const procs = [...this.live.values()];
    for (const p of procs) this.kill(p, 'shutdown');
    const grace = new ReplySlot<void>(null, 'shutdown', 'shutdown', 'shutdown', graceMs);
    void Promise.all(procs.map((p) => p.done)).then(() => grace.settle(undefined));
    grace.timer = startTimer(this.scheduler, graceMs, grace, 'shutdown grace');
    while (grace.pending) await grace.wait(this.scheduler, this.fast ? '' : 'actor system shutdown');
    this.stats.stuckAtShutdown = this.live.size;
    if (this.live.size > 0) trace(`shutdown gave up on ${[...this.live.values()].map((p) => p.display).join(', ')}`);
  }
}

export { NO_MESSAGE };
