import { RacelabError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { Pid } from './pid.js';
import { describeMessage, type Process } from './process.js';
import { formatReason, type ExitReason } from './reason.js';
import type { From } from './reply.js';

/**
 * One message (or task) of a run as a span on a lane: when it entered the mailbox, when its handler started and
 * ended, and the read and write of shared state the workload reported while it ran. Times are milliseconds of the
 * scheduler's clock (wall time under the real scheduler, virtual time under an explorer's).
 */
export interface TimelineMessage {
  /** Order of recording (the n-th message handled in the run). */
  readonly index: number;
  /** The actor that handled it: its registered name, else its pid. */
  readonly lane: string;
  /** `cast increment`, `call get`, or a task's label. */
  readonly what: string;
  /** When it entered the receiver's mailbox (a task: when it was started). */
  readonly enqueuedMs: number;
  /** The process that sent it, by name; absent when code outside every process sent it, or it is a runtime signal. */
  from?: string;
  readonly startMs: number;
  /** Unset when the run ended (or the handler crashed) before the handler returned. */
  endMs?: number;
  /**
   * `dropped`: a GenServer without handleInfo took it and dropped it (its effect is lost); `died`: it was still in
   * the mailbox when its actor exited abnormally (a crash), never handled (`startMs` and `endMs` are the exit).
   */
  outcome: 'handled' | 'dropped' | 'unfinished' | 'died';
  /** The first read of `key` and the write of it, as the workload reported them; `seq` orders events of the run. */
  read?: { readonly key: string; readonly atMs: number; readonly seq: number; readonly value?: number | string };
  write?: { readonly key: string; readonly atMs: number; readonly seq: number; readonly value?: number | string };
  /** An effect the workload reported this message applied (a charge of an idempotency key), with its key. */
  effect?: { readonly key: string; readonly atMs: number; readonly seq: number; readonly limit?: number };
  /**
   * `lost`: its write went over another's write it never read (a lost update) or it was dropped unhandled;
   * `overwritten`: another's write went over its update; `duplicated`: it applied an effect (of the same key) that
   * an earlier message had already applied. Set by `finish()`.
   */
  mark?: 'lost' | 'overwritten' | 'duplicated';
  /** For `lost` / `overwritten`: the index of the other message; for `duplicated`: of the first to apply the effect. */
  markedBy?: number;
  /** A line of its own on the page: why the workload marked it (`markLost`), or what became of it (`remark`). */
  note?: string;
}

export interface TimelineRecord {
  /** `real`: wall-clock ms; `virtual`: ms of a virtual clock an explorer advances. */
  readonly clock: 'real' | 'virtual';
  readonly cap: number;
  readonly messages: TimelineMessage[];
  /** Messages handled after the cap was reached, not recorded. */
  readonly notKept: number;
}

/**
 * Records, for an actor system created with it, every message a GenServer handles (and every task a workload
 * reports), cheaply: nothing is recorded unless a timeline was given to the system, and at most `cap` messages.
 */
export class MessageTimeline {
  readonly cap: number;
  private clock: Clock | null = null;
  private virtual = false;
  private seq = 0;
  private notKept = 0;
  private readonly messages: TimelineMessage[] = [];
  private readonly current = new Map<Process, TimelineMessage>();
  private readonly keysMarkedByWorkload = new Set<string>();

  constructor(options: { cap?: number } = {}) {
    const cap = options.cap ?? 500;
    if (!Number.isInteger(cap) || cap < 1) throw new RacelabError('ACTOR_MISUSE', `timeline cap: ${cap} must be a whole number of at least 1`);
    this.cap = cap;
  }

  /** @internal the system that records into it sets its clock (one system per timeline). */
  attach(clock: Clock, virtual: boolean): void {
    if (this.clock !== null && this.clock !== clock) throw new RacelabError('ACTOR_MISUSE', 'a MessageTimeline records one actor system; create one per system');
    this.clock = clock;
    this.virtual = virtual;
  }

  now(): number {
    return this.clock?.now() ?? 0;
  }

  /** @internal a GenServer took `message` (enqueued at `enqueuedMs`) and starts its handler. */
  handlerStart(proc: Process, message: unknown, enqueuedMs: number | undefined, from?: string): void {
    const now = this.now();
    const m = this.begin(proc, proc.display, describeMessage(message), enqueuedMs ?? now, now);
    if (m !== undefined && from !== undefined) m.from = from;
  }

  /**
   * @internal `message` (in the mailbox since `enqueuedMs`) died unhandled with `proc`, which exited for `reason`.
   * Not marked lost: a caller hears of it and may retry, and a cast may carry nothing that mattered (a poison).
   */
  diedInMailbox(proc: Process, message: unknown, enqueuedMs: number | undefined, reason: ExitReason, from?: string): void {
    const now = this.now();
    const m = this.add(proc.display, describeMessage(message), enqueuedMs ?? now, now);
    if (m === undefined) return;
    if (from !== undefined) m.from = from;
    m.endMs = now;
    m.outcome = 'died';
    m.note = `died unhandled in ${proc.display}'s mailbox when it exited (${formatReason(reason)})`;
  }

  /** @internal the handler of `proc`'s current message returned (or the message was dropped). */
  handlerEnd(proc: Process, outcome: 'handled' | 'dropped' = 'handled'): void {
    const m = this.current.get(proc);
    if (m === undefined) return;
    this.current.delete(proc);
    m.endMs = this.now();
    m.outcome = outcome;
    if (outcome === 'dropped') m.mark = 'lost';
  }

  /**
   * A span run by `proc` outside a GenServer's loop (a task a handler started): `startedMs` is when it was started,
   * its body begins now. Reads and writes `proc` reports until `end(proc)` belong to it.
   */
  beginTask(proc: Process, lane: string, what: string, startedMs: number): void {
    this.begin(proc, lane, what, startedMs, this.now());
  }

  endTask(proc: Process): void {
    this.handlerEnd(proc, 'handled');
  }

  /**
   * The message `proc` is handling read `key` (the first read counts: where its read-modify-write starts). `proc` may
   * be given by its pid: a function an Agent runs inside its process (`Agent.update(fn)`) reports for the agent so.
   */
  read(proc: Process | Pid, key: string, value?: number | string): void {
    const m = this.spanOf(proc);
    if (m === undefined || m.read !== undefined) return;
    m.read = { key, atMs: this.now(), seq: ++this.seq, ...(value !== undefined ? { value } : {}) };
  }

  /**
   * The value of the read `proc`'s message reported before its answer came (`read(proc, key)` as the request was sent,
   * so that it takes its place in the order of the reports there).
   */
  readValue(proc: Process | Pid, value: number | string): void {
    const m = this.spanOf(proc);
    if (m?.read === undefined || m.read.value !== undefined) return;
    m.read = { ...m.read, value };
  }

  /** The message `proc` is handling wrote `key` (the last write counts). */
  write(proc: Process | Pid, key: string, value?: number | string): void {
    const m = this.spanOf(proc);
    if (m === undefined) return;
    m.write = { key, atMs: this.now(), seq: ++this.seq, ...(value !== undefined ? { value } : {}) };
  }

  /**
   * The message `proc` is handling, for a read-modify-write that ends on a later message (a handler that snapshots
   * the state for a task and applies the task's result when it comes back): record it with `readOn` / `writeOn`.
   */
  messageOf(proc: Process | Pid): TimelineMessage | undefined {
    return this.spanOf(proc);
  }

  /**
   * The span the caller of the call `from` is in while it waits for the reply (a task it began with `beginTask`):
   * the server's handler reports a read or write on it with `readOn` / `writeOn`, so the reports of several callers
   * come in the order the server handled their calls (reports made on the caller's side would come in the order
   * the replies arrived, which is not it).
   */
  messageOfCaller(from: From): TimelineMessage | undefined {
    const caller = from.caller;
    return caller === null ? undefined : this.current.get(caller as Process);
  }

  /** `m` (from `messageOf`) read `key`, now; a re-read (the work redone from the current state) replaces its read. */
  readOn(m: TimelineMessage | undefined, key: string, value?: number | string): void {
    if (m === undefined) return;
    m.read = { key, atMs: this.now(), seq: ++this.seq, ...(value !== undefined ? { value } : {}) };
  }

  /** `m` (from `messageOf`) wrote `key`, now, while another message was being handled. */
  writeOn(m: TimelineMessage | undefined, key: string, value?: number | string): void {
    if (m === undefined) return;
    m.write = { key, atMs: this.now(), seq: ++this.seq, ...(value !== undefined ? { value } : {}) };
  }

  /**
   * The workload marks the lost effects of `key` itself (`markLost`, from what the run ended with): `finish()`
   * leaves that key's read/write windows unmarked. For state whose writes can restore what an earlier write lost
   * (a write of a whole list), where a write over an unseen write does not mean an effect is gone.
   */
  marksOwnLosses(key: string): void {
    this.keysMarkedByWorkload.add(key);
  }

  /** What became of the message `proc` is handling, in a line the page shows with it (a refused compare-and-set). */
  remark(proc: Process | Pid, note: string): void {
    const m = this.spanOf(proc);
    if (m !== undefined) m.note = note;
  }

  /** `m`'s effect is lost (the run's end state lacks it); `by` wrote over it last; `note` says so on the page. */
  markLost(m: TimelineMessage | undefined, by: TimelineMessage | undefined, note: string): void {
    if (m === undefined) return;
    m.mark = 'lost';
    if (by !== undefined) m.markedBy = by.index;
    m.note = note;
  }

  /**
   * The message `proc` is handling applied the effect named `key` (an effect meant to happen once per key: a charge
   * of an order), at most `limit` times (a coupon's uses). An application beyond the limit is a duplicated effect.
   */
  effect(proc: Process | Pid, key: string, limit = 1): void {
    this.effectOn(this.spanOf(proc), key, limit);
  }

  /**
   * `m` (from `messageOf`) applied the effect named `key`, now, while another message was being handled (an
   * operation that arrived early, held back, and applied when the message that filled the gap before it came).
   */
  effectOn(m: TimelineMessage | undefined, key: string, limit = 1): void {
    if (m === undefined) return;
    m.effect = { key, atMs: this.now(), seq: ++this.seq, ...(limit !== 1 ? { limit } : {}) };
  }

  /**
   * The record, with the lost updates marked: a message that read a key and later wrote it, while another
   * message's write of that key came in between, wrote over an update it never read (`lost`); that other
   * message's update was written over (`overwritten`). A message that applied an effect whose key an earlier
   * message (by sequence) had already applied is `duplicated`.
   */
  finish(): TimelineRecord {
    for (const m of this.current.values()) m.outcome = 'unfinished';
    this.current.clear();
    const writes = this.messages.filter((m) => m.write !== undefined);
    for (const m of this.messages) {
      if (m.read === undefined || m.write === undefined || m.read.key !== m.write.key || this.keysMarkedByWorkload.has(m.read.key)) continue;
      const { read, write } = m;
      const over = writes.find((o) => o !== m && o.write!.key === read.key && o.write!.seq > read.seq && o.write!.seq < write.seq);
      if (over === undefined) continue;
      m.mark = 'lost';
      m.markedBy = over.index;
      if (over.mark === undefined) {
        over.mark = 'overwritten';
        over.markedBy = m.index;
      }
    }
    // The applications of each effect key in order: those within its limit are fine, the rest point at the last
    // one within it.
    const applied = new Map<string, TimelineMessage[]>();
    for (const m of this.messages.filter((x) => x.effect !== undefined).sort((a, b) => a.effect!.seq - b.effect!.seq)) {
      const before = applied.get(m.effect!.key) ?? [];
      applied.set(m.effect!.key, before);
      const limit = m.effect!.limit ?? 1;
      if (before.length >= limit && m.mark === undefined) {
        m.mark = 'duplicated';
        m.markedBy = before[limit - 1]!.index;
      }
      before.push(m);
    }
    return { clock: this.virtual ? 'virtual' : 'real', cap: this.cap, messages: this.messages, notKept: this.notKept };
  }

  private spanOf(proc: Process | Pid): TimelineMessage | undefined {
    return this.current.get(proc instanceof Pid ? proc.process : proc);
  }

  private begin(proc: Process, lane: string, what: string, enqueuedMs: number, startMs: number): TimelineMessage | undefined {
    const m = this.add(lane, what, enqueuedMs, startMs);
    if (m !== undefined) this.current.set(proc, m);
    return m;
  }

  /** Records a message, or counts it as not kept once the cap is reached. */
  private add(lane: string, what: string, enqueuedMs: number, startMs: number): TimelineMessage | undefined {
    if (this.messages.length >= this.cap) {
      this.notKept++;
      return undefined;
    }
    const m: TimelineMessage = { index: this.messages.length + 1, lane, what, enqueuedMs, startMs, outcome: 'unfinished' };
    this.messages.push(m);
    return m;
  }
}
