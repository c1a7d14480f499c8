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

/**
 * The history as the search walks it: the seen operations' calls and returns in one doubly linked list (nodes
 * 1..M between HEAD and TAIL), the unknown-outcome operations' calls in another (nodes 1..U between INFO_HEAD
 * and INFO_TAIL: they have no return entry). Lifting an operation unlinks its entries; unlifting relinks them
 * in reverse order (dancing links), so undo costs what do cost.
 *
 * Every event also has a rank, its place in time order. Equal timestamps are concurrent (calls sort before
 * returns): a tie never adds an order the clocks did not prove.
 */
export class EventList {
  readonly n: number;
  readonly HEAD = 0;
  readonly TAIL: number;
  readonly INFO_HEAD = 0;
  readonly INFO_TAIL: number;
  /** How many seen operations there are: all of them must be placed. */
  readonly required: number;
  readonly entryOp: Int32Array;
  readonly entryIsCall: Uint8Array;
  readonly entryRank: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly infoOp: Int32Array;
  readonly infoRank: Int32Array;
  readonly iNext: Int32Array;
  readonly iPrev: Int32Array;
  /** An operation's call node (in its list). */
  readonly callNode: Int32Array;
  /** A seen operation's return node; -1 for an unknown-outcome one. */
  readonly retNode: Int32Array;
  /** Rank of every operation's call. */
  readonly callRank: Int32Array;
  /** Rank of a seen operation's return. */
  readonly retRank: Int32Array;
  /** 1 for an operation whose outcome was seen. */
  readonly known: Uint8Array;
  /** Every event in time order: its operation, and 1 for a call. */
  readonly rankOp: Int32Array;
  readonly rankIsCall: Uint8Array;

  // The frontier: the first response still in the list. Only operations called before it may go next (the
  // candidates; the one it belongs to is always among them), and their responses all lie at or after it, so
  // walking the list from the frontier visits the candidates in response order. Cached until the list changes.
  frontierNode = -1;
  frontierRank = 0;
  /** The latest response of a candidate: the candidate walk ends there. */
  frontierLast = 0;

  constructor(ops: ReadonlyArray<SearchOp<unknown, unknown>>) {
    const n = ops.length;
    this.n = n;
    const sortable: Array<{ t: number; kind: number; op: number }> = [];
    ops.forEach((op, i) => {
      sortable.push({ t: op.call, kind: 0, op: i });
      if (op.known) sortable.push({ t: op.ret, kind: 1, op: i });
    });
    sortable.sort((a, b) => a.t - b.t || a.kind - b.kind || a.op - b.op);
    let mainCount = 0;
    let infoCount = 0;
    for (const e of sortable) {
      if (ops[e.op]!.known) mainCount++;
      else infoCount++;
    }
    this.TAIL = mainCount + 1;
    this.INFO_TAIL = infoCount + 1;
    this.required = mainCount / 2;
    this.entryOp = new Int32Array(mainCount + 2);
    this.entryIsCall = new Uint8Array(mainCount + 2);
    this.entryRank = new Int32Array(mainCount + 2);
    this.next = new Int32Array(mainCount + 2);
    this.prev = new Int32Array(mainCount + 2);
    this.infoOp = new Int32Array(infoCount + 2);
    this.infoRank = new Int32Array(infoCount + 2);
    this.iNext = new Int32Array(infoCount + 2);
    this.iPrev = new Int32Array(infoCount + 2);
    this.callNode = new Int32Array(n);
    this.retNode = new Int32Array(n).fill(-1);
    this.callRank = new Int32Array(n);
    this.retRank = new Int32Array(n);
    this.known = new Uint8Array(n);
    this.rankOp = new Int32Array(sortable.length);
    this.rankIsCall = new Uint8Array(sortable.length);
    ops.forEach((op, i) => {
      if (op.known) this.known[i] = 1;
    });
    let m = 0;
    let u = 0;
    sortable.forEach((e, rank) => {
      this.rankOp[rank] = e.op;
      this.rankIsCall[rank] = e.kind === 0 ? 1 : 0;
      if (e.kind === 0) this.callRank[e.op] = rank;
      else this.retRank[e.op] = rank;
      if (ops[e.op]!.known) {
        const node = ++m;
        this.entryOp[node] = e.op;
        this.entryIsCall[node] = e.kind === 0 ? 1 : 0;
        this.entryRank[node] = rank;
        if (e.kind === 0) this.callNode[e.op] = node;
        else this.retNode[e.op] = node;
        this.prev[node] = node - 1;
        this.next[node] = node + 1;
      } else {
        const node = ++u;
        this.infoOp[node] = e.op;
        this.infoRank[node] = rank;
        this.callNode[e.op] = node;
        this.iPrev[node] = node - 1;
        this.iNext[node] = node + 1;
      }
    });
    this.next[this.HEAD] = mainCount > 0 ? 1 : this.TAIL;
    this.prev[this.TAIL] = mainCount;
    this.iNext[this.INFO_HEAD] = infoCount > 0 ? 1 : this.INFO_TAIL;
    this.iPrev[this.INFO_TAIL] = infoCount;
  }

  refreshFrontier(): void {
    const { next, entryIsCall, entryOp, retRank } = this;
    let e = next[this.HEAD]!;
    let last = -1;
    while (e !== this.TAIL && entryIsCall[e] === 1) {
      const op = entryOp[e]!;
      if (retRank[op]! > last) last = retRank[op]!;
      e = next[e]!;
    }
    this.frontierNode = e;
    this.frontierRank = e === this.TAIL ? 0x7fffffff : this.entryRank[e]!;
    this.frontierLast = last;
  }

  /** Unlinks the operation's entries (its call and return, or its unknown-outcome call). */
  lift(op: number): void {
    this.frontierNode = -1;
    const c = this.callNode[op]!;
    if (this.known[op] === 0) {
      const { iNext, iPrev } = this;
      iNext[iPrev[c]!] = iNext[c]!;
      iPrev[iNext[c]!] = iPrev[c]!;
      return;
    }
    const { next, prev } = this;
    next[prev[c]!] = next[c]!;
    prev[next[c]!] = prev[c]!;
    const r = this.retNode[op]!;
    next[prev[r]!] = next[r]!;
    prev[next[r]!] = prev[r]!;
  }

  /** Relinks what `lift` unlinked, in reverse order. */
  unlift(op: number): void {
    this.frontierNode = -1;
    const c = this.callNode[op]!;
    if (this.known[op] === 0) {
      this.iNext[this.iPrev[c]!] = c;
      this.iPrev[this.iNext[c]!] = c;
      return;
    }
    const { next, prev } = this;
    const r = this.retNode[op]!;
    next[prev[r]!] = r;
    prev[next[r]!] = r;
    next[prev[c]!] = c;
    prev[next[c]!] = c;
  }
}

/**
 * Appends `op` to a circular doubly linked list through `sentinel` (the lists of pending operations the
 * search's indexes keep: unlinked when placed, relinked in reverse order when undone).
 */
export function appendToRing(next: Int32Array, prev: Int32Array, sentinel: number, op: number): void {
  const last = prev[sentinel]!;
  next[last] = op;
  prev[op] = last;
  next[op] = sentinel;
  prev[sentinel] = op;
}
