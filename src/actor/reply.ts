import { RacelabError } from '../core/errors.js';
import { realScheduler, type Scheduler } from '../sched/scheduler.js';
import { summarizeMessage } from './summary.js';
import { cancelTimer, type TimerHandle, type TimerTarget } from './timer.js';
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
export class ReplySlot<R = unknown> extends Waiter implements TimerTarget {
  private state = PENDING;
  private value: R | undefined;
  private error: Error | undefined;
  timer: TimerHandle | null = null;

  /** The reply was a timeout. */
  timedOut = false;

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

  onTimer(): void {
    this.timer = null;
    if (this.state === PENDING) this.timedOut = true;
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
    if (this.timer !== null) {
      cancelTimer(this.timer);
      this.timer = null;
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
