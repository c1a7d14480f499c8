import { Random } from '../core/random.js';
import type { Budget } from './budget.js';
import type { CompleteModel } from './model.js';

/** One operation as the search sees it: times are positions on one axis, any unit. */
export interface SearchOp<I, O> {
  readonly input: I;
  /** Undefined when the outcome is unknown. */
  readonly output: O | undefined;
  /**
   * False for an operation whose outcome nobody saw: it may take effect at any point after its call, or
   * never, so it has no return entry and the search may finish without it.
   */
  readonly known: boolean;
  readonly call: number;
  /** Ignored when `known` is false. */
  readonly ret: number;
}

export interface SearchOptions<S> {
  readonly initial: S;
  readonly budget: Budget;
  /** Keep the longest partial linearization (costs a little; the cheap check turns it off). */
  readonly trackLongest?: boolean;
  /** Collect the states in which this operation was tried and refused by the model. */
  readonly rejectionsOf?: number;
}

export interface SearchOutcome<S> {
  readonly verdict: 'ok' | 'illegal' | 'unknown';
  readonly steps: number;
  /**
   * `ok`: a linearization (operation indexes in order; unknown-outcome operations appear only if they took
   * effect). Otherwise the longest partial linearization found, when tracked.
   */
  readonly order: readonly number[];
  /** State after each operation of `order`. */
  readonly states: readonly S[];
  /** After the longest partial linearization: the operation whose response could not be placed next. */
  readonly blockedBy?: number;
  /** States in which `rejectionsOf` was tried and did not fit. */
  readonly rejectedStates: readonly S[];
}

interface Memo<S> {
  readonly lo: number;
  readonly words: Uint32Array;
  /** Unknown-outcome operations placed, ascending. */
  readonly unknown: Int32Array;
  readonly state: S;
  next: Memo<S> | undefined;
}

const ZOBRIST_SEED = 0x11ea12ab;
const NONE = new Int32Array(0);

/**
 * The Wing-Gong-Lowe search with Lowe's memoization, as Porcupine implements it, extended for operations whose
 * outcome is unknown.
 *
 * The history is a doubly linked list of call and return entries in time order. The search walks the calls
 * that precede the first remaining return: each is a candidate to take effect next. A candidate the model
 * accepts is "lifted" out of the list (its call and return removed) and pushed; reaching a return entry means
 * the operation it belongs to has not been placed although its response was already seen, so the last choice
 * is undone (the entries relinked in reverse order, dancing-links style) and the next candidate tried.
 *
 * Lowe's memo: two paths that linearized the same set of operations and reached equal states have the same
 * future, so a (set, state) seen before is never expanded again. The set is hashed incrementally (Zobrist:
 * one random value per operation, XORed in and out) and stored compactly: operation ids follow call order, so
 * every id below the first unlinearized one is linearized, and only the words between it and the highest
 * linearized id need keeping; that span is about the history's concurrency, not its length.
 *
 * Unknown-outcome operations have no return entry: nothing forces them, and they may take effect at any time
 * after their call, or never. Left in the list they would be tried first at every step (their calls are the
 * oldest) and every subset of them would be a distinct memo entry: exponential in their number. So they live
 * in a list of their own, tried only when no seen operation can go next, and the memo ignores them with a
 * dominance rule: (seen set, unknown set U, state) is pruned when (seen set, U', state) with U' a subset of U
 * was visited, because whatever completes the first also completes the second (never placing the extras).
 *
 * Equal timestamps are concurrent (calls sort before returns): a tie never adds an order the clocks did not
 * prove.
 */
export function searchLinearization<S, I, O>(model: CompleteModel<S, I, O>, ops: ReadonlyArray<SearchOp<I, O>>, options: SearchOptions<S>): SearchOutcome<S> {
  const n = ops.length;
  const sortable: Array<{ t: number; kind: number; op: number }> = [];
  ops.forEach((op, i) => {
    sortable.push({ t: op.call, kind: 0, op: i });
    if (op.known) sortable.push({ t: op.ret, kind: 1, op: i });
  });
  sortable.sort((a, b) => a.t - b.t || a.kind - b.kind || a.op - b.op);

  // The list of seen operations' calls and returns: nodes 1..M between HEAD and TAIL.
  let mainCount = 0;
  let infoCount = 0;
  for (const e of sortable) {
    if (ops[e.op]!.known) mainCount++;
    else infoCount++;
  }
  const HEAD = 0;
  const TAIL = mainCount + 1;
  const entryOp = new Int32Array(mainCount + 2);
  const entryIsCall = new Uint8Array(mainCount + 2);
  const entryRank = new Int32Array(mainCount + 2);
  const next = new Int32Array(mainCount + 2);
  const prev = new Int32Array(mainCount + 2);
  // The list of unknown-outcome calls: nodes 1..U between INFO_HEAD and INFO_TAIL.
  const INFO_HEAD = 0;
  const INFO_TAIL = infoCount + 1;
  const infoOp = new Int32Array(infoCount + 2);
  const infoRank = new Int32Array(infoCount + 2);
  const iNext = new Int32Array(infoCount + 2);
  const iPrev = new Int32Array(infoCount + 2);
  const callNode = new Int32Array(n);
  const retNode = new Int32Array(n).fill(-1);
  let m = 0;
  let u = 0;
  sortable.forEach((e, rank) => {
    if (ops[e.op]!.known) {
      const node = ++m;
      entryOp[node] = e.op;
      entryIsCall[node] = e.kind === 0 ? 1 : 0;
      entryRank[node] = rank;
      if (e.kind === 0) callNode[e.op] = node;
      else retNode[e.op] = node;
      prev[node] = node - 1;
      next[node] = node + 1;
    } else {
      const node = ++u;
      infoOp[node] = e.op;
      infoRank[node] = rank;
      callNode[e.op] = node;
      iPrev[node] = node - 1;
      iNext[node] = node + 1;
    }
  });
  next[HEAD] = mainCount > 0 ? 1 : TAIL;
  prev[TAIL] = mainCount;
  iNext[INFO_HEAD] = infoCount > 0 ? 1 : INFO_TAIL;
  iPrev[INFO_TAIL] = infoCount;

  const lift = (op: number): void => {
    const c = callNode[op]!;
    if (!ops[op]!.known) {
      iNext[iPrev[c]!] = iNext[c]!;
      iPrev[iNext[c]!] = iPrev[c]!;
      return;
    }
    next[prev[c]!] = next[c]!;
    prev[next[c]!] = prev[c]!;
    const r = retNode[op]!;
    next[prev[r]!] = next[r]!;
    prev[next[r]!] = prev[r]!;
  };
  const unlift = (op: number): void => {
    const c = callNode[op]!;
    if (!ops[op]!.known) {
      iNext[iPrev[c]!] = c;
      iPrev[iNext[c]!] = c;
      return;
    }
    const r = retNode[op]!;
    next[prev[r]!] = r;
    prev[next[r]!] = r;
    next[prev[c]!] = c;
    prev[next[c]!] = c;
  };

  const required = mainCount / 2;

  // Interchangeable unknown-outcome operations (equal inputs, e.g. many increments): of those that may go next,
  // only the one called last is tried. Whatever placing an earlier-called one allows, placing the later one
  // allows too (swap them: the earlier one can take effect at any point the later one could, and neither has a
  // response to match), so trying the others only repeats work, exponentially.
  const nextSame = new Int32Array(n).fill(-1);
  const infoPlaced = new Uint8Array(n);
  {
    const lastOfClass = new Map<string, number>();
    for (let node = 1; node <= infoCount; node++) {
      const op = infoOp[node]!;
      let cls: string;
      try {
        cls = JSON.stringify(ops[op]!.input) ?? `#${op}`;
      } catch {
        cls = `#${op}`;
      }
      const before = lastOfClass.get(cls);
      if (before !== undefined) nextSame[before] = op;
      lastOfClass.set(cls, op);
    }
  }
  /** True when a later-called equal unknown-outcome operation could go next instead of `op`. */
  const dominatedInfo = (op: number, limitRank: number): boolean => {
    let other = nextSame[op]!;
    while (other >= 0 && infoPlaced[other] === 1) other = nextSame[other]!;
    return other >= 0 && infoRank[callNode[other]!]! < limitRank;
  };

  const rng = Random.seeded(ZOBRIST_SEED);
  const zLo = new Uint32Array(n);
  const zHi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    zLo[i] = rng.nextUint32();
    zHi[i] = rng.nextUint32();
  }
  // Bits of seen operations placed so far. Unknown-outcome operations' bits are always set, so they never
  // hold back the compaction below and never tell two sets apart. One spare word, always zero, ends scans.
  const bits = new Uint32Array(((n + 31) >>> 5) + 1);
  ops.forEach((op, i) => {
    if (!op.known) bits[i >>> 5]! |= 1 << (i & 31);
  });
  let hLo = 0;
  let hHi = 0;
  let loWord = 0;
  while (bits[loWord] === 0xffffffff) loWord++;
  let maxPlaced = -1;
  /** Unknown-outcome operations placed, ascending. */
  const unknownPlaced: number[] = [];

  const stackOp = new Int32Array(n);
  const stackMax = new Int32Array(n);
  const stackLo = new Int32Array(n);
  const stackBlock = new Int32Array(n);
  /** 1 when the entry was a seen read: placing it was forced, so it is never an alternative to undo. */
  const stackForced = new Uint8Array(n);
  const stackState: S[] = new Array<S>(n);
  let depth = 0;
  let state = options.initial;
  let placed = 0;

  const memo = new Map<number, Memo<S>>();
  const isSubset = (small: Int32Array, big: readonly number[]): boolean => {
    if (small.length > big.length) return false;
    let j = 0;
    for (let i = 0; i < small.length; i++) {
      while (j < big.length && big[j]! < small[i]!) j++;
      if (j === big.length || big[j] !== small[i]) return false;
      j++;
    }
    return true;
  };
  /** Adds the current configuration with state `s` to the memo; false when it, or one that dominates it, was there. */
  const remember = (lo: number, hiWord: number, s: S, sh: number): boolean => {
    const key = ((hHi ^ Math.imul(sh, 0x9e3779b1)) >>> 0) * 0x200000 + (hLo & 0x1fffff);
    const len = Math.max(0, hiWord - lo + 1);
    const head = memo.get(key);
    for (let e = head; e; e = e.next) {
      if (e.lo !== lo || e.words.length !== len) continue;
      let same = true;
      for (let w = 0; w < len; w++) {
        if (e.words[w] !== bits[lo + w]) {
          same = false;
          break;
        }
      }
      if (same && isSubset(e.unknown, unknownPlaced) && model.equal(e.state, s)) return false;
    }
    memo.set(key, { lo, words: bits.slice(lo, lo + len), unknown: unknownPlaced.length === 0 ? NONE : Int32Array.from(unknownPlaced), state: s, next: head });
    return true;
  };

  const track = options.trackLongest === true;
  const bestOrder: number[] = [];
  const bestStates: S[] = [];
  let bestBlocked: number | undefined;
  let bestPlaced = -1;
  let minDepthSinceBest = 0;
  const rejected: S[] = [];
  const rejectionsOf = options.rejectionsOf ?? -1;

  const snapshot = (blockedBy: number): void => {
    // Stack positions below minDepthSinceBest are unchanged since the last snapshot: copy only the rest.
    bestOrder.length = depth;
    bestStates.length = depth;
    for (let k = minDepthSinceBest; k < depth; k++) {
      bestOrder[k] = stackOp[k]!;
      bestStates[k] = k + 1 < depth ? stackState[k + 1]! : state;
    }
    bestBlocked = blockedBy;
    bestPlaced = placed;
    minDepthSinceBest = depth;
  };

  const outcome = (verdict: SearchOutcome<S>['verdict'], steps: number): SearchOutcome<S> => {
    if (verdict !== 'unknown') options.budget.charge(steps - charged);
    if (verdict === 'ok') {
      const order = Array.from(stackOp.subarray(0, depth));
      const states = order.map((_, k) => (k + 1 < depth ? stackState[k + 1]! : state));
      return { verdict, steps, order, states, rejectedStates: rejected };
    }
    return { verdict, steps, order: bestOrder, states: bestStates, ...(bestBlocked !== undefined ? { blockedBy: bestBlocked } : {}), rejectedStates: rejected };
  };

  /** Tries `op` as the next to take effect; true when it was placed (pushed and lifted). */
  const tryPlace = (op: number, block: number): boolean => {
    const o = ops[op]!;
    const [legal, nextState] = model.step(state, o.input, o.output);
    if (!legal) {
      if (op === rejectionsOf && rejected.length < 8 && !rejected.some((r) => model.equal(r, state))) rejected.push(state);
      return false;
    }
    let lo = loWord;
    let hi = maxPlaced;
    if (o.known) {
      bits[op >>> 5]! |= 1 << (op & 31);
      hLo ^= zLo[op]!;
      hHi ^= zHi[op]!;
      while (bits[lo] === 0xffffffff) lo++;
      if (op > hi) hi = op;
    } else {
      infoPlaced[op] = 1;
      let at = unknownPlaced.length;
      while (at > 0 && unknownPlaced[at - 1]! > op) at--;
      unknownPlaced.splice(at, 0, op);
    }
    if (!remember(lo, hi < 0 ? -1 : hi >>> 5, nextState, model.hash(nextState))) {
      if (o.known) {
        bits[op >>> 5]! &= ~(1 << (op & 31));
        hLo ^= zLo[op]!;
        hHi ^= zHi[op]!;
      } else {
        infoPlaced[op] = 0;
        unknownPlaced.splice(unknownPlaced.indexOf(op), 1);
      }
      return false;
    }
    stackOp[depth] = op;
    stackMax[depth] = maxPlaced;
    stackLo[depth] = loWord;
    stackBlock[depth] = block;
    stackForced[depth] = o.known && model.readOnly(o.input) ? 1 : 0;
    stackState[depth] = state;
    depth++;
    loWord = lo;
    maxPlaced = hi;
    state = nextState;
    lift(op);
    if (o.known) placed++;
    return true;
  };

  /**
   * Reads are forced: a seen read that fits the current state can be placed now without losing any
   * linearization. In any linearization that places it later, the state at that later point equals its
   * output too, it changes nothing, and every operation that must precede it (returned before its call) is
   * already placed, so moving it here is still a linearization. Hence if the path after a read fails, so does
   * the configuration before it, and the search backtracks past it without trying alternatives.
   */
  const popOne = (): void => {
    depth--;
    if (depth < minDepthSinceBest) minDepthSinceBest = depth;
    const top = stackOp[depth]!;
    state = stackState[depth]!;
    loWord = stackLo[depth]!;
    maxPlaced = stackMax[depth]!;
    unlift(top);
    bits[top >>> 5]! &= ~(1 << (top & 31));
    hLo ^= zLo[top]!;
    hHi ^= zHi[top]!;
    placed--;
  };

  const isRead = new Uint8Array(n);
  ops.forEach((op, i) => {
    if (op.known && model.readOnly(op.input)) isRead[i] = 1;
  });
  /**
   * Places every seen read that fits the current state and may go next, before any other candidate. Placing
   * them is forced (see popOne), so it costs no branching, and done first it keeps a write chosen next from
   * changing the state under a read that fit. Reads do not change the state: one sweep places them all.
   * Returns the steps spent.
   */
  const sweepReads = (): number => {
    let spent = 0;
    let e = next[HEAD]!;
    while (e !== TAIL && entryIsCall[e] === 1) {
      spent++;
      const op = entryOp[e]!;
      if (isRead[op] === 1 && tryPlace(op, -1)) e = next[prev[e]!]!;
      else e = next[e]!;
    }
    return spent;
  };

  // Phase 1 walks the main list for seen candidates; at its first return entry (`block`), phase 2 tries the
  // unknown-outcome calls made before that return; when both are exhausted, the last choice is undone.
  let charged = 0;
  let steps = sweepReads();
  let phase = 1;
  let entry = next[HEAD]!;
  let block = -1;
  let info = INFO_TAIL;
  while (placed < required) {
    // The budget is asked every 1024 steps or so: reading the clock on every step would cost more than the step.
    if (++steps >= charged + 1024) {
      const ok = options.budget.charge(steps - charged);
      charged = steps;
      if (!ok) return outcome('unknown', steps);
    }
    if (phase === 1) {
      if (entry === TAIL) throw new Error('linearizability search ran past the last entry (internal error)');
      if (entryIsCall[entry] === 1) {
        if (tryPlace(entryOp[entry]!, -1)) {
          if (placed < required) steps += sweepReads();
          entry = next[HEAD]!;
        } else entry = next[entry]!;
        continue;
      }
      phase = 2;
      block = entry;
      info = iNext[INFO_HEAD]!;
      continue;
    }
    if (info !== INFO_TAIL && infoRank[info]! < entryRank[block]!) {
      if (dominatedInfo(infoOp[info]!, entryRank[block]!)) {
        info = iNext[info]!;
        continue;
      }
      if (tryPlace(infoOp[info]!, block)) {
        if (placed < required) steps += sweepReads();
        phase = 1;
        entry = next[HEAD]!;
      } else info = iNext[info]!;
      continue;
    }
    // A response was seen for an operation not yet placed, and nothing else can go first: undo the last choice.
    // Longest = most seen operations placed; among those, the fewest unknown-outcome ones (they are optional).
    if (track && (placed > bestPlaced || (placed === bestPlaced && depth < bestOrder.length))) snapshot(entryOp[block]!);
    // Undoing a forced read undoes the choice before it too: see `forced` below.
    while (depth > 0 && stackForced[depth - 1] === 1) popOne();
    if (depth === 0) {
      if (track && bestBlocked === undefined) bestBlocked = entryOp[block]!;
      return outcome('illegal', steps);
    }
    depth--;
    if (depth < minDepthSinceBest) minDepthSinceBest = depth;
    const top = stackOp[depth]!;
    state = stackState[depth]!;
    loWord = stackLo[depth]!;
    maxPlaced = stackMax[depth]!;
    unlift(top);
    if (ops[top]!.known) {
      bits[top >>> 5]! &= ~(1 << (top & 31));
      hLo ^= zLo[top]!;
      hHi ^= zHi[top]!;
      placed--;
      phase = 1;
      entry = next[callNode[top]!]!;
    } else {
      infoPlaced[top] = 0;
      unknownPlaced.splice(unknownPlaced.indexOf(top), 1);
      phase = 2;
      block = stackBlock[depth]!;
      info = iNext[callNode[top]!]!;
    }
  }
  return outcome('ok', steps);
}
