/**
 * A history in Jepsen's vocabulary: every client operation is an `invoke` event followed, on the same process,
 * by exactly one completion: `ok` (it took effect and this is what it returned), `fail` (it certainly did not
 * take effect) or `info` (nobody knows: a timeout, a crash, a cancelled call; it may or may not have taken
 * effect, now or at any later time).
 */
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

export const EVENT_TYPES: readonly EventType[] = ['invoke', 'ok', 'fail', 'info'];

/** A client: one logical thread that runs one operation at a time (Jepsen's `:process`). */
export type ProcessId = number | string;

export interface HistoryEvent {
  readonly type: EventType;
  readonly process: ProcessId;
  /** The operation's name in the model's vocabulary: `read`, `write`, `cas`, `increment`, `get`, `put`, … */
  readonly f: string;
  /**
   * The argument on `invoke` (null when none), the result on `ok`. On `fail` and `info` it is kept but not
   * used: a failed operation had no effect, and an unknown one has no result.
   */
  readonly value?: unknown;
  /** Microseconds on a monotonic clock (any origin). Either every event of a history has one or none does. */
  readonly time?: number;
  /** Why an operation failed or was left unknown, for the report. */
  readonly error?: string;
  /** 1-based line in the file the event was read from, for error messages; never written out. */
  readonly line?: number;
}

export type History = readonly HistoryEvent[];

export type OperationStatus = 'ok' | 'fail' | 'info';

/**
 * One operation: an invoke paired with its completion. `call` and `return` are positions on the history's
 * time axis: microseconds when the history has times, otherwise the event's index, which is the real-time
 * order the events were written in.
 */
export interface HistoryOperation {
  /** Position in invocation order, 0-based: the operation's id in reports. */
  readonly id: number;
  readonly process: ProcessId;
  readonly f: string;
  readonly invokeValue: unknown;
  /** The `ok` result; undefined for `fail` and `info`. */
  readonly completeValue: unknown;
  readonly status: OperationStatus;
  readonly call: number;
  /** Infinity for `info`: an unknown outcome may take effect at any time after its invocation. */
  readonly return: number;
  readonly invokeLine?: number;
  readonly completeLine?: number;
  readonly error?: string;
}

/** The time axis of a list of operations: microseconds, or event positions when the history had no times. */
export type TimeUnit = 'us' | 'event';

export interface PairedHistory {
  readonly operations: readonly HistoryOperation[];
  readonly timeUnit: TimeUnit;
  /** Distinct processes that invoked at least one operation. */
  readonly processes: readonly ProcessId[];
}
