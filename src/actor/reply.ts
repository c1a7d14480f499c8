import { RacelabError } from '../core/errors.js';
import { realScheduler, type Scheduler } from '../sched/scheduler.js';
import { summarizeMessage } from './summary.js';
import { realClock } from '../core/clock.js';
import { cancelTimer, deadlineQueue, startTimer, type DeadlineQueue, type DeadlineTarget, type TimerHandle } from './timer.js';
import { Waiter } from './waiter.js';

const PENDING = 0;
const REPLIED = 1;
const FAILED = 2;

/**
 * Where the reply to one call goes: GenServer's `from`. It plays the part of Erlang's reply reference: the reply
 * can reach only this caller, and a reply that comes after the caller gave up (a timeout) is discarded rather
 * than left as a stray message. The caller waits on `waiter` (its own process's signal, or the slot itself for a
 * caller that is not a process).
 */
export class ReplySlot<R = unknown> extends Waiter implements DeadlineTarget {
  private state = PENDING;
  private value: R | undefined;
  private error: Error | undefined;
  timer: TimerHandle | null = null;
  /** On the real clock the timeout lives in a shared DeadlineQueue instead of a timer of its own. */
  private queue: DeadlineQueue | null = null;
  deadline = 0;

  /** The reply was a timeout. */
  timedOut = false;
  /** Fast path (real scheduler, caller outside any process): the call's promise, settled directly. */
  private resolveFn: ((value: R) => void) | null = null;
  private rejectFn: ((error: Error) => void) | null = null;
  /** Fast path: the counters to update when the reply lands or the call times out. */
  stats: { messagesDelivered: number; callTimeouts: number } | null = null;

  constructor(
    /** The waiter to wake; null = this slot. */
    private readonly waiter: Waiter | null,
    /** The caller as a scheduling-point object: its pid, or a per-call id for a caller outside any process. */
    readonly callerObject: string,
    /** The callee (name or pid) and the request, for error messages. */
    readonly target: string,
    readonly request: unknown,
    readonly timeoutMs: number,
  ) {
    super();
  }

  /** @internal the process that made the call and waits for its reply (null: a caller outside any process). */
  get caller(): Waiter | null {
    return this.waiter;
  }

  get pending(): boolean {
    return this.state === PENDING;
  }

  /** `call get to counter`, built only for an error message. */
  get what(): string {
    return `call ${summarizeMessage(this.request)} to ${this.target}`;
  }

  /** Delivers the reply; false if the caller had already stopped waiting (a late reply). */
  settle(value: R): boolean {
    if (this.state !== PENDING) return false;
    this.state = REPLIED;
    this.value = value;
    this.done();
    return true;
  }

  fail(error: Error): boolean {
    if (this.state !== PENDING) return false;
    this.state = FAILED;
    this.error = error;
    this.done();
    return true;
  }

  /** The call's outcome as a promise settled by the slot itself: no wait loop, no extra hop (real scheduler only). */
  promise(): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
  }

  /** Starts the timeout (`timeoutMs`) on the scheduler's clock; a no-op for an infinite timeout. */
  startTimeout(scheduler: Scheduler, label: string): void {
    if (this.timeoutMs === Infinity || this.state !== PENDING) return;
    if (scheduler.clock === realClock) {
      this.queue = deadlineQueue(this.timeoutMs);
      this.queue.add(this);
    } else {
      this.timer = startTimer(scheduler, this.timeoutMs, this, label);
    }
  }

  onTimer(): void {
    this.timer = null;
    if (this.state === PENDING) {
      this.timedOut = true;
      if (this.stats !== null) this.stats.callTimeouts++;
    }
    this.fail(
      new RacelabError(
        'TIMEOUT',
        `${this.what} timed out after ${this.timeoutMs}ms with no reply (the process is busy, blocked or never replies); raise the timeout or look at the handler`,
      ),
    );
  }

  /** The reply, or the error; only once the slot is settled. */
  outcome(): R {
    if (this.state === FAILED) throw this.error as Error;
    return this.value as R;
  }

  /** Waits (as a caller outside any process) until settled, then returns the reply or throws. */
  async result(scheduler: Scheduler = realScheduler, label?: string): Promise<R> {
    while (this.state === PENDING) await this.wait(scheduler, label ?? (scheduler === realScheduler ? '' : `wait for ${this.what}`));
    return this.outcome();
  }

  private done(): void {
    if (this.queue !== null) {
      this.queue.release();
      this.queue = null;
    }
    if (this.timer !== null) {
      cancelTimer(this.timer);
      this.timer = null;
    }
    if (this.resolveFn !== null) {
      if (this.state === REPLIED) {
        if (this.stats !== null && !this.timedOut) this.stats.messagesDelivered++;
        this.resolveFn(this.value as R);
      } else (this.rejectFn as (e: Error) => void)(this.error as Error);
      this.resolveFn = this.rejectFn = null;
      return;
    }
    (this.waiter ?? this).wake();
  }
}

/** A GenServer call in a mailbox: the request and where to reply. */
export class CallEnvelope {
  constructor(
    readonly request: unknown,
    readonly from: ReplySlot,
  ) {}
}

/** A GenServer cast in a mailbox. Anything else in a GenServer's mailbox goes to `handleInfo`. */
export class CastEnvelope {
  constructor(readonly request: unknown) {}
}

/** The opaque `from` a `handleCall` receives, for a deferred `GenServer.reply(from, value)`. */
export type From = ReplySlot;
