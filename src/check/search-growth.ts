import type { CompleteModel } from './model.js';
import { appendToRing, type EventList, type SearchOp } from './search-events.js';

/** How many unplaced reads, earliest response first, are asked after each step: enough to cut wrong orders early, a bounded cost per step. */
const READS_ASKED = 32;

/**
 * Growth (models whose state only grows until something resets it, as a kv key under appends: an append only
 * lengthens the string, a put sets it to anything): a seen read still to be placed needs, from the current
 * state, a state in which it fits. When the model says none can come (`reaches` is false: the key holds "abc"
 * and the read saw "ab"), only an operation that resets the state can bring one back, and that operation must
 * be placed after now and before the read, so it was called before the read's response. A configuration where
 * some read has neither is dead however the search goes on: it is given up as soon as it is reached, instead
 * of when the read's response comes up, often hundreds of operations deeper (each wrong order of concurrent
 * appends was found only there).
 *
 * The unplaced reads wait in a list by response, the unplaced resets (seen or not: an unknown-outcome put may
 * have taken effect) in a list by call. A reset called before a read's response covers that read and every
 * later one, so the walk stops at the first read the earliest reset covers. Only the first `READS_ASKED` reads
 * are asked: asking fewer prunes less, never wrongly.
 */
export class GrowthIndex<S, I, O> {
  private readonly isRead: Uint8Array;
  private readonly isReset: Uint8Array;
  private readonly rdNext: Int32Array;
  private readonly rdPrev: Int32Array;
  private readonly rsNext: Int32Array;
  private readonly rsPrev: Int32Array;
  private readonly n: number;

  /** The index for `ops`, or undefined when the model has no growth hooks or `ops` no seen read. */
  static build<S, I, O>(model: CompleteModel<S, I, O>, ops: ReadonlyArray<SearchOp<I, O>>, events: EventList): GrowthIndex<S, I, O> | undefined {
    if (!model.reaches || !model.resets) return undefined;
    if (!ops.some((o) => o.known && model.readOnly(o.input))) return undefined;
    return new GrowthIndex(model, ops, events, model.reaches, model.resets);
  }

  private constructor(
    model: CompleteModel<S, I, O>,
    private readonly ops: ReadonlyArray<SearchOp<I, O>>,
    private readonly events: EventList,
    private readonly reaches: (state: S, input: I, output: O | undefined) => boolean,
    resets: (input: I) => boolean,
  ) {
    const n = (this.n = ops.length);
    this.isRead = new Uint8Array(n);
    this.isReset = new Uint8Array(n);
    ops.forEach((o, i) => {
      if (model.readOnly(o.input)) {
        if (o.known) this.isRead[i] = 1;
      } else if (resets(o.input)) this.isReset[i] = 1;
    });
    const rdNext = (this.rdNext = new Int32Array(n + 1));
    const rdPrev = (this.rdPrev = new Int32Array(n + 1));
    const rsNext = (this.rsNext = new Int32Array(n + 1));
    const rsPrev = (this.rsPrev = new Int32Array(n + 1));
    rdNext[n] = rdPrev[n] = n;
    rsNext[n] = rsPrev[n] = n;
    for (let rank = 0; rank < events.rankOp.length; rank++) {
      const op = events.rankOp[rank]!;
      const isCall = events.rankIsCall[rank] === 1;
      if (!isCall && this.isRead[op] === 1) appendToRing(rdNext, rdPrev, n, op);
      if (isCall && this.isReset[op] === 1) appendToRing(rsNext, rsPrev, n, op);
    }
  }

  /** True when the operation changes nothing the index watches beyond its own lists (a read). */
  isReadOp(op: number): boolean {
    return this.isRead[op] === 1;
  }

  /** False when, from `state`, some unplaced read can no longer fit (see the class's note). */
  alive(state: S): boolean {
    const n = this.n;
    const { callRank, retRank } = this.events;
    const reset = this.rsNext[n]!;
    const resetCall = reset === n ? 0x7fffffff : callRank[reset]!;
    let asked = 0;
    for (let r = this.rdNext[n]!; r !== n && asked < READS_ASKED; r = this.rdNext[r]!, asked++) {
      if (resetCall < retRank[r]!) return true;
      const o = this.ops[r]!;
      if (!this.reaches(state, o.input, o.output)) return false;
    }
    return true;
  }

  /** Takes a placed operation out of its list. */
  unlink(op: number): void {
    if (this.isRead[op] === 1) {
      this.rdNext[this.rdPrev[op]!] = this.rdNext[op]!;
      this.rdPrev[this.rdNext[op]!] = this.rdPrev[op]!;
    } else if (this.isReset[op] === 1) {
      this.rsNext[this.rsPrev[op]!] = this.rsNext[op]!;
      this.rsPrev[this.rsNext[op]!] = this.rsPrev[op]!;
    }
  }

  relink(op: number): void {
    if (this.isRead[op] === 1) {
      this.rdNext[this.rdPrev[op]!] = op;
      this.rdPrev[this.rdNext[op]!] = op;
    } else if (this.isReset[op] === 1) {
      this.rsNext[this.rsPrev[op]!] = op;
      this.rsPrev[this.rsNext[op]!] = op;
    }
  }
}
