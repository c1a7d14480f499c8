import { Budget } from './budget.js';
import type { CompleteModel } from './model.js';
import type { Partition } from './prepare.js';
import { searchLinearization, type SearchOp, type SearchOutcome } from './search.js';

/**
 * Why a search of the window stopped short: the check's time budget ran out, one check of a candidate window ran
 * out of its own steps (`stepsPerCheck`), the window had too many operations to try removing, or the check was
 * interrupted (Ctrl+C).
 */
export type WindowCut = 'budget' | 'steps' | 'size' | 'interrupt';

/** What stopped a search that came back `unknown` on `budget`: Ctrl+C, its own step cap, or the time. */
function stoppedBy(budget: Budget): Exclude<WindowCut, 'size'> {
  return budget.interrupted ? 'interrupt' : budget.stepsUsed >= budget.maxSteps ? 'steps' : 'budget';
}

/**
 * The smallest window of a non-linearizable partition that is non-linearizable on its own. Every step below
 * only ever *weakens* the history (drops operations that cannot matter, or turns a seen outcome into an unknown
 * one), so a window proven illegal is a proof that the whole history is illegal:
 *
 * 1. End: linearizability is prefix-closed, so binary search finds the shortest prefix (cut at a response)
 *    that is already illegal. Operations still running at the cut become unknown-outcome. The response at
 *    the cut is the break: the first response that no order can explain.
 * 2. Start: with a model that has an "unknown state", pick a start c; the window starts from any state.
 *    Operations that returned before c are dropped (they took effect before c: the unknown state covers them);
 *    seen operations invoked before c but returning after it become unknown-outcome operations invoked at c
 *    (if they took effect before c, the unknown state covers them; if after, they are placed there). Only
 *    operations invoked at or after c stay seen, so none of them could have taken effect before c. Binary
 *    search finds the latest start that still fails.
 * 3. Essential operations: ddmin over the window's seen operations turns as many as possible into unknown ones
 *    (reads are dropped outright); what remains seen is what the proof needs.
 */
export interface WindowResult<S> {
  readonly from: 'initial' | 'unknown';
  readonly initialState: S;
  /** Partition indexes of the operations whose responses the proof needs, in call order (the break included). */
  readonly essential: readonly number[];
  /** Partition indexes of operations kept as "may have taken effect" (unknown outcomes, relaxed ones). */
  readonly relaxed: readonly number[];
  /** Partition index of the operation whose response cannot be explained. */
  readonly breakOp: number;
  /** Operations of the partition that returned before the window starts (their effect is in the unknown state). */
  readonly before: number;
  /** False when the window could not be made as small as it could be; `notMinimizedBecause` says why. */
  readonly minimized: boolean;
  readonly notMinimizedBecause?: WindowCut;
  /** False when the window's own search was cut short: its longest order is the longest found, not the longest. */
  readonly longestComplete: boolean;
  readonly longestCut?: Exclude<WindowCut, 'size'>;
  /** The final window's own search: the longest order found and where it stops. */
  readonly longest: {
    readonly order: readonly number[];
    readonly states: readonly S[];
    readonly blockedBy: number | undefined;
    readonly rejectedStates: readonly S[];
  };
}

interface Positions {
  readonly call: Float64Array;
  readonly ret: Float64Array;
  /** Positions of responses of seen operations, ascending. */
  readonly returns: readonly number[];
  readonly opAtReturn: ReadonlyMap<number, number>;
}

/** Ranks every call and return on one axis with the search's own tie rule (calls first at equal times). */
function positions(partition: Partition): Positions {
  const entries: Array<{ t: number; kind: number; i: number }> = [];
  partition.ops.forEach((p, i) => {
    entries.push({ t: p.op.call, kind: 0, i });
    if (p.known) entries.push({ t: p.op.return, kind: 1, i });
  });
  entries.sort((a, b) => a.t - b.t || a.kind - b.kind || a.i - b.i);
  const call = new Float64Array(partition.ops.length);
  const ret = new Float64Array(partition.ops.length).fill(Infinity);
  const returns: number[] = [];
  const opAtReturn = new Map<number, number>();
  entries.forEach((e, pos) => {
    if (e.kind === 0) call[e.i] = pos;
    else {
      ret[e.i] = pos;
      returns.push(pos);
      opAtReturn.set(pos, e.i);
    }
  });
  return { call, ret, returns, opAtReturn };
}

interface WindowSpec {
  /** Responses after this position are not seen (the prefix cut); operations invoked after it are left out. */
  readonly end: number;
  /**
   * From an unknown state: operations that returned before `start` are dropped, and seen operations invoked
   * before it are kept as unknown-outcome ones invoked at `start` (see step 2 above).
   */
  readonly start: number;
  readonly fromUnknown: boolean;
  /** Seen operations deliberately turned into unknown-outcome ones. */
  readonly relaxed: ReadonlySet<number>;
}

/**
 * `budget` bounds the whole search for the window (time); `stepsPerCheck` bounds each of its checks, so that
 * one expensive candidate (many operations relaxed to unknown outcomes can make the search exponential) is
 * given up on, kept as it was, and the rest of the minimization goes on. Undefined when the budget's interrupt
 * is set (Ctrl+C) during the minimization.
 */
export function findWindow<S, I, O>(model: CompleteModel<S, I, O>, partition: Partition<I, O>, whole: Budget, stepsPerCheck = 50_000, initial: S = model.init()): WindowResult<S> | undefined {
  // Minimizing may use three fifths of what is left; the rest is kept for the final window's own searches, which the
  // explanation needs, and for the report, so that the whole stays within the budget.
  const budget = whole.child(whole.remainingMs * 0.6);
  const pos = positions(partition as Partition);
  const ops = partition.ops;

  /** The window's operations as search input, with their partition indexes. */
  const build = (spec: WindowSpec): { list: Array<SearchOp<I, O>>; index: number[]; essential: number[]; relaxed: number[] } => {
    const list: Array<SearchOp<I, O>> = [];
    const index: number[] = [];
    const essential: number[] = [];
    const relaxed: number[] = [];
    ops.forEach((p, i) => {
      const call = pos.call[i]!;
      if (call > spec.end) return;
      if (spec.fromUnknown && pos.ret[i]! < spec.start) return;
      const seen = p.known && pos.ret[i]! <= spec.end && !spec.relaxed.has(i) && (!spec.fromUnknown || call >= spec.start);
      if (seen) {
        list.push({ input: p.input, output: p.output, known: true, call, ret: pos.ret[i]! });
        essential.push(i);
      } else {
        if (model.readOnly(p.input)) return;
        list.push({ input: p.input, output: undefined, known: false, call: spec.fromUnknown ? Math.max(call, spec.start) : call, ret: Infinity });
        relaxed.push(i);
      }
      index.push(i);
    });
    return { list, index, essential, relaxed };
  };

  const initialOf = (spec: WindowSpec): S => (spec.fromUnknown ? model.unknownState!() : initial);
  /** Why minimizing fell short, if it did: the first reason seen, but an interrupt (checked last) wins. */
  let cut: WindowCut | undefined;
  /** Proven illegal within its step cap; a check that runs out counts as "not proven", which is always sound. */
  const illegal = (spec: WindowSpec): boolean => {
    if (budget.exhausted) {
      cut ??= 'budget';
      return false;
    }
    // Building a window of a large partition takes a while; a budget spent (or a Ctrl+C) meanwhile stops the
    // search before it starts, and comes back as `unknown` with no steps used: a budget cut.
    const { list } = build(spec);
    const capped = budget.child(Infinity, stepsPerCheck);
    const r = searchLinearization(model, list, { initial: initialOf(spec), budget: capped });
    if (r.verdict === 'unknown') cut ??= stoppedBy(capped);
    return r.verdict === 'illegal';
  };

  // 1. The shortest illegal prefix. The whole partition is illegal, so the last response is a valid cut.
  const returns = pos.returns;
  let lo = 0;
  let hi = returns.length - 1;
  const none = new Set<number>();
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (illegal({ end: returns[mid]!, start: -Infinity, fromUnknown: false, relaxed: none })) hi = mid;
    else lo = mid + 1;
  }
  const end = returns[hi]!;
  const breakOp = pos.opAtReturn.get(end)!;

  // 2. The latest start from which the window fails on its own, from any state. The break must stay seen,
  // so starts range over the calls up to the break's.
  let spec: WindowSpec = { end, start: -Infinity, fromUnknown: false, relaxed: none };
  if (model.unknownState) {
    const starts = [...new Set(ops.map((_, i) => pos.call[i]!).filter((c) => c <= pos.call[breakOp]!))].sort((x, y) => x - y);
    const at = (k: number): WindowSpec => ({ end, start: starts[k]!, fromUnknown: true, relaxed: none });
    if (starts.length > 0 && illegal(at(0))) {
      let a = 0;
      let b = starts.length - 1;
      while (a < b) {
        const mid = (a + b + 1) >>> 1;
        if (illegal(at(mid))) a = mid;
        else b = mid - 1;
      }
      spec = at(a);
    }
  }

  // 3. ddmin: relax chunks of seen operations while the window stays illegal.
  const MAX_MINIMIZE = 2000;
  const candidates = build(spec).essential.filter((i) => i !== breakOp);
  const relaxed = new Set<number>();
  if (candidates.length <= MAX_MINIMIZE) {
    const queue: number[][] = [candidates];
    while (queue.length > 0 && !budget.exhausted) {
      const chunk = queue.shift()!;
      const trial = new Set([...relaxed, ...chunk]);
      if (illegal({ ...spec, relaxed: trial })) for (const i of chunk) relaxed.add(i);
      else if (chunk.length > 1) {
        const half = chunk.length >>> 1;
        queue.unshift(chunk.slice(0, half), chunk.slice(half));
      }
    }
  } else cut ??= 'size';
  // Interrupted (Ctrl+C): the caller wants the verdict now, not an explanation of a window left large.
  if (whole.interrupted) return undefined;
  const final: WindowSpec = { ...spec, relaxed };

  // The final window's own longest partial linearization, then which states refused the op it stops at.
  const { list, index, essential, relaxed: relaxedOps } = build(final);
  const initialState = initialOf(final);
  // The final searches explain the window within what is left; when it runs out `longestComplete` says so.
  // Each of the two gets a third of what is left, so that building the report (its explanation, for a
  // window that could not be minimized, walks every operation) still fits.
  const capped = (): Budget => whole.child(whole.remainingMs / 3, stepsPerCheck);
  const firstBudget = capped();
  const first: SearchOutcome<S> = searchLinearization(model, list, { initial: initialState, budget: firstBudget, trackLongest: true });
  const blockedLocal = first.blockedBy;
  const second =
    blockedLocal !== undefined ? searchLinearization(model, list, { initial: initialState, budget: capped(), rejectionsOf: blockedLocal }) : undefined;
  return {
    from: final.fromUnknown ? 'unknown' : 'initial',
    initialState,
    essential,
    relaxed: relaxedOps,
    breakOp,
    before: final.fromUnknown ? ops.filter((_, i) => pos.ret[i]! < final.start).length : 0,
    minimized: cut === undefined,
    ...(cut !== undefined ? { notMinimizedBecause: whole.interrupted ? 'interrupt' : cut } : {}),
    longestComplete: first.verdict !== 'unknown',
    ...(first.verdict === 'unknown' ? { longestCut: stoppedBy(firstBudget) } : {}),
    longest: {
      order: first.order.map((k) => index[k]!),
      states: first.states,
      blockedBy: blockedLocal !== undefined ? index[blockedLocal] : undefined,
      rejectedStates: second?.rejectedStates ?? [],
    },
  };
}
