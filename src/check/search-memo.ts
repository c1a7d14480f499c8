import { Random } from '../core/random.js';
import type { SearchOp } from './search-events.js';

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
 * Lowe's memo: two paths that linearized the same set of operations and reached equal states have the same
 * future, so a (set, state) seen before is never expanded again. The set is hashed incrementally (Zobrist:
 * one random value per operation, XORed in and out) and stored compactly: operation ids follow call order, so
 * every id below the first unlinearized one is linearized, and only the words between it and the highest
 * linearized id need keeping; that span is about the history's concurrency, not its length.
 *
 * Unknown-outcome operations are left out of the set with a dominance rule: (seen set, unknown set U, state)
 * is pruned when (seen set, U', state) with U' a subset of U was visited, because whatever completes the first
 * also completes the second (never placing the extras).
 */
export class VisitedSet<S> {
  /**
   * Bits of seen operations placed so far. Unknown-outcome operations' bits are always set, so they never hold
   * back the compaction and never tell two sets apart. One spare word, always zero, ends scans.
   */
  readonly bits: Uint32Array;
  private readonly zLo: Uint32Array;
  private readonly zHi: Uint32Array;
  private hLo = 0;
  private hHi = 0;
  /** Unknown-outcome operations placed, ascending. */
  readonly unknownPlaced: number[] = [];
  private readonly memo = new Map<number, Memo<S>>();

  constructor(
    ops: ReadonlyArray<SearchOp<unknown, unknown>>,
    private readonly equal: (a: S, b: S) => boolean,
  ) {
    const n = ops.length;
    const rng = Random.seeded(ZOBRIST_SEED);
    this.zLo = new Uint32Array(n);
    this.zHi = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.zLo[i] = rng.nextUint32();
      this.zHi[i] = rng.nextUint32();
    }
    this.bits = new Uint32Array(((n + 31) >>> 5) + 1);
    ops.forEach((op, i) => {
      if (!op.known) this.bits[i >>> 5]! |= 1 << (i & 31);
    });
  }

  /** The first word, from `from` on, with a seen operation not placed. */
  firstOpenWord(from: number): number {
    let lo = from;
    while (this.bits[lo] === 0xffffffff) lo++;
    return lo;
  }

  /** Marks seen operation `op` placed (or, called again, not placed: XOR). */
  toggleSeen(op: number): void {
    this.bits[op >>> 5]! ^= 1 << (op & 31);
    this.hLo ^= this.zLo[op]!;
    this.hHi ^= this.zHi[op]!;
  }

  addUnknown(op: number): void {
    const placed = this.unknownPlaced;
    let at = placed.length;
    while (at > 0 && placed[at - 1]! > op) at--;
    placed.splice(at, 0, op);
  }

  removeUnknown(op: number): void {
    this.unknownPlaced.splice(this.unknownPlaced.indexOf(op), 1);
  }

  /**
   * Adds the current configuration with state `s` (hash `sh`) to the memo, its set's words `lo` to `hiWord`;
   * false when it, or one that dominates it, was there.
   */
  remember(lo: number, hiWord: number, s: S, sh: number): boolean {
    const key = ((this.hHi ^ Math.imul(sh, 0x9e3779b1)) >>> 0) * 0x200000 + (this.hLo & 0x1fffff);
    const len = Math.max(0, hiWord - lo + 1);
    const head = this.memo.get(key);
    const bits = this.bits;
    for (let e = head; e; e = e.next) {
      if (e.lo !== lo || e.words.length !== len) continue;
      let same = true;
      for (let w = 0; w < len; w++) {
        if (e.words[w] !== bits[lo + w]) {
          same = false;
          break;
        }
      }
      if (same && isSubset(e.unknown, this.unknownPlaced) && this.equal(e.state, s)) return false;
    }
    const unknown = this.unknownPlaced.length === 0 ? NONE : Int32Array.from(this.unknownPlaced);
    this.memo.set(key, { lo, words: bits.slice(lo, lo + len), unknown, state: s, next: head });
    return true;
  }
}

function isSubset(small: Int32Array, big: readonly number[]): boolean {
  if (small.length > big.length) return false;
  let j = 0;
  for (let i = 0; i < small.length; i++) {
    while (j < big.length && big[j]! < small[i]!) j++;
    if (j === big.length || big[j] !== small[i]) return false;
    j++;
  }
  return true;
}
