import { RacelabError } from '../core/errors.js';
import { tracer } from '../core/trace.js';
import { currentScheduler, realScheduler, type Scheduler } from '../sched/scheduler.js';
import type { BlockedSend } from './mailbox.js';
import { formatReason, isCrash, isNormalExit, ProcessExit, ProcessExitedError, type ExitReason } from './reason.js';
import { CallEnvelope, CastEnvelope, ReplySlot } from './reply.js';
import { summarizeMessage } from './summary.js';
import { cancelTimer, startTimer, type TimerHandle, type TimerTarget } from './timer.js';
import { Waiter } from './waiter.js';
import type { MessageTimeline } from './timeline.js';
import { realClock } from '../core/clock.js';
import { DownMessage, ExitMessage, Pid, type Dest } from './pid.js';
import { describeMessage, Process, WAIT_MESSAGE, WAIT_NONE, WAIT_REPLY, WAIT_ROOM, type ProcessBody, type SpawnOptions } from './process.js';

const trace = tracer('actor');

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
  /** Record every message a GenServer handles (and the tasks a workload reports) on this timeline; default none. */
  readonly timeline?: MessageTimeline;
}

/**
 * One kind of send for `ActorSystem.atSendPoint`: the receiver the scheduling point is on, its label (built only
 * under a controlled scheduler), and the delivery. Module constants, so the real scheduler's path allocates nothing.
 */
interface SendStep<A, B, C> {
  object(a: A, b: B, c: C): string;
  label(a: A, b: B, c: C): string;
  deliver(system: ActorSystem, a: A, b: B, c: C): void | Promise<void>;
}

/** A message from `sender` (null: outside any process) into `target`'s mailbox. */
const SEND: SendStep<Process | null, Process, unknown> = {
  object: (_sender, target) => target.label,
  label: (_sender, target, message) => `send ${describeMessage(message)} to ${target.display}`,
  deliver: (system, sender, target, message) => system.enqueue(sender, target, message),
};

/** A reply into the caller's slot (a late one, after the caller gave up, is counted). */
const REPLY: SendStep<ReplySlot, unknown, null> = {
  object: (from) => from.callerObject,
  label: (from, value) => `reply ${summarizeMessage(value)} to ${from.callerObject}`,
  deliver: (system, from, value) => {
    if (!from.settle(value)) system.stats.lateReplies++;
  },
};

/** An exit signal from `from` (null: from outside any process) to `target`. */
const EXIT_SIGNAL: SendStep<Pid | null, Process, ExitReason> = {
  object: (_from, target) => target.label,
  label: (_from, target, reason) => `exit signal ${formatReason(reason)} to ${target.display}`,
  deliver: (system, from, target, reason) => system.deliverExitSignal(from, target, reason),
};

/** The DOWN an exited process's monitor gets. */
const DOWN: SendStep<Process, Process, DownMessage> = {
  object: (_exited, watcher) => watcher.label,
  label: (exited, watcher) => `DOWN ${exited.display} to ${watcher.display}`,
  deliver: (system, _exited, watcher, down) => system.deliverSignal(watcher, down),
};

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
  /** Where this system records its messages' times, or null (the default: nothing recorded). */
  readonly timeline: MessageTimeline | null;
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
    this.timeline = options.timeline ?? null;
    this.timeline?.attach(this.scheduler.clock, this.scheduler.clock !== realClock);
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
    return this.atSendPoint(REPLY, from, value, null);
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
    return this.atSendPoint(SEND, sender, target, message);
  }

  /**
   * @internal every send's path (a message, a reply, an exit signal, a DOWN): a `send` scheduling point on the
   * receiver, then `step.deliver`. Under the real scheduler the point is skipped and its label never built; when
   * the strategy lets the task go on at once (`point` answers undefined), the delivery runs synchronously too.
   */
  atSendPoint<A, B, C>(step: SendStep<A, B, C>, a: A, b: B, c: C): void | Promise<void> {
    if (this.fast) return step.deliver(this, a, b, c);
    const p = this.scheduler.point({ kind: 'send', object: step.object(a, b, c), label: step.label(a, b, c) });
    if (p === undefined) return step.deliver(this, a, b, c);
    return p.then(() => step.deliver(this, a, b, c));
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
        while (slot.pending) await slot.wait(this.scheduler, this.fast ? '' : `call ${describeMessage(request)} to ${target.display}`, callerObject);
      } else {
        while (slot.pending) {
          caller.waitingFor = WAIT_REPLY;
          await caller.wait(this.scheduler, this.fast ? '' : `${caller.display} calls ${summarizeMessage(request)} on ${target.display}`, callerObject);
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
    box.push(message, sender);
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
        box.push(message, sender);
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
    const entry: BlockedSend = { message, sender, wake: () => waiter.wake(), accepted: false };
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
    return this.atSendPoint(EXIT_SIGNAL, from, target, reason);
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
    // Calls still waiting in the mailbox will never be handled: their callers hear it now, not at a timeout. A
    // timeline draws what a crash took with it (a normal stop's leftovers are the run's end, not part of its story).
    const died = this.timeline !== null && !isNormalExit(reason) ? proc.mailbox.waitingStamps() : null;
    const senders = died !== null ? proc.mailbox.waitingSenders() : null;
    const drained = proc.mailbox.drain();
    for (let i = 0; i < drained.length; i++) {
      const m = drained[i];
      this.stats.lostAtExit++;
      if (m instanceof CallEnvelope) m.from.fail(this.exitedError(proc, m.request, false, reason));
      if (died !== null) this.timeline?.diedInMailbox(proc, m, died[i], reason, senders?.[i]);
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
        const p = this.atSendPoint(DOWN, proc, watcher, new DownMessage(ref, proc.pid, reason));
        if (p !== undefined) await p;
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
