import { RacelabError } from '../core/errors.js';

/**
 * What a bounded mailbox does with a message that arrives when it is full. Unbounded mailboxes are how a
 * message flood becomes a denial of service (memory and latency grow without limit); a bound makes the
 * overload explicit:
 * - `reject`: the send throws MAILBOX_FULL, so the sender learns at once;
 * - `drop-newest`: the new message is discarded and counted (a call gets MAILBOX_FULL);
 * - `drop-oldest`: the oldest waiting message is discarded and counted to make room;
 * - `block`: the sender waits until there is room (backpressure), in the order senders arrived.
 */
export type OverflowPolicy = 'reject' | 'drop-newest' | 'drop-oldest' | 'block';

export const overflowPolicies: readonly OverflowPolicy[] = ['reject', 'drop-newest', 'drop-oldest', 'block'];

export interface MailboxOptions {
  /** Most messages waiting at once; default unbounded. */
  readonly capacity?: number;
  /** Default `reject`. */
  readonly overflow?: OverflowPolicy;
}

/** A send waiting for room in a `block` mailbox. */
export interface BlockedSend {
  readonly message: unknown;
  /** Who sent it (null: code outside any process), for a timeline's record of who sent what. */
  readonly sender: Sender | null;
  readonly wake: () => void;
  accepted: boolean;
}

/** What a mailbox records of a sender while a timeline records the system: its name. */
export interface Sender {
  readonly display: string;
}

/**
 * A FIFO queue with removal from the middle (selective receive). Messages are kept in an array read from
 * `head`, so taking the first message is O(1) and the array is compacted only now and then.
 */
export class Mailbox {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  /** Most messages that were waiting at one time. */
  highWater = 0;
  /** Messages discarded by `drop-newest` / `drop-oldest`. */
  dropped = 0;
  /** Sends refused by `reject`. */
  rejected = 0;
  private items: unknown[] = [];
  private head = 0;
  /** When each waiting message entered (parallel to `items`), kept only while a timeline records the system. */
  private stamps: number[] | null = null;
  private stampClock: (() => number) | null = null;
  /** Who sent each waiting message (parallel to `stamps`, kept with them): a process's name, or undefined from outside. */
  private senders: (string | undefined)[] | null = null;
  /** When the message the last `shift` / `removeAt` took entered the mailbox (only while recording times). */
  lastTakenAt: number | undefined;
  /** Who sent the message the last `shift` / `removeAt` took (only while recording times; undefined: from outside). */
  lastTakenFrom: string | undefined;
  private blockedSends: BlockedSend[] | null = null;

  constructor(options: MailboxOptions = {}) {
    const capacity = options.capacity ?? Infinity;
    if (capacity !== Infinity && (!Number.isInteger(capacity) || capacity < 1)) {
      throw new RacelabError('ACTOR_MISUSE', `mailbox capacity: ${capacity} is not a whole number of at least 1; leave it out for an unbounded mailbox`);
    }
    const overflow = options.overflow ?? 'reject';
    if (!overflowPolicies.includes(overflow)) {
      throw new RacelabError('ACTOR_MISUSE', `mailbox overflow: "${String(overflow)}" is not a policy; use one of ${overflowPolicies.join(', ')}`);
    }
    this.capacity = capacity;
    this.overflow = overflow;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get full(): boolean {
    return this.items.length - this.head >= this.capacity;
  }

  /** Sends waiting for room (`block` policy). */
  get blocked(): number {
    return this.blockedSends?.length ?? 0;
  }

  /** @internal keep, per waiting message, when it entered (for a MessageTimeline). */
  recordTimes(now: () => number): void {
    if (this.stamps !== null) return;
    this.stampClock = now;
    this.stamps = new Array<number>(this.items.length).fill(now());
    this.senders = new Array<string | undefined>(this.items.length).fill(undefined);
  }

  /** Adds a message; `sender` is read only while times are recorded. */
  push(message: unknown, sender: Sender | null = null): void {
    this.items.push(message);
    if (this.stamps !== null) {
      this.stamps.push((this.stampClock as () => number)());
      (this.senders as (string | undefined)[]).push(sender?.display);
    }
    const size = this.items.length - this.head;
    if (size > this.highWater) this.highWater = size;
  }

  /** The i-th waiting message (0 = oldest). */
  at(i: number): unknown {
    return this.items[this.head + i];
  }

  /** Index of the oldest message `match` accepts, or -1. */
  findIndex(match: (message: unknown) => boolean): number {
    const { items } = this;
    for (let i = this.head; i < items.length; i++) if (match(items[i])) return i - this.head;
    return -1;
  }

  shift(): unknown {
    const m = this.items[this.head];
    this.items[this.head] = undefined;
    const stamps = this.stamps;
    const senders = this.senders;
    if (stamps !== null) {
      this.lastTakenAt = stamps[this.head];
      this.lastTakenFrom = (senders as (string | undefined)[])[this.head];
    }
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      if (stamps !== null) {
        stamps.length = 0;
        (senders as (string | undefined)[]).length = 0;
      }
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      if (stamps !== null) {
        this.stamps = stamps.slice(this.head);
        this.senders = (senders as (string | undefined)[]).slice(this.head);
      }
      this.head = 0;
    }
    this.admitBlocked();
    return m;
  }

  removeAt(i: number): unknown {
    if (i === 0) return this.shift();
    const [m] = this.items.splice(this.head + i, 1);
    if (this.stamps !== null) {
      this.lastTakenAt = this.stamps.splice(this.head + i, 1)[0];
      this.lastTakenFrom = (this.senders as (string | undefined)[]).splice(this.head + i, 1)[0];
    }
    this.admitBlocked();
    return m;
  }

  /** Queues a send until there is room; it is admitted in arrival order as messages are taken. */
  block(entry: BlockedSend): void {
    (this.blockedSends ??= []).push(entry);
  }

  /** When each waiting message entered, oldest first (only while recording times: else null). Read before `drain`. */
  waitingStamps(): number[] | null {
    return this.stamps === null ? null : this.stamps.slice(this.head);
  }

  /** Who sent each waiting message, oldest first (only while recording times: else null). Read before `drain`. */
  waitingSenders(): (string | undefined)[] | null {
    return this.senders === null ? null : this.senders.slice(this.head);
  }

  /** Empties the mailbox (its process exited): returns what was waiting, and releases blocked senders. */
  drain(): unknown[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    if (this.stamps !== null) {
      this.stamps = [];
      this.senders = [];
    }
    this.head = 0;
    const blocked = this.blockedSends ?? [];
    this.blockedSends = null;
    for (const b of blocked) {
      rest.push(b.message);
      b.accepted = true;
      b.wake();
    }
    return rest;
  }

  private admitBlocked(): void {
    const blocked = this.blockedSends;
    if (blocked === null || blocked.length === 0) return;
    while (blocked.length > 0 && this.items.length - this.head < this.capacity) {
      const b = blocked.shift() as BlockedSend;
      this.push(b.message, b.sender);
      b.accepted = true;
      b.wake();
    }
  }
}
