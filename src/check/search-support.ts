import type { CompleteModel } from './model.js';
import { appendToRing, type EventList, type SearchOp } from './search-events.js';

/**
 * Support (models that say what a read observes, as the register does): a seen read of v can only be placed
 * where the state is v, so it needs either the state to be v now or an operation still to be placed that can
 * leave v (a write or cas to v, or one whose result depends on the state), called before the read's response.
 * The last operation that changes the state before the read is such an operation: placed after now and before
 * the read, so it was called before the read's response. A configuration where some read has neither is dead,
 * however the search goes on from it: it is given up at once instead of when the read's response is reached,
 * possibly far deeper. For each observed state, the unplaced reads wait in a list by response and the
 * unplaced operations that can produce it in a list by call: only the heads decide.
 */
export class SupportIndex<S, I, O> {
  /** The class of the state a seen read observes; -1: none. */
  private readonly readClass: Int32Array;
  /** Class of the state an operation produces; -1: none a read observes; -2: depends on the state before. */
  private readonly prodClass: Int32Array;
  private readonly observed: S[] = [];
  private readonly classByHash = new Map<number, number[]>();
  private readonly rdNext: Int32Array;
  private readonly rdPrev: Int32Array;
  private readonly prNext: Int32Array;
  private readonly prPrev: Int32Array;
  /** Sentinel of the list of operations whose result depends on the state before. */
  private readonly ANY: number;
  private readonly classes: number;

  /** The index for `ops`, or undefined when the model says nothing a read observes (nothing to prune). */
  static build<S, I, O>(model: CompleteModel<S, I, O>, ops: ReadonlyArray<SearchOp<I, O>>, events: EventList): SupportIndex<S, I, O> | undefined {
    if (!model.observes) return undefined;
    const index = new SupportIndex(model, ops, events, model.observes);
    return index.classes > 0 ? index : undefined;
  }

  private constructor(
    private readonly model: CompleteModel<S, I, O>,
    private readonly ops: ReadonlyArray<SearchOp<I, O>>,
    private readonly events: EventList,
    observes: (input: I, output: O | undefined) => S | undefined,
  ) {
    const n = ops.length;
    this.readClass = new Int32Array(n).fill(-1);
    this.prodClass = new Int32Array(n).fill(-1);
    ops.forEach((o, i) => {
      if (!o.known || !model.readOnly(o.input)) return;
      const v = observes(o.input, o.output);
      if (v === undefined) return;
      const h = model.hash(v);
      let k = this.classOfState(v, h);
      if (k < 0) {
        k = this.observed.length;
        this.observed.push(v);
        const list = this.classByHash.get(h);
        if (list) list.push(k);
        else this.classByHash.set(h, [k]);
      }
      this.readClass[i] = k;
    });
    ops.forEach((o, i) => {
      if (model.readOnly(o.input)) return;
      const v = model.produces ? model.produces(o.input, o.output) : undefined;
      this.prodClass[i] = v === undefined ? -2 : this.classOfState(v, model.hash(v));
    });
    const classes = (this.classes = this.observed.length);
    const ANY = (this.ANY = n + classes);
    const rdNext = (this.rdNext = new Int32Array(n + classes));
    const rdPrev = (this.rdPrev = new Int32Array(n + classes));
    const prNext = (this.prNext = new Int32Array(n + classes + 1));
    const prPrev = (this.prPrev = new Int32Array(n + classes + 1));
    for (let k = 0; k <= classes; k++) {
      if (k < classes) rdNext[n + k] = rdPrev[n + k] = n + k;
      prNext[n + k] = prPrev[n + k] = n + k;
    }
    for (let rank = 0; rank < events.rankOp.length; rank++) {
      const op = events.rankOp[rank]!;
      const isCall = events.rankIsCall[rank] === 1;
      if (!isCall && this.readClass[op]! >= 0) appendToRing(rdNext, rdPrev, n + this.readClass[op]!, op);
      if (isCall && this.prodClass[op] !== -1) appendToRing(prNext, prPrev, this.prodClass[op] === -2 ? ANY : n + this.prodClass[op]!, op);
    }
  }

  /** The class of the observed state equal to `s` (hash `h`); -1 when no read observes it. */
  private classOfState(s: S, h: number): number {
    const list = this.classByHash.get(h);
    if (list) for (const k of list) if (this.model.equal(this.observed[k]!, s)) return k;
    return -1;
  }

  /** False when the earliest-returning unplaced read observing class k's state can no longer be satisfied in `state`. */
  private supported(k: number, state: S): boolean {
    const n = this.ops.length;
    const r = this.rdNext[n + k]!;
    if (r === n + k) return true;
    const o = this.ops[r]!;
    if (this.model.step(state, o.input, o.output)[0]) return true;
    const { callRank, retRank } = this.events;
    const limit = retRank[r]!;
    const p = this.prNext[n + k]!;
    if (p !== n + k && callRank[p]! < limit) return true;
    const w = this.prNext[this.ANY]!;
    return w !== this.ANY && callRank[w]! < limit;
  }

  /** After placing `op` (the state was `before`, now `state`): false when some read can no longer be placed. */
  stillSupported(op: number, before: S, beforeHash: number, state: S, stateHash: number): boolean {
    const produced = this.prodClass[op]!;
    if (produced === -2) {
      for (let k = 0; k < this.classes; k++) if (!this.supported(k, state)) return false;
      return true;
    }
    if (produced >= 0 && !this.supported(produced, state)) return false;
    // Leaving a state may strand the reads that observe it.
    if (beforeHash !== stateHash || !this.model.equal(before, state)) {
      const left = this.classOfState(before, beforeHash);
      if (left >= 0 && left !== produced && !this.supported(left, state)) return false;
    }
    return true;
  }

  /** Takes a placed operation out of its read or producer list. */
  unlink(op: number): void {
    if (this.readClass[op]! >= 0) {
      const { rdNext, rdPrev } = this;
      rdNext[rdPrev[op]!] = rdNext[op]!;
      rdPrev[rdNext[op]!] = rdPrev[op]!;
    } else if (this.prodClass[op] !== -1) {
      const { prNext, prPrev } = this;
      prNext[prPrev[op]!] = prNext[op]!;
      prPrev[prNext[op]!] = prPrev[op]!;
    }
  }

  relink(op: number): void {
    if (this.readClass[op]! >= 0) {
      this.rdNext[this.rdPrev[op]!] = op;
      this.rdPrev[this.rdNext[op]!] = op;
    } else if (this.prodClass[op] !== -1) {
      this.prNext[this.prPrev[op]!] = op;
      this.prPrev[this.prNext[op]!] = op;
    }
  }
}
