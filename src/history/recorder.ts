import { formatHistoryJsonl } from './jsonl.js';
import type { EventType, HistoryEvent, ProcessId } from './event.js';
import { writeHistoryFile } from './read.js';

/**
 * Monotonic microseconds with sub-microsecond precision, comparable across processes on one machine
 * (process.hrtime is CLOCK_MONOTONIC on Linux), so histories recorded by several client processes merge.
 */
export function monotonicMicros(): number {
  const ns = process.hrtime.bigint();
  return Number(ns / 1000n) + Number(ns % 1000n) / 1000;
}

export interface HistoryRecorderOptions {
  /** Clock in microseconds; must never go backwards. Default: monotonicMicros. A virtual clock for the explorer. */
  now?: () => number;
}

/** An invoked operation waiting for its outcome. Exactly one of ok / fail / info completes it. */
export class PendingOperation {
  private done = false;
  constructor(
    private readonly recorder: HistoryRecorder,
    readonly process: ProcessId,
    readonly f: string,
    readonly value: unknown,
  ) {}

  get completed(): boolean {
    return this.done;
  }

  private complete(type: EventType, value: unknown, error?: string): void {
    if (this.done) throw new Error(`operation ${this.f} of process ${this.process} was already completed`);
    this.done = true;
    this.recorder.append(type, this.process, this.f, value, error);
  }

  /** It took effect and returned `value`. */
  ok(value: unknown = null): void {
    this.complete('ok', value);
  }

  /** It certainly did not take effect. */
  fail(error?: string): void {
    this.complete('fail', this.value, error);
  }

  /** Nobody knows whether it took effect (timeout, lost connection, crash). */
  info(error?: string): void {
    this.complete('info', this.value, error);
  }
}

/**
 * Records a history as clients run: stamp `invoke` just before a request leaves, and its outcome just after
 * it is known. Events are appended in the order they happen, so the history is in real-time order.
 */
export class HistoryRecorder {
  private readonly log: HistoryEvent[] = [];
  private readonly now: () => number;
  private readonly busy = new Set<number>();
  private last = -Infinity;
  private header: { initial?: unknown } = {};

  constructor(options: HistoryRecorderOptions = {}) {
    this.now = options.now ?? monotonicMicros;
  }

  get events(): readonly HistoryEvent[] {
    return this.log;
  }

  /** @internal appends one event, keeping times non-decreasing even if a clock misbehaves. */
  append(type: EventType, process: ProcessId, f: string, value: unknown, error?: string): void {
    const time = Math.max(this.now(), this.last);
    this.last = time;
    this.log.push({ type, process, f, value: value ?? null, time, ...(error !== undefined ? { error } : {}) });
  }

  invoke(process: ProcessId, f: string, value: unknown = null): PendingOperation {
    this.append('invoke', process, f, value);
    return new PendingOperation(this, process, f, value ?? null);
  }

  /**
   * A process id for a caller that may run alongside others (a call on a shared channel): the smallest one
   * not in use. A process runs one operation at a time, so concurrent calls need distinct ids.
   */
  acquireProcess(): number {
    let p = 0;
    while (this.busy.has(p)) p++;
    this.busy.add(p);
    return p;
  }

  releaseProcess(process: number): void {
    this.busy.delete(process);
  }

  /**
   * Runs `operation` as one recorded operation: `outcome` turns its result into the completion; a throw
   * becomes `info` (its effect is unknown) unless `outcome.failed` says the error certainly had no effect.
   */
  async record<T>(
    process: ProcessId,
    f: string,
    value: unknown,
    operation: () => Promise<T>,
    outcome: { result?: (result: T) => unknown; failed?: (error: unknown) => boolean } = {},
  ): Promise<T> {
    const op = this.invoke(process, f, value);
    let result: T;
    try {
      result = await operation();
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      if (outcome.failed?.(e)) op.fail(why);
      else op.info(why);
      throw e;
    }
    op.ok(outcome.result ? outcome.result(result) : (result ?? null));
    return result;
  }

  /**
   * The value the object held before the first operation, read before any was sent: written as the history's
   * header, so the checker starts from it instead of guessing (a counter left at 7 by an earlier run is not
   * a race).
   */
  setInitial(value: unknown): void {
    this.header = { initial: value };
  }

  get initial(): unknown {
    return this.header.initial;
  }

  toJsonl(): string {
    return formatHistoryJsonl(this.log, this.header);
  }

  async writeFile(path: string): Promise<void> {
    await writeHistoryFile(path, this.log, this.header);
  }
}

/**
 * Merges histories recorded separately (one per client process) into one, in time order. Each source's
 * processes are renamed through `rename` so that two sources' process 0 stay two clients.
 */
export function mergeHistories(sources: ReadonlyArray<{ events: readonly HistoryEvent[]; rename?: (p: ProcessId) => ProcessId }>): HistoryEvent[] {
  const all: Array<{ e: HistoryEvent; s: number; i: number }> = [];
  sources.forEach((src, s) =>
    src.events.forEach((e, i) => {
      if (e.time === undefined) throw new Error('mergeHistories needs timed events');
      const { line: _line, ...rest } = e;
      all.push({ e: { ...rest, process: src.rename ? src.rename(e.process) : e.process }, s, i });
    }),
  );
  all.sort((a, b) => a.e.time! - b.e.time! || a.s - b.s || a.i - b.i);
  return all.map((x) => x.e);
}
