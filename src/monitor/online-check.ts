import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Counter, type Registry } from 'prom-client';
import type { Verdict } from '../check/check-report.js';
import { RacelabError } from '../core/errors.js';
import type { History, HistoryEvent } from '../history/event.js';
import { CHECK_THREAD_DATA, judgeWindow, type WindowCheckReply, type WindowCheckRequest } from './check-thread.js';

/** The built check thread; absent when racelab runs from its TypeScript sources (tests), which check on the loop. */
const CHECK_THREAD = new URL('./check-thread.js', import.meta.url);
/** A check thread with nothing to do for this long is stopped (the next window starts one again). */
const THREAD_IDLE_MS = 5000;

/*
 * The online linearizability monitor: one sampled key's history, checked window by window with racelab's
 * checker while the service runs.
 *
 * What is checked. Each request that touched the key is one operation on a compare-and-set register, derived
 * from what the Store returned to it: a request that read value a and then wrote b is `cas [a, b]` (a request
 * is meant to be one atomic update: that is the contract a lost update breaks); an atomic increment by n that
 * returned v is `cas [v-n, v]`; a write with no read before it is `write b`; a request that only read is
 * `read → a`. Two requests that read 5 and both wrote 6 cannot be linearized: the signature of a lost update,
 * now judged by the checker instead of the monitor's version chains. A request this cannot describe (two writes
 * of the key, a compare-and-set on a version it never read) makes its window unknown.
 *
 * Why a window can be checked on its own. A window is a span of time [from, to]: its operations are every
 * request that overlaps the span, with their results. Requests outside the span that overlap one of those are
 * added as `info` (an effect that may or may not have happened, anywhere after its start): the checker may use
 * them or not. Every other request ends before all of the window's requests start, or starts after they all end,
 * so in any linearization of the whole history it falls before them or after them: starting the window from an
 * unknown register value (`initial: 'unknown'`) accounts for everything before. So an illegal window is a
 * history that is not linearizable, never an artefact of the cut. A window is judged only once every request
 * that started before its last request ended has ended (an unfinished request's write is not known yet).
 *
 * Bounded by design: at most `2 x windowOps` requests in flight on the key and `8 x windowOps` finished ones are
 * kept (a window that would need one that was dropped is unknown); a check runs on a worker thread of its own
 * (started at the first window, stopped when idle), off the request path and off the event loop, with `budgetMs`
 * of time (a check that runs out says unknown). Where the thread's module is not there (racelab run from its
 * TypeScript sources) the check runs on a macrotask instead and holds the event loop for at most `budgetMs`
 * (`checksRunOn` says which). At most one check is queued or running, and a window that closes meanwhile is
 * skipped and counted as skipped, never as linearizable.
 */
export interface OnlineCheckOptions {
  /** The key whose history is checked (a sample of the service: one key, its every request). */
  readonly key: string;
  /** Requests of the key per window; default 32. */
  readonly windowOps?: number;
  /** Time one check may take, ms; default 20. It runs out as `unknown`. */
  readonly budgetMs?: number;
}

export interface OnlineCheckCounts {
  ok: number;
  illegal: number;
  /** The check ran out of budget, or the window held a request the register cannot describe, or lost history. */
  unknown: number;
  /** Windows that closed while another check was queued or running: not checked. */
  skipped: number;
}

/** What one request did to the sampled key. Times are the monitor's (`nowMicros`). */
interface KeyOperation {
  readonly start: number;
  end: number | undefined;
  /** Values read, with their versions, in order (the last one is the base of a write). */
  lastRead: { value: number; version: number } | undefined;
  distinctReads: number;
  write: { from: number | undefined; to: number } | undefined;
  /** Why this request is not a register operation. */
  unmodelled: string | undefined;
}

interface Window {
  readonly from: number;
  readonly to: number;
}

export class OnlineLinearizability {
  readonly key: string;
  readonly counts: OnlineCheckCounts = { ok: 0, illegal: 0, unknown: 0, skipped: 0 };
  /** The last few windows judged illegal, as checkable histories (for a report, or `racelab check`). */
  readonly illegalWindows: History[] = [];

  private readonly windowOps: number;
  private readonly budgetMs: number;
  private readonly inFlight = new Map<object, KeyOperation>();
  /** Finished requests of the key, in the order they ended. */
  private finished: KeyOperation[] = [];
  /** The latest end of a request dropped from `finished` (or -Infinity). */
  private droppedUpTo = -Infinity;
  /** Requests of the key not recorded (they came while `inFlight` was full), still running; and when the last ended. */
  private readonly unrecorded = new WeakSet<object>();
  private unrecordedRunning = 0;
  private holeUntil = -Infinity;
  private windowStart = -Infinity;
  private endedSinceWindow = 0;
  private readonly closed: Window[] = [];
  private queued = false;
  private readonly metric: Counter<'verdict'>;
  private thread: Worker | undefined;
  private threadIdle: NodeJS.Timeout | undefined;
  private checkId = 0;
  /** The window posted to the thread and not judged yet (at most one). */
  private readonly pending = new Map<number, History>();
  /** Where the checks run: a worker thread (racelab built) or the event loop (racelab from its sources). */
  readonly checksRunOn: 'worker thread' | 'event loop' = existsSync(fileURLToPath(CHECK_THREAD)) ? 'worker thread' : 'event loop';

  constructor(options: OnlineCheckOptions, registry: Registry) {
    if (typeof options.key !== 'string' || options.key === '') throw new RacelabError('BAD_OPTION', 'raceMonitor: linearizability.key must name the key to check');
    this.key = options.key;
    this.windowOps = wholeAtLeast(options.windowOps ?? 32, 2, 'linearizability.windowOps');
    this.budgetMs = options.budgetMs ?? 20;
    if (!(this.budgetMs > 0)) throw new RacelabError('BAD_OPTION', `raceMonitor: linearizability.budgetMs must be more than 0, got ${this.budgetMs}`);
    this.metric = new Counter({
      name: 'racelab_monitor_linearizability_windows_total',
      help: 'Windows of the sampled key checked online, by verdict: ok, illegal (not linearizable), unknown (could not decide), skipped (not checked: another check was running).',
      labelNames: ['verdict'],
      registers: [registry],
    });
    for (const verdict of ['ok', 'illegal', 'unknown', 'skipped']) this.metric.inc({ verdict }, 0);
  }

  /** The request `request` read the key at `version`, value `value`. */
  read(request: object | undefined, value: number, version: number, at: number): void {
    const op = this.operation(request, at);
    if (!op) return;
    if (op.lastRead?.value !== value) op.distinctReads++;
    op.lastRead = { value, version };
    this.finishUntracked(request, op, at);
  }

  /**
   * The request wrote `to`. `from` says what it was based on: `'last-read'` (a plain set: its last read of the
   * key, or nothing when it read none), `{ version }` (a compare-and-set that expected that version, which the
   * request must have read) or `{ value }` (an atomic increment: the value before it).
   */
  write(request: object | undefined, to: number, from: 'last-read' | { version: number } | { value: number }, at: number): void {
    const op = this.operation(request, at);
    if (!op) return;
    if (op.write) op.unmodelled = 'it wrote the key twice';
    let base: number | undefined;
    if (from === 'last-read') base = op.lastRead?.value;
    else if ('version' in from) {
      if (op.lastRead?.version !== from.version) op.unmodelled = 'a compare-and-set on a version it did not read';
      base = op.lastRead?.value;
    } else base = from.value;
    op.write = { from: base, to };
    this.finishUntracked(request, op, at);
  }

  /** A request ended (the monitor calls this for every request; only those that touched the key count). */
  end(request: object, at: number): void {
    const op = this.inFlight.get(request);
    if (!op) {
      if (this.unrecorded.has(request)) {
        this.unrecorded.delete(request);
        if (--this.unrecordedRunning === 0) this.holeUntil = at;
      }
      return;
    }
    this.inFlight.delete(request);
    op.end = at;
    this.finish(op);
  }

  private operation(request: object | undefined, at: number): KeyOperation | undefined {
    if (request === undefined) return { start: at, end: undefined, lastRead: undefined, distinctReads: 0, write: undefined, unmodelled: undefined };
    let op = this.inFlight.get(request);
    if (!op) {
      if (this.unrecorded.has(request)) return undefined;
      if (this.inFlight.size >= this.windowOps * 2) {
        // A hole in the history: every window until the last unrecorded request ends is unknown.
        this.unrecorded.add(request);
        this.unrecordedRunning++;
        this.holeUntil = Infinity;
        return undefined;
      }
      op = { start: (request as { startMicros?: number }).startMicros ?? at, end: undefined, lastRead: undefined, distinctReads: 0, write: undefined, unmodelled: undefined };
      this.inFlight.set(request, op);
    }
    return op;
  }

  /** A Store call outside any request is an operation of its own, over as soon as it is made. */
  private finishUntracked(request: object | undefined, op: KeyOperation, at: number): void {
    if (request !== undefined) return;
    op.end = at;
    this.finish(op);
  }

  private finish(op: KeyOperation): void {
    this.finished.push(op);
    if (this.finished.length > this.windowOps * 8) {
      const dropped = this.finished.splice(0, this.finished.length - this.windowOps * 6);
      for (const d of dropped) this.droppedUpTo = Math.max(this.droppedUpTo, d.end!);
    }
    if (++this.endedSinceWindow >= this.windowOps) {
      this.endedSinceWindow = 0;
      const to = op.end!;
      this.closed.push({ from: this.windowStart, to });
      this.windowStart = to;
      // Windows wait here for their requests to end; a backlog means they never will (a stuck request).
      while (this.closed.length > 4) {
        this.closed.shift();
        this.tally('unknown');
      }
    }
    this.judgeReady();
  }

  /** Takes the oldest closed window whose requests (and those overlapping them) have all ended. */
  private judgeReady(): void {
    const w = this.closed[0];
    if (!w) return;
    let oldestInFlight = Infinity;
    for (const op of this.inFlight.values()) oldestInFlight = Math.min(oldestInFlight, op.start);
    if (oldestInFlight <= w.to || this.unrecordedRunning > 0) return;
    const members = this.finished.filter((op) => op.start <= w.to && op.end! >= w.from);
    const lastEnd = members.reduce((m, op) => Math.max(m, op.end!), -Infinity);
    if (oldestInFlight <= lastEnd) return;
    this.closed.shift();
    if (this.queued) {
      this.tally('skipped');
      return;
    }
    const firstStart = members.reduce((m, op) => Math.min(m, op.start), Infinity);
    const inWindow = new Set(members);
    const overlapping = this.finished.filter((op) => !inWindow.has(op) && op.start <= lastEnd && op.end! >= firstStart);
    const history = this.droppedUpTo >= firstStart || this.holeUntil >= firstStart ? undefined : windowHistory(members, overlapping);
    this.queued = true;
    if (history && this.checksRunOn === 'worker thread') {
      this.judgeOnThread(history);
      return;
    }
    setImmediate(() => this.judged(history, history ? judgeWindow(history, this.budgetMs) : 'unknown')).unref();
  }

  private judged(history: History | undefined, verdict: Verdict): void {
    this.queued = false;
    if (verdict === 'illegal' && history) {
      this.illegalWindows.push(history);
      if (this.illegalWindows.length > 8) this.illegalWindows.shift();
    }
    this.tally(verdict);
  }

  /** Posts the window to the check thread (started if need be); its verdict comes back as a message. */
  private judgeOnThread(history: History): void {
    clearTimeout(this.threadIdle);
    const id = ++this.checkId;
    if (!this.thread) {
      const thread = new Worker(CHECK_THREAD, { workerData: CHECK_THREAD_DATA });
      thread.unref();
      thread.on('message', (m: WindowCheckReply) => {
        const judged = this.pending.get(m.id);
        if (!judged) return;
        this.pending.delete(m.id);
        this.judged(judged, m.verdict);
        this.threadIdle = setTimeout(() => void this.stopThread(), THREAD_IDLE_MS).unref();
      });
      // A thread that fails takes its window with it: unknown, never linearizable; the next window starts another.
      thread.on('error', () => undefined);
      thread.on('exit', () => {
        if (this.thread !== thread) return;
        this.thread = undefined;
        for (const [id, h] of this.pending) {
          this.pending.delete(id);
          this.judged(h, 'unknown');
        }
      });
      this.thread = thread;
    }
    this.pending.set(id, history);
    this.thread.postMessage({ id, history, budgetMs: this.budgetMs } satisfies WindowCheckRequest);
  }

  /** Stops the check thread, if one runs; a window checked on it meanwhile counts as unknown. */
  stopThread(): Promise<void> {
    clearTimeout(this.threadIdle);
    const thread = this.thread;
    if (!thread) return Promise.resolve();
    return thread.terminate().then(() => undefined);
  }

  private tally(verdict: Verdict | 'skipped'): void {
    this.counts[verdict]++;
    this.metric.inc({ verdict });
  }
}

/**
 * The window as a history for the register model: members with their results, overlapping requests that wrote
 * as `info` (they may or may not be used); undefined when a request is not a register operation.
 */
function windowHistory(members: readonly KeyOperation[], overlapping: readonly KeyOperation[]): History | undefined {
  const timed: Array<{ at: number; order: number; event: HistoryEvent }> = [];
  let process = 0;
  const add = (op: KeyOperation, known: boolean): boolean => {
    if (op.unmodelled) return false;
    let f: string;
    let value: unknown;
    let result: unknown;
    if (op.write) {
      if (op.write.from === undefined) [f, value] = ['write', op.write.to];
      else [f, value] = ['cas', [op.write.from, op.write.to]];
    } else if (op.lastRead && op.distinctReads === 1) {
      // An overlapping read changes nothing: it need not be in the window.
      if (!known) return true;
      [f, value, result] = ['read', null, op.lastRead.value];
    } else return true; // it read different values and wrote nothing: no single read describes it, and a read can be left out.
    const p = process++;
    timed.push({ at: op.start, order: 0, event: { type: 'invoke', process: p, f, value, time: op.start } });
    timed.push({ at: op.end!, order: 1, event: known ? { type: 'ok', process: p, f, value: result ?? null, time: op.end! } : { type: 'info', process: p, f, time: op.end! } });
    return true;
  };
  for (const op of members) if (!add(op, true)) return undefined;
  for (const op of overlapping) if (!add(op, false)) return undefined;
  // At one instant, invocations first: two requests that touch at a microsecond are taken as overlapping (the
  // looser reading, so never a false illegal), and each request's invoke comes before its completion.
  timed.sort((a, b) => a.at - b.at || a.order - b.order);
  return timed.map((t) => t.event);
}

function wholeAtLeast(n: number, min: number, name: string): number {
  if (!Number.isInteger(n) || n < min) throw new RacelabError('BAD_OPTION', `raceMonitor: ${name} must be a whole number of at least ${min}, got ${n}`);
  return n;
}
