import { Random } from '../core/random.js';
import type { SearchOp } from './search-events.js';

const ZOBRIST_SEED = 0x11ea12ab;

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
  // The memo lives in typed arrays, one slot a configuration, because a large history visits about as many
  // configurations as it has operations: an object, a Uint32Array and a map entry each cost about 250 bytes, these
  // about 40. Chains of slots hang off a power-of-two table; slot 0 is unused (0 ends a chain).
  private table = new Int32Array(1024);
  private size = 1;
  private slotNext = new Int32Array(1024);
  private slotHash = new Uint32Array(1024);
  private slotLo = new Int32Array(1024);
  private slotWordsAt = new Int32Array(1024);
  private slotWordsLen = new Int32Array(1024);
  private slotUnknownAt = new Int32Array(1024);
  private slotUnknownLen = new Int32Array(1024);
  private readonly slotState: S[] = [];
  private words = new Uint32Array(1024);
  private wordsUsed = 0;
  private unknowns = new Int32Array(64);
  private unknownsUsed = 0;

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
   * false when it, or one that dominates it, was there. Equal words from equal `lo` are the same set, so the
   * set's Zobrist hash only picks the chain.
   */
  remember(lo: number, hiWord: number, s: S, sh: number): boolean {
    const hash = ((this.hHi ^ Math.imul(sh, 0x9e3779b1)) ^ Math.imul(this.hLo, 0x85ebca6b)) >>> 0;
    const len = Math.max(0, hiWord - lo + 1);
    const bits = this.bits;
    const words = this.words;
    const mask = this.table.length - 1;
    for (let e = this.table[hash & mask]!; e !== 0; e = this.slotNext[e]!) {
      if (this.slotHash[e] !== hash || this.slotLo[e] !== lo || this.slotWordsLen[e] !== len) continue;
      const at = this.slotWordsAt[e]!;
      let same = true;
      for (let w = 0; w < len; w++) {
        if (words[at + w] !== bits[lo + w]) {
          same = false;
          break;
        }
      }
      if (same && this.unknownSubset(e) && this.equal(this.slotState[e]!, s)) return false;
    }
    this.add(hash, lo, len, s);
    return true;
  }

  /** True when the unknown-outcome operations placed in slot `e` are a subset of those placed now. */
  private unknownSubset(e: number): boolean {
    const big = this.unknownPlaced;
    const at = this.slotUnknownAt[e]!;
    const count = this.slotUnknownLen[e]!;
    if (count > big.length) return false;
    let j = 0;
    for (let i = 0; i < count; i++) {
      const u = this.unknowns[at + i]!;
      while (j < big.length && big[j]! < u) j++;
      if (j === big.length || big[j] !== u) return false;
      j++;
    }
    return true;
  }

  private add(hash: number, lo: number, len: number, s: S): void {
    if (this.size === this.slotNext.length) this.growSlots();
    if (this.wordsUsed + len > this.words.length) this.words = grown(this.words, this.wordsUsed + len);
    const unknown = this.unknownPlaced;
    if (this.unknownsUsed + unknown.length > this.unknowns.length) this.unknowns = grown(this.unknowns, this.unknownsUsed + unknown.length);
    const e = this.size++;
    this.words.set(this.bits.subarray(lo, lo + len), this.wordsUsed);
    this.slotWordsAt[e] = this.wordsUsed;
    this.slotWordsLen[e] = len;
    this.wordsUsed += len;
    for (let i = 0; i < unknown.length; i++) this.unknowns[this.unknownsUsed + i] = unknown[i]!;
    this.slotUnknownAt[e] = this.unknownsUsed;
    this.slotUnknownLen[e] = unknown.length;
    this.unknownsUsed += unknown.length;
    this.slotHash[e] = hash;
    this.slotLo[e] = lo;
    this.slotState[e] = s;
    if (this.size > this.table.length) this.rehash(this.table.length * 2);
    else {
      const b = hash & (this.table.length - 1);
      this.slotNext[e] = this.table[b]!;
      this.table[b] = e;
    }
  }

  private growSlots(): void {
    const want = this.slotNext.length * 2;
    this.slotNext = grown(this.slotNext, want);
    this.slotHash = grown(this.slotHash, want);
    this.slotLo = grown(this.slotLo, want);
    this.slotWordsAt = grown(this.slotWordsAt, want);
    this.slotWordsLen = grown(this.slotWordsLen, want);
    this.slotUnknownAt = grown(this.slotUnknownAt, want);
    this.slotUnknownLen = grown(this.slotUnknownLen, want);
  }

  private rehash(capacity: number): void {
    this.table = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let e = 1; e < this.size; e++) {
      const b = this.slotHash[e]! & mask;
      this.slotNext[e] = this.table[b]!;
      this.table[b] = e;
    }
  }
}

/** A copy of `a` with room for at least `want` elements (twice its length or more). */
function grown<T extends Int32Array | Uint32Array>(a: T, want: number): T {
  let length = a.length * 2;
  while (length < want) length *= 2;
  const b = (a instanceof Int32Array ? new Int32Array(length) : new Uint32Array(length)) as T;
  b.set(a);
  return b;
}
