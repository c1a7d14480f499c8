import type { ProcessId } from '../history/event.js';

/**
 * Transactional histories in Elle's vocabulary. A transaction is one operation (`f` is usually `txn`) whose
 * value is a list of micro-operations: `["append", k, v]` adds v to the end of the list at key k, `["r", k,
 * v]` reads key k (nil on invoke; the list or the register's value on ok), `["w", k, v]` writes a register.
 */
export type Workload = 'list-append' | 'rw-register';
export const WORKLOADS: readonly Workload[] = ['list-append', 'rw-register'];

/** Keys and values as the history spells them: EDN integers and keywords, JSON numbers and strings. */
export type Scalar = number | string;

export type MicroOp =
  | { readonly f: 'append'; readonly key: Scalar; readonly value: Scalar }
  | { readonly f: 'w'; readonly key: Scalar; readonly value: Scalar }
  /** `value` is null when unknown (an invoke, an unknown outcome) or when a register read found nothing. */
  | { readonly f: 'r'; readonly key: Scalar; readonly value: readonly Scalar[] | Scalar | null };

export type TxnStatus = 'ok' | 'fail' | 'info';

/** One transaction: an invoke and its completion, paired. */
export interface Txn {
  /** Position in invocation order, 0-based. */
  readonly index: number;
  readonly process: ProcessId;
  readonly status: TxnStatus;
  /** The completion's micro-ops for `ok` (reads filled in), the invoke's otherwise. */
  readonly ops: readonly MicroOp[];
  /** Real-time bounds on the history's axis (microseconds or event positions); `ret` is Infinity for info. */
  readonly call: number;
  readonly ret: number;
  /** File lines of the invoke and the completion, when read from a file. */
  readonly invokeLine?: number;
  readonly completeLine?: number;
}

export interface TxnHistory {
  readonly workload: Workload;
  readonly txns: readonly Txn[];
  readonly timeUnit: 'us' | 'event';
}

/** Dependency kinds, as bits of one byte so an edge carrying several is one entry. */
export const WW = 1;
export const WR = 2;
export const RW = 4;
export const REALTIME = 8;
export const PROCESS = 16;
/**
 * R read a version v of a key and then wrote the key; W wrote a version that also follows v, in an order no
 * read showed. Whichever came first, R precedes W: by ww if R's write did, by rw if W's did. Cycles count it as
 * rw, the label that claims least (it rules out fewer models).
 */
export const WW_OR_RW = 32;
export type EdgeKindName = 'ww' | 'wr' | 'rw' | 'ww-or-rw' | 'realtime' | 'process';

/**
 * Anomaly names as Elle reports them. Cycle anomalies take a `-realtime` or `-process` suffix when the cycle
 * needs a real-time or process-order edge (then they only rule out the strict or session models).
 */
export type CycleClass = 'G0' | 'G1c' | 'G-single' | 'G-nonadjacent' | 'G2-item';
export type AnomalyType =
  | CycleClass
  | `${CycleClass}-realtime`
  | `${CycleClass}-process`
  | 'G1a'
  | 'G1b'
  | 'lost-update'
  | 'internal'
  | 'non-repeatable-read'
  | 'incompatible-order'
  | 'duplicate-elements';

export interface CycleStep {
  /** Transaction index and the next one in the cycle (the last step returns to the first). */
  readonly from: number;
  readonly to: number;
  readonly kind: EdgeKindName;
  /** The key whose versions give the edge (none for real-time and process edges). */
  readonly key?: string;
  /** One sentence: why `from` precedes `to`. */
  readonly why: string;
}

export interface Anomaly {
  readonly type: AnomalyType;
  /** Transactions involved, by index. */
  readonly txns: readonly number[];
  /** For cycle anomalies, the edges in order. */
  readonly cycle?: readonly CycleStep[];
  /** The explanation, step by step, naming transactions by their lines. */
  readonly explanation: readonly string[];
}

export type ConsistencyModel = 'read-committed' | 'snapshot-isolation' | 'repeatable-read' | 'serializable' | 'strong-session-serializable' | 'strict-serializable';
export const CONSISTENCY_MODELS: readonly ConsistencyModel[] = ['read-committed', 'snapshot-isolation', 'repeatable-read', 'serializable', 'strong-session-serializable', 'strict-serializable'];

/**
 * `not-ruled-out`: the analysis found nothing that model forbids (it is sound, not complete: orders no read
 * revealed stay unknown); `unknown`: the search was cut short before it could tell.
 */
export type ModelVerdict = 'ruled-out' | 'not-ruled-out' | 'unknown';

export interface TxnCheckOptions {
  /** Add real-time edges (T1 completed before T2 was invoked): checks strict serializability. Default true. */
  readonly realtime?: boolean;
  /** Add process-order edges (one client's transactions in order): strong session models. Default true. */
  readonly process?: boolean;
  /** Wall-time budget for the analysis, ms. */
  readonly budgetMs?: number;
  /** Of `budgetMs`, what the caller already spent (reading the history): the analysis gets the rest. */
  readonly spentMs?: number;
  /** Step budget (edges built plus nodes visited by searches): reproducible, unlike time. */
  readonly maxSteps?: number;
  /** Shared memory another thread sets to non-zero to stop the analysis at once with what was found so far. */
  readonly interrupt?: Int32Array;
  /** Examples kept per anomaly type (the count covers all). Default 3. */
  readonly examplesPerType?: number;
}

/** `illegal`: at least one anomaly; `unknown`: none found before the budget ran out. */
export type TxnVerdict = 'ok' | 'illegal' | 'unknown';

export interface TxnCheckReport {
  readonly kind: 'txn-check';
  readonly workload: Workload;
  readonly verdict: TxnVerdict;
  /** Why the analysis stopped: it finished, the budget ran out, or it was interrupted (Ctrl+C). */
  readonly stoppedBecause: 'decided' | 'budget' | 'interrupted';
  readonly counts: { readonly transactions: number; readonly ok: number; readonly failed: number; readonly unknownOutcome: number; readonly processes: number; readonly keys: number };
  readonly graph: { readonly edges: number; readonly components: number; readonly largestComponent: number };
  /** How many of each anomaly type were found (cycle anomalies: at most one per type per strongly connected component). */
  readonly anomalyCounts: Readonly<Partial<Record<AnomalyType, number>>>;
  readonly anomalies: readonly Anomaly[];
  readonly models: Readonly<Record<ConsistencyModel, ModelVerdict>>;
  /** Why a verdict is not final, when the search was limited. */
  readonly notes: readonly string[];
  readonly options: { readonly realtime: boolean; readonly process: boolean; readonly budgetMs: number | null; readonly maxSteps: number | null };
  readonly elapsedMs: number;
  readonly steps: number;
  /** Per transaction named in an anomaly: label, process, status and micro-ops in words. */
  readonly transactions: Readonly<Record<number, { readonly label: string; readonly process: string; readonly status: TxnStatus; readonly ops: string }>>;
}
