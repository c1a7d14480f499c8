import type { Budget } from './budget.js';
import type { CompleteModel } from './model.js';
import { SeenClasses, UnknownTwins } from './search-classes.js';
import { EventList, type SearchOp } from './search-events.js';
import { GrowthIndex } from './search-growth.js';
import { VisitedSet } from './search-memo.js';
import { SupportIndex } from './search-support.js';

export type { SearchOp } from './search-events.js';

export interface SearchOptions<S> {
  readonly initial: S;
  readonly budget: Budget;
  /** Keep the longest partial linearization (costs a little; the cheap check turns it off). */
  readonly trackLongest?: boolean;
  /** Collect the states in which this operation was tried and refused by the model. */
  readonly rejectionsOf?: number;
  /**
   * Prune with the model's growth hooks (`search-growth.ts`; default true). The verdict is the same either way,
   * but pruning cuts some partial linearizations short, so an explanation's longest one may differ.
   */
  readonly growth?: boolean;
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

/** The walks that try candidates, in order (see the main loop). */
const PREFERRED = 1;
const OTHERS = 2;
const UNSEEN = 3;

/**
 * The Wing-Gong-Lowe search with Lowe's memoization, as Porcupine implements it, extended for operations whose
 * outcome is unknown. Its parts, each in a file of its own: the event list (`search-events.ts`), the
 * interchangeable-operation classes (`search-classes.ts`), the support index (`search-support.ts`) and the memo
 * of visited configurations (`search-memo.ts`).
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
 * configuration in which some read can no longer see its value is abandoned as soon as it is reached; so is
 * one in which a read can no longer fit because the state has grown past it (`search-growth.ts`: a kv key's
 * appends), when the model says so.
 *
 * Unknown-outcome operations have no return entry: nothing forces them, and they may take effect at any time
 * after their call, or never. Left in the list they would be tried first at every step (their calls are the
 * oldest) and every subset of them would be a distinct memo entry: exponential in their number. So they live
 * in a list of their own, tried only when no seen operation can go next, and the memo ignores them with a
 * dominance rule (see `VisitedSet`).
 */
export function searchLinearization<S, I, O>(model: CompleteModel<S, I, O>, ops: ReadonlyArray<SearchOp<I, O>>, options: SearchOptions<S>): SearchOutcome<S> {
  // Building the indexes below takes a while on a large history (a few hundred ms at 150,000 operations) and reads
  // no clock: a budget already spent, or a Ctrl+C, stops the search before it starts and between them.
  const stopped = (): SearchOutcome<S> => ({ verdict: 'unknown', steps: 0, order: [], states: [], rejectedStates: [] });
  if (options.budget.exhausted) return stopped();
  const n = ops.length;
  const ev = new EventList(ops);
  if (options.budget.exhausted) return stopped();
  const { HEAD, TAIL, INFO_HEAD, INFO_TAIL, entryOp, entryIsCall, entryRank, next, prev, infoOp, infoRank, iNext, callNode, retNode, callRank, required } = ev;
  const seenClasses = new SeenClasses(ev, ops, options.rejectionsOf ?? -1);
  if (options.budget.exhausted) return stopped();
  const unknownTwins = new UnknownTwins(ev, ops);
  const infoPlaced = unknownTwins.placed;
  const supportIndex = SupportIndex.build(model, ops, ev);
  // A search that collects where an operation was refused (an explanation's) must try it in every state it
  // can reach: growth would cut some of those short. Such searches run on small windows.
  const growth = options.rejectionsOf === undefined && options.growth !== false ? GrowthIndex.build(model, ops, ev) : undefined;
  const visited = new VisitedSet<S>(ops, (a, b) => model.equal(a, b));
  if (options.budget.exhausted) return stopped();

  const lift = (op: number): void => {
    supportIndex?.unlink(op);
    growth?.unlink(op);
    ev.lift(op);
    if (ev.known[op] === 1) seenClasses.unlink(op);
  };
  const unlift = (op: number): void => {
    supportIndex?.relink(op);
    growth?.relink(op);
    if (ev.known[op] === 1) seenClasses.relink(op);
    ev.unlift(op);
  };

  let loWord = visited.firstOpenWord(0);
  let maxPlaced = -1;

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
      visited.toggleSeen(op);
      lo = visited.firstOpenWord(lo);
      if (op > hi) hi = op;
    } else {
      infoPlaced[op] = 1;
      visited.addUnknown(op);
    }
    const nextHash = model.hash(nextState);
    if (!visited.remember(lo, hi < 0 ? -1 : hi >>> 5, nextState, nextHash)) {
      if (o.known) visited.toggleSeen(op);
      else {
        infoPlaced[op] = 0;
        visited.removeUnknown(op);
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
    if (supportIndex && !supportIndex.stillSupported(op, before, beforeHash, state, stateHash)) {
      undo();
      return false;
    }
    // A read leaves the reads still to come as they were (asking again after one only costs).
    if (growth && !growth.isReadOp(op) && !growth.alive(state)) {
      undo();
      return false;
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
      visited.toggleSeen(top);
      placed--;
    } else {
      infoPlaced[top] = 0;
      visited.removeUnknown(top);
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
    const front = entryOp[ev.frontierNode]!;
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
    if (ev.frontierNode < 0) ev.refreshFrontier();
    if (pass !== UNSEEN) {
      if (entry < 0) entry = ev.frontierNode;
      if (entry === TAIL || entryRank[entry]! > ev.frontierLast) {
        if (pass === PREFERRED) {
          pass = OTHERS;
          entry = ev.frontierNode;
        } else {
          pass = UNSEEN;
          info = iNext[INFO_HEAD]!;
        }
        continue;
      }
      const op = entryOp[entry]!;
      if (entryIsCall[entry] === 1 || callRank[op]! > ev.frontierRank || passOf(op) !== pass || seenClasses.dominated(op)) {
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
    if (info !== INFO_TAIL && infoRank[info]! < ev.frontierRank) {
      if (unknownTwins.dominated(infoOp[info]!, ev.frontierRank)) {
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
    if (track && (placed > bestPlaced || (placed === bestPlaced && depth < bestOrder.length))) snapshot(entryOp[ev.frontierNode]!);
    // Undoing a forced read undoes the choice before it too (see the note on forced reads).
    while (depth > 0 && stackForced[depth - 1] === 1) undo();
    if (depth === 0) {
      if (track && bestBlocked === undefined) bestBlocked = entryOp[ev.frontierNode]!;
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

