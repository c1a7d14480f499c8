import type { OperationStatus, ProcessId, TimeUnit } from '../history/event.js';

/** `unknown` means the budget ran out before the search decided: never a guess. */
export type Verdict = 'ok' | 'illegal' | 'unknown';

/** What `check()` returns: the verdict and what it cost. */
export interface CheckResult {
  readonly verdict: Verdict;
  readonly model: string;
  /** Operations in the history (every status). */
  readonly operations: number;
  readonly partitions: number;
  /** Search steps: candidates tried plus backtracks, over every partition. */
  readonly steps: number;
  readonly elapsedMs: number;
}

/** One operation, as reports and the HTML timeline show it. */
export interface OperationView {
  readonly id: number;
  readonly process: ProcessId;
  readonly f: string;
  /** The model's words for it, e.g. `write 3`, `read → 1`, `get → 9`. */
  readonly description: string;
  readonly status: OperationStatus;
  readonly call: number;
  /** Null when the outcome is unknown. */
  readonly return: number | null;
  readonly line?: number;
  /** The partition's label (a kv key), when the model partitions. */
  readonly partition?: string;
  /** Position (1-based) in its partition's linearization, or in the longest partial one when none exists. */
  readonly order?: number;
  /** The model's state right after this operation, along that linearization. */
  readonly stateAfter?: string;
}

export interface PartitionReport {
  /** The partition's label (a kv key); null when the model does not partition. */
  readonly key: string | null;
  readonly operations: number;
  readonly verdict: Verdict;
  readonly steps: number;
  /** Operations placed by the linearization found (ok) or the longest partial one (illegal, unknown). */
  readonly linearized: number;
  /** Ids, in order, of that (partial) linearization. */
  readonly order: readonly number[];
  /** The state after it, in the model's words. */
  readonly finalState: string;
  /** For illegal and unknown: the operation whose response could not be placed next. */
  readonly blockedBy?: number;
}

export interface WindowReport {
  readonly partition: string | null;
  /** `unknown`: the window fails whatever state the object was in when it starts; `initial`: from the start. */
  readonly from: 'initial' | 'unknown';
  /** Ids of the operations whose responses the proof needs, in call order. */
  readonly operations: readonly number[];
  /** Ids of operations that overlap the window and may or may not have taken effect. */
  readonly mayHaveTakenEffect: readonly number[];
  /** Id of the operation whose response no order explains. */
  readonly breakOperation: number;
  /** Time span from the first essential call to the break's response. */
  readonly start: number;
  readonly end: number;
  /** Ids of the window's longest partial linearization, in order. */
  readonly order: readonly number[];
  /** The operation that order stops at, and the states in which it was tried and did not fit. */
  readonly stopsAt?: number;
  readonly refusedIn: readonly string[];
  /** False when the window is not as small as it could be; `notMinimizedBecause` says why. */
  readonly minimized: boolean;
  /**
   * `budget` (the time ran out), `steps` (a smaller window could not be decided within its step cap), `size` (too
   * many operations to try removing) or `interrupt` (Ctrl+C).
   */
  readonly notMinimizedBecause?: 'budget' | 'steps' | 'size' | 'interrupt';
  readonly explanation: readonly string[];
}

/** What `checkVerbose()` returns: JSON-serializable, stable camelCase fields. */
export interface CheckReport extends CheckResult {
  readonly kind: 'check';
  readonly timeUnit: TimeUnit;
  readonly counts: {
    readonly ok: number;
    readonly failed: number;
    readonly unknownOutcome: number;
    readonly processes: number;
    /** Unknown-outcome reads: they constrain nothing and are not searched. */
    readonly unseenReads: number;
  };
  readonly budget: { readonly timeMs: number | null; readonly maxSteps: number | null };
  /**
   * Where the search started: `model` (the model's own start), `given` (a history header or a user's value)
   * or `unknown` (any state: nobody said); `state` in the model's words (the first partition's, for kv).
   */
  readonly start: { readonly from: 'model' | 'given' | 'unknown'; readonly state: string };
  /** Time the verdict took; `elapsedMs` adds reading the operations and finding and explaining the window. */
  readonly searchMs: number;
  /** Why the check stopped: it decided, the budget ran out, or it was interrupted (Ctrl+C) before deciding. */
  readonly stoppedBecause: 'decided' | 'budget' | 'interrupted';
  /**
   * True when the check stopped while its history was still being read: `operations` counts those read, `counts`
   * and `partitions` are zero (nothing was checked).
   */
  readonly stoppedWhileReading?: true;
  /** True when a decided check was interrupted while finding or explaining its window (the verdict stands). */
  readonly interrupted?: boolean;
  readonly partitionReports: readonly PartitionReport[];
  readonly window?: WindowReport;
  readonly explanation: readonly string[];
  /** Every operation, for timelines. Large: `racelab check --json` leaves it out. */
  readonly timeline: readonly OperationView[];
}
