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
/** The walks that try candidates, in order (see the main loop). */
const PREFERRED = 1;
const OTHERS = 2;
const UNSEEN = 3;
const NONE = new Int32Array(0);

/**
 * The Wing-Gong-Lowe search with Lowe's memoization, as Porcupine implements it, extended for operations whose
 * outcome is unknown.
 *
 * The history is a doubly linked list of call and return entries in time order. The calls that precede the
 * first remaining return (the frontier) are the candidates to take effect next. A candidate the model accepts
 * is "lifted" out of the list (its call and return removed) and pushed; when no candidate fits, the last choice
 * is undone (the entries relinked in reverse order, dancing-links style) and the next candidate tried.
 *
 * What keeps it fast when many clients overlap (each rule is argued where it is applied, and a property test
 * compares the verdicts with the plain definition): candidates are tried in response order, those that let
 * the frontier's operation go next first (Lowe's just-in-time linearization); a seen read that fits is placed
 * at once and never undone alone; of interchangeable operations (equal input and output) only the one whose
 * response came first is tried; and, when the model says what a read observes and what a write leaves, a
 * configuration in which some read can no longer see its value is abandoned as soon as it is reached.
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

  // Interchangeable seen operations (equal input and equal output: two `write 3`s, two `cas [1 2]`s, many
  // increments): of those that may go next, only the one whose response came first is tried. If a
  // linearization places a later-returning twin b now and the earlier-returning a at some later point p, swap
  // them: a now is allowed (it may go next), b at p is allowed (b was called before now, and p precedes a's
  // response, so also b's), every operation that had to follow a or b follows both (it was called after a
  // response; the earlier one is a's, and both sit no later than p), and the model sees the same step at each
  // point, so every state is unchanged. So whatever placing b allows, placing a allows too.
  // Each class keeps its unplaced members in call order (a circular list through a sentinel at n + class), so
  // checking a candidate walks only the class's operations that are still pending.
  const classOf = new Int32Array(n).fill(-1);
  const callRank = new Int32Array(n);
  const retRank = new Int32Array(n);
  let classCount = 0;
  {
    const byKey = new Map<string, number>();
    for (let node = 1; node <= mainCount; node++) {
      const op = entryOp[node]!;
      if (entryIsCall[node] === 1) callRank[op] = entryRank[node]!;
      else retRank[op] = entryRank[node]!;
    }
    for (let node = 1; node <= mainCount; node++) {
      const op = entryOp[node]!;
      if (entryIsCall[node] === 0 || op === options.rejectionsOf) continue;
      const key = interchangeKey(ops[op]!.input, ops[op]!.output);
      if (key === undefined) continue;
      let cls = byKey.get(key);
      if (cls === undefined) byKey.set(key, (cls = classCount++));
      classOf[op] = cls;
    }
  }
  const cNext = new Int32Array(n + classCount);
  const cPrev = new Int32Array(n + classCount);
  for (let k = 0; k < classCount; k++) cNext[n + k] = cPrev[n + k] = n + k;
  for (let node = 1; node <= mainCount; node++) {
    const op = entryOp[node]!;
    const cls = classOf[op]!;
    if (entryIsCall[node] === 0 || cls < 0) continue;
    const sentinel = n + cls;
    const last = cPrev[sentinel]!;
    cNext[last] = op;
    cPrev[op] = last;
    cNext[op] = sentinel;
    cPrev[sentinel] = op;
  }
  // The frontier: the first response still in the list. Only operations called before it may go next (the
  // candidates; the one it belongs to is always among them), and their responses all lie at or after it, so
  // walking the list from the frontier visits the candidates in response order. Cached until the list changes.
  let frontierNode = -1;
  let frontierRank = 0;
  /** The latest response of a candidate: the candidate walk ends there. */
  let frontierLast = 0;
  const refreshFrontier = (): void => {
    let e = next[HEAD]!;
    let last = -1;
    while (e !== TAIL && entryIsCall[e] === 1) {
      const op = entryOp[e]!;
      if (retRank[op]! > last) last = retRank[op]!;
      e = next[e]!;
    }
    frontierNode = e;
    frontierRank = e === TAIL ? 0x7fffffff : entryRank[e]!;
    frontierLast = last;
  };
  // Support (models that say what a read observes, as the register does): a seen read of v can only be placed
  // where the state is v, so it needs either the state to be v now or an operation still to be placed that can
  // leave v (a write or cas to v, or one whose result depends on the state), called before the read's response.
  // The last operation that changes the state before the read is such an operation: placed after now and before
  // the read, so it was called before the read's response. A configuration where some read has neither is dead,
  // however the search goes on from it: it is given up at once instead of when the read's response is reached,
  // possibly far deeper. For each observed state, the unplaced reads wait in a list by response and the
  // unplaced operations that can produce it in a list by call: only the heads decide.
  const observes = model.observes;
  const readClass = new Int32Array(n).fill(-1);
  /** Class of the state an operation produces; -1: none a read observes; -2: depends on the state before. */
  const prodClass = new Int32Array(n).fill(-1);
  const callAt = new Int32Array(n);
  const observed: S[] = [];
  const classByHash = new Map<number, number[]>();
  const classOfState = (s: S, h: number): number => {
    const list = classByHash.get(h);
    if (list) for (const k of list) if (model.equal(observed[k]!, s)) return k;
    return -1;
  };
  sortable.forEach((e, rank) => {
    if (e.kind === 0) callAt[e.op] = rank;
  });
  if (observes) {
    ops.forEach((o, i) => {
      if (!o.known || !model.readOnly(o.input)) return;
      const v = observes(o.input, o.output);
      if (v === undefined) return;
      const h = model.hash(v);
      let k = classOfState(v, h);
      if (k < 0) {
        k = observed.length;
        observed.push(v);
        const list = classByHash.get(h);
        if (list) list.push(k);
        else classByHash.set(h, [k]);
      }
      readClass[i] = k;
    });
    ops.forEach((o, i) => {
      if (model.readOnly(o.input)) return;
      const v = model.produces ? model.produces(o.input, o.output) : undefined;
      prodClass[i] = v === undefined ? -2 : classOfState(v, model.hash(v));
    });
  }
  const support = observed.length > 0;
  const classes = observed.length;
  const ANY = n + classes;
  const rdNext = new Int32Array(support ? n + classes : 0);
  const rdPrev = new Int32Array(support ? n + classes : 0);
  const prNext = new Int32Array(support ? n + classes + 1 : 0);
  const prPrev = new Int32Array(support ? n + classes + 1 : 0);
  if (support) {
    for (let k = 0; k <= classes; k++) {
      if (k < classes) rdNext[n + k] = rdPrev[n + k] = n + k;
      prNext[n + k] = prPrev[n + k] = n + k;
    }
    const append = (nx: Int32Array, pv: Int32Array, sentinel: number, op: number): void => {
      const last = pv[sentinel]!;
      nx[last] = op;
      pv[op] = last;
      nx[op] = sentinel;
      pv[sentinel] = op;
    };
    for (const e of sortable) {
      if (e.kind === 1 && readClass[e.op]! >= 0) append(rdNext, rdPrev, n + readClass[e.op]!, e.op);
      if (e.kind === 0 && prodClass[e.op] !== -1) append(prNext, prPrev, prodClass[e.op] === -2 ? ANY : n + prodClass[e.op]!, e.op);
    }
  }
  /** False when the earliest-returning unplaced read observing class k's state can no longer be satisfied. */
  const supported = (k: number): boolean => {
    const r = rdNext[n + k]!;
    if (r === n + k) return true;
    const o = ops[r]!;
    if (model.step(state, o.input, o.output)[0]) return true;
    const limit = retRank[r]!;
    const p = prNext[n + k]!;
    if (p !== n + k && callAt[p]! < limit) return true;
    const w = prNext[ANY]!;
    return w !== ANY && callAt[w]! < limit;
  };
  const unlinkSupport = (op: number): void => {
    if (readClass[op]! >= 0) {
      rdNext[rdPrev[op]!] = rdNext[op]!;
      rdPrev[rdNext[op]!] = rdPrev[op]!;
    } else if (prodClass[op] !== -1) {
      prNext[prPrev[op]!] = prNext[op]!;
      prPrev[prNext[op]!] = prPrev[op]!;
    }
  };
  const relinkSupport = (op: number): void => {
    if (readClass[op]! >= 0) {
      rdNext[rdPrev[op]!] = op;
      rdPrev[rdNext[op]!] = op;
    } else if (prodClass[op] !== -1) {
      prNext[prPrev[op]!] = op;
      prPrev[prNext[op]!] = op;
    }
  };

  /** True when an interchangeable twin of the candidate `op` may go next too and its response came first. */
  const dominatedSeen = (op: number): boolean => {
    const cls = classOf[op]!;
    if (cls < 0) return false;
    const sentinel = n + cls;
    if (frontierNode < 0) refreshFrontier();
    const limit = frontierRank;
    const mine = retRank[op]!;
    for (let other = cNext[sentinel]!; other !== sentinel && callRank[other]! < limit; other = cNext[other]!) {
      if (retRank[other]! < mine) return true;
    }
    return false;
  };

  const lift = (op: number): void => {
    frontierNode = -1;
    if (support) unlinkSupport(op);
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
    if (classOf[op]! >= 0) {
      cNext[cPrev[op]!] = cNext[op]!;
      cPrev[cNext[op]!] = cPrev[op]!;
    }
  };
  const unlift = (op: number): void => {
    frontierNode = -1;
    if (support) relinkSupport(op);
    const c = callNode[op]!;
    if (!ops[op]!.known) {
      iNext[iPrev[c]!] = c;
      iPrev[iNext[c]!] = c;
      return;
    }
    if (classOf[op]! >= 0) {
      cNext[cPrev[op]!] = op;
      cPrev[cNext[op]!] = op;
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
  /** 1 when placing the entry was forced (a seen read that left the state as it was): never an alternative to undo. */
  const stackForced = new Uint8Array(n);
  /** Which walk placed the entry (PREFERRED, OTHERS or UNSEEN), to resume it after undoing the entry. */
  const stackPass = new Uint8Array(n);
  const stackState: S[] = new Array<S>(n);
  let depth = 0;
  const stackHash = new Uint32Array(n);
  let state = options.initial;
  let stateHash = model.hash(state);
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

  const isRead = new Uint8Array(n);
  ops.forEach((op, i) => {
    if (op.known && model.readOnly(op.input)) isRead[i] = 1;
  });

  /**
   * Tries `op` as the next to take effect; true when it was placed (pushed and lifted). `pass` is recorded for
   * backtracking: the walk that chose it resumes there. With `onlyForced`, places the operation only when
   * placing it is forced (see the note on forced reads).
   */
  const tryPlace = (op: number, pass: number, onlyForced: boolean): boolean => {
    const o = ops[op]!;
    const [legal, nextState] = model.step(state, o.input, o.output);
    if (!legal) {
      if (op === rejectionsOf && rejected.length < 8 && !rejected.some((r) => model.equal(r, state))) rejected.push(state);
      return false;
    }
    const forced = isRead[op] === 1 && model.equal(nextState, state);
    if (onlyForced && !forced) return false;
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
    const nextHash = model.hash(nextState);
    if (!remember(lo, hi < 0 ? -1 : hi >>> 5, nextState, nextHash)) {
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
    stackPass[depth] = pass;
    stackForced[depth] = forced ? 1 : 0;
    stackState[depth] = state;
    stackHash[depth] = stateHash;
    depth++;
    loWord = lo;
    maxPlaced = hi;
    const before = state;
    const beforeHash = stateHash;
    state = nextState;
    stateHash = nextHash;
    lift(op);
    if (o.known) placed++;
    if (support && !stillSupported(op, before, beforeHash)) {
      undo();
      return false;
    }
    return true;
  };

  /** After placing `op` (the state was `before`): false when some read can no longer be placed (see `supported`). */
  const stillSupported = (op: number, before: S, beforeHash: number): boolean => {
    const produced = prodClass[op]!;
    if (produced === -2) {
      for (let k = 0; k < classes; k++) if (!supported(k)) return false;
      return true;
    }
    if (produced >= 0 && !supported(produced)) return false;
    // Leaving a state may strand the reads that observe it.
    if (beforeHash !== stateHash || !model.equal(before, state)) {
      const left = classOfState(before, beforeHash);
      if (left >= 0 && left !== produced && !supported(left)) return false;
    }
    return true;
  };

  /** Undoes the last placement. */
  const undo = (): void => {
    depth--;
    if (depth < minDepthSinceBest) minDepthSinceBest = depth;
    const top = stackOp[depth]!;
    state = stackState[depth]!;
    stateHash = stackHash[depth]!;
    loWord = stackLo[depth]!;
    maxPlaced = stackMax[depth]!;
    unlift(top);
    if (ops[top]!.known) {
      bits[top >>> 5]! &= ~(1 << (top & 31));
      hLo ^= zLo[top]!;
      hHi ^= zHi[top]!;
      placed--;
    } else {
      infoPlaced[top] = 0;
      unknownPlaced.splice(unknownPlaced.indexOf(top), 1);
    }
  };

  /*
   * Note on forced reads: a seen read that fits the current state and leaves it as it is can be placed now without
   * losing any linearization. Take one that places it later, at a point p: the model promises a read-only
   * operation never changes the state, so removing it from p changes no state after p; inserted now it
   * changes nothing either, so every operation between keeps its state and stays legal; and every operation
   * that must precede it (returned before its call) is already placed. So the moved order is a linearization
   * too, and if the path after a forced read fails, so does the configuration before it: the search backtracks
   * past it without trying alternatives. A read that fits by changing the state (from a window's unknown
   * state, a read narrows it to what it saw) is an ordinary choice: placed now, it would refuse operations that
   * the unknown state would have let through before it (a cas from 5, say, ahead of a read of 6).
   */

  /**
   * Places every seen read that may go next and is forced (fits the current state and leaves it as it is),
   * before any other candidate: it costs no branching, and done first it keeps a write chosen next from
   * changing the state under a read that fit. Forced reads do not change the state: one sweep places them all.
   * Returns the steps spent.
   */
  const sweepReads = (): number => {
    let spent = 0;
    let e = next[HEAD]!;
    while (e !== TAIL && entryIsCall[e] === 1) {
      spent++;
      const op = entryOp[e]!;
      if (isRead[op] === 1 && tryPlace(op, PREFERRED, true)) e = next[prev[e]!]!;
      else e = next[e]!;
    }
    return spent;
  };

  /**
   * Which walk tries candidate `op`: PREFERRED when the frontier's operation fits right after it (or it is
   * that operation), OTHERS when not. The frontier operation must be placed before anything called after its
   * response, so the orders worth trying first are the ones that let it go: for a read that does not fit the
   * state, the writes of what it read. Only the order of the tries depends on this, never which are tried.
   */
  const passOf = (op: number): number => {
    const front = entryOp[frontierNode]!;
    if (op === front) return PREFERRED;
    const o = ops[op]!;
    const [legal, after] = model.step(state, o.input, o.output);
    if (!legal) return OTHERS;
    const f = ops[front]!;
    return model.step(after, f.input, f.output)[0] ? PREFERRED : OTHERS;
  };

  // Candidates are tried in two walks over the list from the frontier, in response order (Lowe's
  // just-in-time heuristic: the operation whose response comes first is the most constrained, and leaving
  // later ones unplaced keeps them available for the reads still to come): first those that let the
  // frontier's operation go next, then the rest. When both are exhausted, the unknown-outcome calls made
  // before the frontier are tried; then the last choice is undone.
  let charged = 0;
  let steps = sweepReads();
  let pass = PREFERRED;
  let entry = -1;
  let info = INFO_TAIL;
  while (placed < required) {
    // The budget is asked every 1024 steps or so: reading the clock on every step would cost more than the step.
    if (++steps >= charged + 1024) {
      const ok = options.budget.charge(steps - charged);
      charged = steps;
      if (!ok) return outcome('unknown', steps);
    }
    if (frontierNode < 0) refreshFrontier();
    if (pass !== UNSEEN) {
      if (entry < 0) entry = frontierNode;
      if (entry === TAIL || entryRank[entry]! > frontierLast) {
        if (pass === PREFERRED) {
          pass = OTHERS;
          entry = frontierNode;
        } else {
          pass = UNSEEN;
          info = iNext[INFO_HEAD]!;
        }
        continue;
      }
      const op = entryOp[entry]!;
      if (entryIsCall[entry] === 1 || callRank[op]! > frontierRank || passOf(op) !== pass || dominatedSeen(op)) {
        entry = next[entry]!;
        continue;
      }
      if (tryPlace(op, pass, false)) {
        if (placed < required) steps += sweepReads();
        pass = PREFERRED;
        entry = -1;
      } else entry = next[entry]!;
      continue;
    }
    if (info !== INFO_TAIL && infoRank[info]! < frontierRank) {
      if (dominatedInfo(infoOp[info]!, frontierRank)) {
        info = iNext[info]!;
        continue;
      }
      if (tryPlace(infoOp[info]!, UNSEEN, false)) {
        if (placed < required) steps += sweepReads();
        pass = PREFERRED;
        entry = -1;
      } else info = iNext[info]!;
      continue;
    }
    // A response was seen for an operation not yet placed, and nothing else can go first: undo the last choice.
    // Longest = most seen operations placed; among those, the fewest unknown-outcome ones (they are optional).
    if (track && (placed > bestPlaced || (placed === bestPlaced && depth < bestOrder.length))) snapshot(entryOp[frontierNode]!);
    // Undoing a forced read undoes the choice before it too (see the note on forced reads).
    while (depth > 0 && stackForced[depth - 1] === 1) undo();
    if (depth === 0) {
      if (track && bestBlocked === undefined) bestBlocked = entryOp[frontierNode]!;
      return outcome('illegal', steps);
    }
    const top = stackOp[depth - 1]!;
    pass = stackPass[depth - 1]!;
    undo();
    if (ops[top]!.known) entry = next[retNode[top]!]!;
    else info = iNext[callNode[top]!]!;
  }
  return outcome('ok', steps);
}

/**
 * A key equal for two operations exactly when their inputs and outputs are equal plain JSON data; undefined
 * (never interchangeable) for anything else, since a model may tell apart values that JSON would not.
 */
function interchangeKey(input: unknown, output: unknown): string | undefined {
  if (!isPlainJson(input) || (output !== undefined && !isPlainJson(output))) return undefined;
  return `${JSON.stringify(input)}\u0000${output === undefined ? '' : JSON.stringify(output)}`;
}

function isPlainJson(v: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (Array.isArray(v)) {
        // A hole would print as null: not plain.
        for (let i = 0; i < v.length; i++) if (!(i in v) || !isPlainJson(v[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.values(v).every((x) => x !== undefined && isPlainJson(x, depth + 1));
    }
    default:
      return false;
  }
}
