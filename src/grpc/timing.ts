import { nowMicros } from '../core/clock.js';

/**
 * What a racelab server measures about each call: when its handler started and ended, on the server's
 * monotonic clock, in microseconds. Spreads and "how many ran at once" in every report come from these.
 */
export interface HandlerSpan {
  readonly method: string;
  readonly startMicros: number;
  endMicros: number;
  ok: boolean;
}

/** Trailing metadata key carrying the handler's start time, so a client can compute server-side spread. */
export const HANDLER_START_TRAILER = 'racelab-handler-start-us';
/**
 * Trailing metadata of a failed call whose handler failed with a racelab error (its `cause`): the error's fields
 * (src/core/errors.ts errorFields) as JSON, so a racelab client makes the same error again, subject and all.
 */
export const RACELAB_ERROR_TRAILER = 'racelab-error-bin';

export class SpanLog {
  private spans: HandlerSpan[] = [];
  constructor(private readonly limit = 1_000_000) {}

  start(method: string): HandlerSpan {
    const span: HandlerSpan = { method, startMicros: nowMicros(), endMicros: 0, ok: false };
    if (this.spans.length < this.limit) this.spans.push(span);
    return span;
  }

  /** Spans recorded since the last `drain()`, oldest first. */
  drain(): HandlerSpan[] {
    const out = this.spans;
    this.spans = [];
    return out;
  }

  peek(): readonly HandlerSpan[] {
    return this.spans;
  }
}

/** The most handler spans that overlapped at one instant. */
export function maxInFlight(spans: readonly HandlerSpan[]): number {
  const edges: Array<[number, number]> = [];
  for (const s of spans) {
    edges.push([s.startMicros, 1], [s.endMicros, -1]);
  }
  // Ends sort before starts at the same instant: touching spans did not overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of edges) {
    cur += d;
    if (cur > max) max = cur;
  }
  return max;
}
