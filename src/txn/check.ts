import { Budget } from './budget.js';
import type { History } from '../history/event.js';
import { CycleFinder, type CycleSearch } from './cycles.js';
import { BudgetSpent, type Inference } from './inference.js';
import { analyzeListAppend } from './list-append.js';
import { addProcessEdges, addRealtimeEdges } from './order.js';
import { describeOps, toTxnHistory, txnLabel } from './parse.js';
import { analyzeRwRegister } from './rw-register.js';
import {
  CONSISTENCY_MODELS,
  type Anomaly,
  type AnomalyType,
  type ConsistencyModel,
  type ModelVerdict,
  type TxnCheckOptions,
  type TxnCheckReport,
  type TxnHistory,
  type Workload,
} from './types.js';

/**
 * What each model forbids, after Adya and as Elle reports it. Read committed forbids G0, G1a-c and the
 * consistency errors; snapshot isolation adds G-single, G-nonadjacent (rw edges never next to each other, which
 * SI's cycles always have: Cerone & Gotsman) and lost updates (not G2-item: write skew is what SI allows); Adya's repeatable read (PL-2.99) adds G2-item on items; serializable all of those; the session and
 * strict models add cycles that need process order and real time.
 */
const READ_COMMITTED: readonly AnomalyType[] = ['G0', 'G1a', 'G1b', 'G1c', 'internal', 'incompatible-order', 'duplicate-elements'];
const SNAPSHOT: readonly AnomalyType[] = [...READ_COMMITTED, 'G-single', 'G-nonadjacent', 'lost-update', 'non-repeatable-read'];
const SERIALIZABLE: readonly AnomalyType[] = [...SNAPSHOT, 'G2-item'];
const PROCESS_CYCLES: readonly AnomalyType[] = ['G0-process', 'G1c-process', 'G-single-process', 'G-nonadjacent-process', 'G2-item-process'];
const REALTIME_CYCLES: readonly AnomalyType[] = ['G0-realtime', 'G1c-realtime', 'G-single-realtime', 'G-nonadjacent-realtime', 'G2-item-realtime'];
export const FORBIDDEN_BY: Readonly<Record<ConsistencyModel, readonly AnomalyType[]>> = {
  'read-committed': READ_COMMITTED,
  'snapshot-isolation': SNAPSHOT,
  'repeatable-read': SERIALIZABLE,
  serializable: SERIALIZABLE,
  'strong-session-serializable': [...SERIALIZABLE, ...PROCESS_CYCLES],
  'strict-serializable': [...SERIALIZABLE, ...PROCESS_CYCLES, ...REALTIME_CYCLES],
};

const ANALYSES: Record<Workload, typeof analyzeListAppend> = { 'list-append': analyzeListAppend, 'rw-register': analyzeRwRegister };

/** Checks a generic history (events whose values are micro-op lists) as a `workload` history. */
export function checkTransactions(history: History, workload: Workload, options: TxnCheckOptions = {}): TxnCheckReport {
  return checkTxnHistory(toTxnHistory(history, workload), options);
}

/**
 * The whole analysis: the workload's inference (edges and direct anomalies), real-time and process edges,
 * the graph, the cycle search, the models ruled out. The budget covers every phase; when it runs out the
 * report keeps what was found, and with nothing found the verdict is `unknown`, never `ok`.
 */
export function checkTxnHistory(history: TxnHistory, options: TxnCheckOptions = {}): TxnCheckReport {
  const started = performance.now();
  const realtime = options.realtime ?? true;
  const processOrder = options.process ?? true;
  const budget = new Budget(options.budgetMs !== undefined ? Math.max(0, options.budgetMs - (options.spentMs ?? 0)) : Infinity, options.maxSteps ?? Infinity, undefined, options.interrupt);
  const { txns } = history;
  let inference: Inference | undefined;
  let search: CycleSearch | undefined;
  let edges = 0;
  let spentIn: string | undefined;
  try {
    inference = ANALYSES[history.workload](txns, budget, txnLabel);
    if (realtime) addRealtimeEdges(txns, inference.edges, budget);
    if (processOrder) addProcessEdges(txns, inference.edges);
    const graph = inference.edges.build(txns.length);
    edges = graph.edges;
    if (!budget.charge(graph.edges)) throw new BudgetSpent('building the graph');
    search = new CycleFinder(graph, txns, inference, txnLabel, budget).search({ realtime, process: processOrder });
    if (search.cutShort) spentIn = 'searching for cycles';
  } catch (e) {
    if (!(e instanceof BudgetSpent)) throw e;
    spentIn = e.phase;
  }
  const found: Anomaly[] = [...(inference?.anomalies ?? []), ...(search?.anomalies ?? [])];
  const anomalyCounts: Partial<Record<AnomalyType, number>> = {};
  for (const a of found) anomalyCounts[a.type] = (anomalyCounts[a.type] ?? 0) + 1;
  const perType = options.examplesPerType ?? 3;
  const kept = new Map<AnomalyType, number>();
  const anomalies = found.filter((a) => {
    const n = kept.get(a.type) ?? 0;
    kept.set(a.type, n + 1);
    return n < perType;
  });

  const notes = [...(search?.notes ?? [])];
  if (spentIn) notes.unshift(`${budget.interrupted ? 'the analysis was interrupted' : 'the budget ran out'} while ${spentIn}: anomalies not yet found may exist`);
  if (inference && inference.unknownValues > 0) notes.push(`${inference.unknownValues} reads returned values no transaction in the history wrote (a partial history, or corruption): they give no edges`);
  if (history.workload === 'rw-register') notes.push('rw-register orders are inferred only from reads before writes and the initial nil: cycles through orders no read revealed are not seen');
  const models = {} as Record<ConsistencyModel, ModelVerdict>;
  for (const m of CONSISTENCY_MODELS) {
    const forbidden = FORBIDDEN_BY[m];
    const needsRealtime = m === 'strict-serializable' && !realtime;
    const needsProcess = m === 'strong-session-serializable' && !processOrder;
    const undecided = spentIn !== undefined || needsRealtime || needsProcess || (search?.incomplete.has('G-single') === true && forbidden.includes('G-single'));
    models[m] = found.some((a) => forbidden.includes(a.type)) ? 'ruled-out' : undecided ? 'unknown' : 'not-ruled-out';
  }

  const named = new Set(anomalies.flatMap((a) => a.txns));
  const transactions: Record<number, { label: string; process: string; status: 'ok' | 'fail' | 'info'; ops: string }> = {};
  for (const i of [...named].sort((a, b) => a - b)) {
    const t = txns[i]!;
    transactions[i] = { label: txnLabel(t), process: String(t.process), status: t.status, ops: describeOps(t.ops) };
  }
  return {
    kind: 'txn-check',
    workload: history.workload,
    verdict: found.length > 0 ? 'illegal' : spentIn ? 'unknown' : 'ok',
    stoppedBecause: spentIn ? (budget.interrupted ? 'interrupted' : 'budget') : 'decided',
    counts: {
      transactions: txns.length,
      ok: txns.filter((t) => t.status === 'ok').length,
      failed: txns.filter((t) => t.status === 'fail').length,
      unknownOutcome: txns.filter((t) => t.status === 'info').length,
      processes: new Set(txns.map((t) => t.process)).size,
      keys: inference?.keys ?? 0,
    },
    graph: { edges, components: search?.components ?? 0, largestComponent: search?.largestComponent ?? 0 },
    anomalyCounts,
    anomalies,
    models,
    notes,
    options: { realtime, process: processOrder, budgetMs: options.budgetMs ?? null, maxSteps: options.maxSteps ?? null },
    elapsedMs: performance.now() - started,
    steps: budget.stepsUsed,
    transactions,
  };
}
