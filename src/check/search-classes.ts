import { appendToRing, type EventList, type SearchOp } from './search-events.js';

/**
 * Interchangeable seen operations (equal input and equal output: two `write 3`s, two `cas [1 2]`s, many
 * increments): of those that may go next, only the one whose response came first is tried. If a
 * linearization places a later-returning twin b now and the earlier-returning a at some later point p, swap
 * them: a now is allowed (it may go next), b at p is allowed (b was called before now, and p precedes a's
 * response, so also b's), every operation that had to follow a or b follows both (it was called after a
 * response; the earlier one is a's, and both sit no later than p), and the model sees the same step at each
 * point, so every state is unchanged. So whatever placing b allows, placing a allows too.
 *
 * Each class keeps its unplaced members in call order (a circular list through a sentinel at n + class), so
 * checking a candidate walks only the class's operations that are still pending.
 */
export class SeenClasses {
  /** An operation's class; -1: not interchangeable with any other. */
  readonly classOf: Int32Array;
  private readonly cNext: Int32Array;
  private readonly cPrev: Int32Array;

  /** `excluded` (the operation whose rejections are collected) is tried even when a twin could go instead. */
  constructor(
    private readonly events: EventList,
    ops: ReadonlyArray<SearchOp<unknown, unknown>>,
    excluded: number,
  ) {
    const n = events.n;
    const { entryOp, entryIsCall } = events;
    const mainCount = events.TAIL - 1;
    this.classOf = new Int32Array(n).fill(-1);
    let classCount = 0;
    const byKey = new Map<string, number>();
    for (let node = 1; node <= mainCount; node++) {
      const op = entryOp[node]!;
      if (entryIsCall[node] === 0 || op === excluded) continue;
      const key = interchangeKey(ops[op]!.input, ops[op]!.output);
      if (key === undefined) continue;
      let cls = byKey.get(key);
      if (cls === undefined) byKey.set(key, (cls = classCount++));
      this.classOf[op] = cls;
    }
    const cNext = (this.cNext = new Int32Array(n + classCount));
    const cPrev = (this.cPrev = new Int32Array(n + classCount));
    for (let k = 0; k < classCount; k++) cNext[n + k] = cPrev[n + k] = n + k;
    for (let node = 1; node <= mainCount; node++) {
      const op = entryOp[node]!;
      const cls = this.classOf[op]!;
      if (entryIsCall[node] === 0 || cls < 0) continue;
      appendToRing(cNext, cPrev, n + cls, op);
    }
  }

  /** True when an interchangeable twin of the candidate `op` may go next too and its response came first. */
  dominated(op: number): boolean {
    const cls = this.classOf[op]!;
    if (cls < 0) return false;
    const ev = this.events;
    const sentinel = ev.n + cls;
    if (ev.frontierNode < 0) ev.refreshFrontier();
    const limit = ev.frontierRank;
    const { retRank, callRank } = ev;
    const mine = retRank[op]!;
    for (let other = this.cNext[sentinel]!; other !== sentinel && callRank[other]! < limit; other = this.cNext[other]!) {
      if (retRank[other]! < mine) return true;
    }
    return false;
  }

  /** Takes a placed seen operation out of its class. */
  unlink(op: number): void {
    if (this.classOf[op]! < 0) return;
    const { cNext, cPrev } = this;
    cNext[cPrev[op]!] = cNext[op]!;
    cPrev[cNext[op]!] = cPrev[op]!;
  }

  relink(op: number): void {
    if (this.classOf[op]! < 0) return;
    this.cNext[this.cPrev[op]!] = op;
    this.cPrev[this.cNext[op]!] = op;
  }
}

/**
 * Interchangeable unknown-outcome operations (equal inputs, e.g. many increments): of those that may go next,
 * only the one called last is tried. Whatever placing an earlier-called one allows, placing the later one
 * allows too (swap them: the earlier one can take effect at any point the later one could, and neither has a
 * response to match), so trying the others only repeats work, exponentially.
 */
export class UnknownTwins {
  /** The next-called unknown-outcome operation with an equal input; -1: none. */
  private readonly nextSame: Int32Array;
  /** 1 for an unknown-outcome operation placed on the current path. */
  readonly placed: Uint8Array;

  constructor(
    private readonly events: EventList,
    ops: ReadonlyArray<SearchOp<unknown, unknown>>,
  ) {
    const n = events.n;
    this.nextSame = new Int32Array(n).fill(-1);
    this.placed = new Uint8Array(n);
    const lastOfClass = new Map<string, number>();
    for (let node = 1; node < events.INFO_TAIL; node++) {
      const op = events.infoOp[node]!;
      let cls: string;
      try {
        cls = JSON.stringify(ops[op]!.input) ?? `#${op}`;
      } catch {
        cls = `#${op}`;
      }
      const before = lastOfClass.get(cls);
      if (before !== undefined) this.nextSame[before] = op;
      lastOfClass.set(cls, op);
    }
  }

  /** True when a later-called equal unknown-outcome operation could go next instead of `op`. */
  dominated(op: number, limitRank: number): boolean {
    let other = this.nextSame[op]!;
    while (other >= 0 && this.placed[other] === 1) other = this.nextSame[other]!;
    return other >= 0 && this.events.infoRank[this.events.callNode[other]!]! < limitRank;
  }
}

/**
 * A key equal for two operations exactly when their inputs and outputs are equal plain JSON data; undefined
 * (never interchangeable) for anything else, since a model may tell apart values that JSON would not.
 */
export function interchangeKey(input: unknown, output: unknown): string | undefined {
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
