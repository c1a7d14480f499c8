import { messageOf, RacelabError } from '../core/errors.js';
import type { History, PairedHistory } from '../history/event.js';
import { pairOperations } from '../history/operations.js';
import { Budget } from './budget.js';
import type { CheckReport, CheckResult, OperationView, PartitionReport, Verdict, WindowReport } from './check-report.js';
import { describeOperationView, describeSpan, explainWindow, notMinimizedReason } from './explain.js';
import { completeModel, type CompleteModel, type Model } from './model.js';
import { modelByName } from './models.js';
import { prepareOperations, type Partition, type Prepared } from './prepare.js';
import { searchLinearization, type SearchOp, type SearchOutcome } from './search.js';
import { findWindow } from './window.js';
import { plural } from '../core/units.js';

export interface CheckOptions {
  /** Wall-time budget for the verdict, ms. Default: none. */
  readonly budgetMs?: number;
  /** Step budget for the verdict. Default: none. */
  readonly maxSteps?: number;
  /**
   * checkVerbose only: time for finding and explaining the smallest failing window, after the verdict, at most
   * what the verdict left of the budget. Default: the budget, or 10 s without a budget.
   */
  readonly explainBudgetMs?: number;
  /**
   * Where the object started: a value (a history header, `--initial`), `'unknown'` (any state: a recording that
   * never read it; needs a model with `unknownState`), or absent for the model's own `init`.
   */
  readonly initial?: InitialState;
  /**
   * Shared memory (an `Int32Array` over a SharedArrayBuffer) that another thread sets to non-zero to stop the
   * check at once, with the verdict known so far: how `racelab check` honours Ctrl+C while a worker checks.
   */
  readonly interrupt?: Int32Array;
  /**
   * checkVerbose only: time already spent on this check before it was called (reading the history), taken from
   * `budgetMs`, so that the budget covers the whole check. Default: 0.
   */
  readonly spentMs?: number;
  /**
   * checkVerbose only: time kept back from `budgetMs` for what the caller still has to do once the report is back
   * (print it, draw a page), so that the budget covers that too: the search, the window and its explanation end
   * this much sooner. Default: 0.
   */
  readonly reserveMs?: number;
  /**
   * checkVerbose only: how long explaining a window is expected to take once it is found (a view and words for
   * each of its operations: on a window left as large as the history, a few hundred ms). The window is searched
   * only when the verdict left this much besides, and its search stops this much before the budget's end. It is
   * not taken from the verdict's search: an illegal verdict without its window is still proved. Default: 0.
   */
  readonly explainReserveMs?: number;
  /**
   * checkVerbose only: false leaves the report's `timeline` empty, for a caller that does not show it (a text or
   * JSON report without the HTML page): on a large history the timeline is most of the report's memory. Default: true.
   */
  readonly timeline?: boolean;
}

export type InitialState = { readonly value: unknown } | 'unknown';

/** Each partition's starting state, checked once before any search: a bad initial value is bad input. */
function initialStates(m: AnyModel, partitions: readonly Partition[], initial: InitialState | undefined): Map<Partition, unknown> {
  const states = new Map<Partition, unknown>();
  for (const p of partitions) {
    if (initial === undefined) states.set(p, m.init());
    else if (initial === 'unknown') {
      if (!m.unknownState) throw new RacelabError('BAD_OPTION', `model ${m.name} has no unknown state; give the initial value`);
      states.set(p, m.unknownState());
    } else {
      try {
        states.set(p, m.initialState(initial.value, p.key));
      } catch (e) {
        throw new RacelabError('BAD_OPTION', `initial value: ${messageOf(e)}`);
      }
    }
  }
  return states;
}

type AnyModel = CompleteModel<unknown, unknown, unknown>;

function resolve(history: History | PairedHistory, model: Model | string): { paired: PairedHistory; m: AnyModel; prepared: Prepared } {
  const m = completeModel(typeof model === 'string' ? modelByName(model) : (model as Model));
  const paired = Array.isArray(history) ? pairOperations(history as History) : (history as PairedHistory);
  return { paired, m, prepared: prepareOperations(m, paired.operations) };
}

/** A partition's operations are the search's own (see `PreparedOperation`). */
function searchOps(partition: Partition): ReadonlyArray<SearchOp<unknown, unknown>> {
  return partition.ops;
}

/** Small partitions first: an illegal one is usually found sooner, and the cheap check stops there. */
function bySize(partitions: readonly Partition[]): Partition[] {
  return [...partitions].sort((a, b) => a.ops.length - b.ops.length);
}

function combine(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('illegal')) return 'illegal';
  if (verdicts.includes('unknown')) return 'unknown';
  return 'ok';
}

/**
 * Is the history linearizable with respect to the model? The cheap entry point: the verdict and its cost.
 * `history` is a list of events (checked for well-formedness first) or already-paired operations.
 */
export function check(history: History | PairedHistory, model: Model | string, options: CheckOptions = {}): CheckResult {
  const t0 = performance.now();
  const { paired, m, prepared } = resolve(history, model);
  const budget = new Budget(options.budgetMs, options.maxSteps, undefined, options.interrupt);
  const initials = initialStates(m, prepared.partitions, options.initial);
  const verdicts: Verdict[] = [];
  let steps = 0;
  for (const partition of bySize(prepared.partitions)) {
    const r = searchLinearization(m, searchOps(partition), { initial: initials.get(partition), budget });
    steps += r.steps;
    verdicts.push(r.verdict);
    if (r.verdict !== 'ok') break;
  }
  return { verdict: combine(verdicts), model: m.name, operations: paired.operations.length, partitions: prepared.partitions.length, steps, elapsedMs: performance.now() - t0 };
}

/**
 * The report of a check that stopped while its history was still being read (the budget ran out, or it was
 * interrupted): verdict unknown, nothing searched; `operations` counts those read, none of them checked.
 */
export function stoppedWhileReadingReport(
  model: Model | string,
  read: { readonly source: string; readonly operations: number; readonly elapsedMs: number; readonly interrupted: boolean },
  options: Pick<CheckOptions, 'budgetMs' | 'maxSteps' | 'initial'> = {},
): CheckReport {
  const m = completeModel(typeof model === 'string' ? modelByName(model) : (model as Model));
  const what = `${read.source}: ${plural(read.operations, 'operation', undefined, (x) => x.toLocaleString('en-US'))} read, none checked`;
  return {
    kind: 'check',
    model: m.name,
    verdict: 'unknown',
    operations: read.operations,
    partitions: 0,
    steps: 0,
    elapsedMs: read.elapsedMs,
    timeUnit: 'event',
    counts: { ok: 0, failed: 0, unknownOutcome: 0, processes: 0, unseenReads: 0 },
    budget: { timeMs: options.budgetMs ?? null, maxSteps: options.maxSteps ?? null },
    start: {
      from: options.initial === undefined ? 'model' : options.initial === 'unknown' ? 'unknown' : 'given',
      state: options.initial !== undefined && options.initial !== 'unknown' ? JSON.stringify(options.initial.value) : m.describeState(options.initial === 'unknown' && m.unknownState ? m.unknownState() : m.init()),
    },
    searchMs: 0,
    stoppedBecause: read.interrupted ? 'interrupted' : 'budget',
    stoppedWhileReading: true,
    partitionReports: [],
    explanation: [
      read.interrupted
        ? `Unknown: the check was interrupted while reading ${what}.`
        : `Unknown: the budget ran out while reading ${what}${options.budgetMs !== undefined ? ` (${options.budgetMs}ms for the whole check)` : ''}. Give it a bigger budget (--budget).`,
    ],
    timeline: [],
  };
}

/** A kv partition key is JSON (so 1 and "1" stay apart); show strings as themselves. */
function partitionLabel(key: string | undefined): string | null {
  if (key === undefined) return null;
  try {
    const v: unknown = JSON.parse(key);
    return typeof v === 'string' ? v : key;
  } catch {
    return key;
  }
}

/**
 * The verdict with everything a report needs: each partition's linearization (or longest partial one), and for
 * an illegal history the smallest window that cannot be linearized, explained in words.
 */
export function checkVerbose(history: History | PairedHistory, model: Model | string, options: CheckOptions = {}): CheckReport {
  const t0 = performance.now();
  const { paired, m, prepared } = resolve(history, model);
  const ops = paired.operations;
  // One clock for every phase: the window and its explanation get what the verdict left of the budget.
  const budget = new Budget(options.budgetMs !== undefined ? Math.max(0, options.budgetMs - (options.spentMs ?? 0) - (options.reserveMs ?? 0) - (performance.now() - t0)) : undefined, options.maxSteps, undefined, options.interrupt);
  const initials = initialStates(m, prepared.partitions, options.initial);

  // Each operation's view, made when first needed: every one for the timeline, only the few an explanation names
  // without it (on a large history the views and their texts are the biggest part of the report).
  const withTimeline = options.timeline !== false;
  const views = new Array<OperationView | undefined>(ops.length);
  const viewOf = (id: number): OperationView => (views[id] ??= makeView(ops[id]!));
  const makeView = (op: (typeof ops)[number]): OperationView => {
    const d = prepared.decoded[op.id]!;
    return {
      id: op.id,
      process: op.process,
      f: op.f,
      description: m.describeOperation(d.input, op.status === 'ok' ? d.output : undefined),
      status: op.status,
      call: op.call,
      return: Number.isFinite(op.return) ? op.return : null,
      ...(op.invokeLine !== undefined ? { line: op.invokeLine } : {}),
    };
  };
  if (withTimeline) for (let id = 0; id < ops.length; id++) viewOf(id);

  const outcomes = new Map<Partition, SearchOutcome<unknown>>();
  const searchStart = performance.now();
  let steps = 0;
  /** The partition whose search used up the budget: the first (in search order) left undecided. */
  let exhaustedIn: Partition | undefined;
  for (const partition of bySize(prepared.partitions)) {
    let r = searchLinearization(m, searchOps(partition), { initial: initials.get(partition), budget, trackLongest: true });
    if (r.verdict === 'illegal' && m.reaches && m.resets) {
      // Growth pruning decided it; the explanation is the unpruned search's longest linearization (pruning cuts
      // some short), when the budget left allows it.
      const plain = searchLinearization(m, searchOps(partition), { initial: initials.get(partition), budget, trackLongest: true, growth: false });
      if (plain.verdict === 'illegal') r = { ...plain, steps: r.steps + plain.steps };
      else r = { ...r, steps: r.steps + plain.steps };
    }
    steps += r.steps;
    outcomes.set(partition, r);
    if (r.verdict === 'unknown' && exhaustedIn === undefined) exhaustedIn = partition;
  }
  const searchMs = performance.now() - searchStart;

  const partitionReports: PartitionReport[] = prepared.partitions.map((partition) => {
    const r = outcomes.get(partition)!;
    const label = partitionLabel(partition.key);
    const order = r.order.map((k) => partition.ops[k]!.op.id);
    if (withTimeline) {
      order.forEach((id, k) => {
        // The views were made here, above: setting a field costs nothing, a copy per operation costs seconds.
        const view = viewOf(id) as { order?: number; stateAfter?: string };
        view.order = k + 1;
        const state = r.states[k];
        if (state !== undefined) view.stateAfter = m.describeState(state);
      });
      if (label !== null) for (const p of partition.ops) (viewOf(p.op.id) as { partition?: string }).partition = label;
    }
    const finalState = r.states.length > 0 ? r.states[r.states.length - 1] : initials.get(partition);
    return {
      key: label,
      operations: partition.ops.length,
      verdict: r.verdict,
      steps: r.steps,
      linearized: order.length,
      order,
      finalState: m.describeState(finalState),
      ...(r.verdict !== 'ok' && r.blockedBy !== undefined ? { blockedBy: partition.ops[r.blockedBy]!.op.id } : {}),
    };
  });
  // Failed operations and unseen reads belong to their key too, for the timeline.
  if (m.partitionKey && withTimeline) {
    for (const op of ops) {
      if (viewOf(op.id).partition === undefined) {
        const key = partitionLabel(m.partitionKey(prepared.decoded[op.id]!.input));
        if (key !== null) (viewOf(op.id) as { partition?: string }).partition = key;
      }
    }
  }

  const verdict = combine(partitionReports.map((p) => p.verdict));
  const origin = ops.length > 0 ? ops[0]!.call : 0;
  let window: WindowReport | undefined;
  const explanation: string[] = [];
  const total = ops.length;
  const counts = {
    ok: ops.filter((o) => o.status === 'ok').length,
    failed: prepared.dropped.failed,
    unknownOutcome: ops.filter((o) => o.status === 'info').length,
    processes: paired.processes.length,
    unseenReads: prepared.dropped.unseenReads,
  };

  // Explaining the window costs at least two more searches of the window (its longest order, then where it
  // stops): with less time left than the verdict took, it cannot fit in the budget. A Ctrl+C while the window is
  // searched leaves no window either: the verdict is out at once, with the search's own proof.
  const illegalIndex = prepared.partitions.findIndex((p) => outcomes.get(p)!.verdict === 'illegal');
  // What explaining the window will take is kept back from its search, and must be there besides.
  const explainReserve = options.explainReserveMs ?? 0;
  const w =
    verdict === 'illegal' && !budget.exhausted && budget.remainingMs >= searchMs + explainReserve
      ? (() => {
          const partition = prepared.partitions[illegalIndex]!;
          const explainMs = Math.min(options.explainBudgetMs ?? (options.budgetMs !== undefined ? options.budgetMs : 10_000), budget.remainingMs - explainReserve);
          // Each check of the window search may cost a few times the search that found the violation, no more.
          return findWindow(m, partition, budget.child(explainMs), Math.min(options.maxSteps ?? Infinity, Math.max(50_000, 4 * outcomes.get(partition)!.steps)), initials.get(partition));
        })()
      : undefined;
  if (verdict === 'illegal' && w === undefined) {
    // The proof is the search's own.
    const pr = partitionReports[illegalIndex]!;
    const label = pr.key;
    const stuck = pr.blockedBy !== undefined ? viewOf(pr.blockedBy) : undefined;
    explanation.push(
      `Not linearizable: no order of the ${pr.operations} operations${label !== null ? ` on key ${label}` : ''} that respects real time explains every response they saw.` +
        (stuck ? ` The longest order the search found places ${pr.linearized} of them and stops at ${describeOperationView(stuck)} (${describeSpan(stuck, paired.timeUnit, origin)}).` : '') +
        (budget.interrupted
          ? ' The check was interrupted before the smallest failing window was found; run it again, uninterrupted, to have it explained.'
          : ' The budget ran out before the smallest failing window was found; give a bigger budget to have it explained.'),
    );
  } else if (verdict === 'illegal' && w !== undefined) {
    const partition = prepared.partitions[illegalIndex]!;
    const idOf = (k: number): number => partition.ops[k]!.op.id;
    const label = partitionLabel(partition.key);
    const essential = w.essential.map(idOf);
    const lastState = w.longest.states.length > 0 ? w.longest.states[w.longest.states.length - 1] : w.initialState;
    const words = explainWindow({
      partition: label,
      from: w.from,
      initialState: m.describeState(w.initialState),
      essential: essential.map((id) => viewOf(id)),
      relaxed: w.relaxed.map((k) => viewOf(idOf(k))),
      order: w.longest.order.map((k) => viewOf(idOf(k))),
      finalState: m.describeState(lastState),
      stopsAt: w.longest.blockedBy !== undefined ? viewOf(idOf(w.longest.blockedBy)) : undefined,
      refusedIn: w.longest.rejectedStates.map((s) => m.describeState(s)),
      minimized: w.minimized,
      ...(w.notMinimizedBecause !== undefined ? { notMinimizedBecause: w.notMinimizedBecause } : {}),
      longestComplete: w.longestComplete,
      ...(w.longestCut !== undefined ? { longestCut: w.longestCut } : {}),
      before: w.before,
      timeUnit: paired.timeUnit,
      origin,
    });
    const breakView = viewOf(idOf(w.breakOp));
    window = {
      partition: label,
      from: w.from,
      operations: essential,
      mayHaveTakenEffect: w.relaxed.map(idOf),
      breakOperation: breakView.id,
      start: essential.reduce((min, id) => Math.min(min, viewOf(id).call), Infinity),
      end: breakView.return ?? breakView.call,
      order: w.longest.order.map(idOf),
      ...(w.longest.blockedBy !== undefined ? { stopsAt: idOf(w.longest.blockedBy) } : {}),
      refusedIn: w.longest.rejectedStates.map((s) => m.describeState(s)),
      minimized: w.minimized,
      ...(w.notMinimizedBecause !== undefined ? { notMinimizedBecause: w.notMinimizedBecause } : {}),
      explanation: words,
    };
    const pr = partitionReports[illegalIndex]!;
    explanation.push(
      `Not linearizable: no order of the ${pr.operations} operations${label !== null ? ` on key ${label}` : ''} that respects real time explains every response they saw. The response that cannot be explained is ${describeOperationView(breakView)} (${describeSpan(breakView, paired.timeUnit, origin)}${breakView.line !== undefined && paired.timeUnit === 'us' ? `, line ${breakView.line}` : ''}); ${w.minimized ? 'the smallest failing window has' : `a failing window (not made as small as possible: ${notMinimizedReason(w.notMinimizedBecause ?? 'budget')}) has`} ${plural(essential.length, 'operation')}.`,
      ...words,
    );
  } else if (verdict === 'ok') {
    const unknownTookEffect = partitionReports.reduce((s, p) => s + p.order.filter((id) => ops[id]!.status === 'info').length, 0);
    explanation.push(
      `Linearizable: each of the ${plural(counts.ok, 'completed operation')} from ${plural(counts.processes, 'process', 'processes')} can be placed at one instant between its invocation and its response, so that the sequence is a correct run of a sequential ${m.name}${prepared.partitions.length > 1 ? ` (${prepared.partitions.length} keys, each checked on its own)` : ''}.` +
        (counts.unknownOutcome > 0
          ? ` ${counts.unknownOutcome} operation${counts.unknownOutcome === 1 ? ' has an' : 's have'} unknown outcome; the order found has ${unknownTookEffect} of them take effect and the rest never.`
          : ''),
    );
  } else {
    const stuck = partitionReports.filter((p) => p.verdict === 'unknown');
    const first = exhaustedIn !== undefined ? partitionReports[prepared.partitions.indexOf(exhaustedIn)] : undefined;
    explanation.push(
      budget.interrupted
        ? `Unknown: the check was interrupted after ${steps} steps, before deciding ${stuck.length} of ${plural(partitionReports.length, 'partition')}.`
        : `Unknown: the search ran out of its budget (${[options.budgetMs !== undefined ? `${options.budgetMs}ms` : '', options.maxSteps !== undefined ? `${options.maxSteps} steps` : ''].filter(Boolean).join(', ')}) after ${steps} steps, before deciding ${stuck.length} of ${plural(partitionReports.length, 'partition')}.` +
        (first
          ? first.key !== null
            ? ` The budget was used up searching key ${first.key} (${first.steps} steps): the longest partial linearization found there places ${first.linearized} of its ${first.operations} operations. Give it a bigger budget (--budget).`
            : ` The longest partial linearization found places ${first.linearized} of its ${first.operations} operations. Give it a bigger budget (--budget).`
          : ''),
    );
  }

  return {
    kind: 'check',
    model: m.name,
    verdict,
    operations: total,
    partitions: prepared.partitions.length,
    steps,
    elapsedMs: performance.now() - t0,
    timeUnit: paired.timeUnit,
    counts,
    budget: { timeMs: options.budgetMs ?? null, maxSteps: options.maxSteps ?? null },
    start: {
      from: options.initial === undefined ? 'model' : options.initial === 'unknown' ? 'unknown' : 'given',
      state: m.describeState(prepared.partitions.length > 0 ? initials.get(prepared.partitions[0]!) : options.initial === 'unknown' && m.unknownState ? m.unknownState() : m.init()),
    },
    searchMs,
    stoppedBecause: verdict === 'unknown' ? (budget.interrupted ? 'interrupted' : 'budget') : 'decided',
    ...(verdict !== 'unknown' && budget.interrupted ? { interrupted: true } : {}),
    partitionReports,
    ...(window ? { window } : {}),
    explanation,
    timeline: withTimeline ? (views as OperationView[]) : [],
  };
}
