import type { Budget } from './budget.js';
import { EdgeList } from './graph.js';
import { BudgetSpent, chargeTxn, KeyTable, type Inference, type Labeler } from './inference.js';
import { showValue } from './parse.js';
import { RW, WR, WW, WW_OR_RW, type Anomaly, type MicroOp, type Scalar, type Txn } from './types.js';

/**
 * List-append analysis (Elle, Kingsbury & Alvaro, VLDB 2020, §4): every append to a key adds a value no other
 * append to that key adds, so a read of the list shows, in order, which transactions' appends precede which.
 * The longest read of a key is its version order as far as anyone saw it; every other read must be a prefix of
 * it, or the database showed two orders ("incompatible order", reported; the longest read still gives the order,
 * as in Elle). From that order:
 * - ww: the writer of each element precedes the writer of the next one;
 * - wr: the writer of the last element a transaction read precedes the reader;
 * - rw: a reader precedes the writer of the first element its read did not include.
 * Reads and appends are taken per transaction as Elle does: the external read of a key is its first read
 * before the transaction appends to it; later reads are checked for internal consistency instead.
 * An append by a committed transaction that no read shows still has a place: after the whole observed order
 * (the longest read is a prefix of the final list and does not hold it). So the last observed writer precedes
 * it (ww, through whatever came between), and so does every reader that saw the whole observed order and did
 * not append to the key itself (rw, through the next version's writer); a reader that did append precedes it
 * too, by ww or rw depending on an order nobody saw (WW_OR_RW). Without these edges a history whose
 * last appends nobody read hides its cycles (found by the brute-force property test).
 */

interface KeyState {
  /** Element → writer transaction (index); the first appender when a value is appended twice. */
  readonly writer: Map<Scalar, number>;
  /** Elements a transaction appended and then appended again after (G1b when read last). */
  readonly intermediate: Set<Scalar>;
  /** The longest read, its reader, and element → position in it. */
  order: readonly Scalar[];
  orderFrom: number;
  position: Map<Scalar, number> | undefined;
  /** Committed transactions whose append to this key no read showed: they come after the whole order. */
  unobserved: number[];
  incompatible: boolean;
}

/** One transaction's external read of a key: the list it saw before appending to the key itself. */
interface ExternalRead {
  readonly key: number;
  readonly value: readonly Scalar[];
}

export function analyzeListAppend(txns: readonly Txn[], budget: Budget, label: Labeler): Inference {
  const keys = new KeyTable();
  const states: KeyState[] = [];
  const anomalies: Anomaly[] = [];
  let unknownValues = 0;
  const state = (k: number): KeyState => (states[k] ??= { writer: new Map(), intermediate: new Set(), order: [], orderFrom: -1, position: undefined, unobserved: [], incompatible: false });
  const externalReads: Array<ExternalRead[] | undefined> = new Array(txns.length);
  const L = (i: number): string => label(txns[i]!);

  // Pass 1: writers of every element, external reads, internal consistency, the longest read per key.
  for (const t of txns) {
    chargeTxn(budget, t.index, 'reading appends');
    if (t.status !== 'ok' && !t.ops.some((m) => m.f === 'append')) continue;
    // Per key this transaction touched: its appends, what it must see next (after a read), the last read and
    // its own appends since. Most transactions touch a few keys, so one small map, filled lazily.
    const appended = new Map<number, Scalar[]>();
    const known = new Map<number, readonly Scalar[]>();
    const lastRead = new Map<number, readonly Scalar[]>();
    const since = new Map<number, Scalar[]>();
    const reads: ExternalRead[] = [];
    for (const m of t.ops) {
      const k = keys.id(m.key);
      const s = state(k);
      if (m.f === 'append') {
        const mine = appended.get(k);
        if (mine) {
          s.intermediate.add(mine[mine.length - 1]!);
          mine.push(m.value);
        } else appended.set(k, [m.value]);
        if (!s.writer.has(m.value)) s.writer.set(m.value, t.index);
        const seen = known.get(k);
        if (seen) known.set(k, [...seen, m.value]); // the read itself is kept as read: copy, then extend
        if (lastRead.has(k)) {
          const own = since.get(k);
          if (own) own.push(m.value);
          else since.set(k, [m.value]);
        }
        continue;
      }
      if (t.status !== 'ok') continue; // an unknown outcome's reads returned nothing we saw
      const value = (m.value ?? []) as readonly Scalar[];
      const expected = known.get(k);
      const mine = appended.get(k);
      if (expected) {
        const previous = lastRead.get(k)!;
        const own = since.get(k) ?? [];
        if (sameList(expected, value)) {
          // as it must be
        } else if (value.length > expected.length && isPrefix(previous, value) && endsWith(value, own)) {
          // Others' appends committed between two reads: a fuzzy (non-repeatable) read, which read committed allows.
          anomalies.push({
            type: 'non-repeatable-read',
            txns: [t.index],
            explanation: [`${L(t.index)} read ${String(m.key)} = ${showValue(previous)} and later, in the same transaction, ${showValue(value)}: appends other transactions committed in between became visible to it (a non-repeatable read: read committed allows it, snapshot isolation and repeatable read do not).`],
          });
        } else {
          anomalies.push({ type: 'internal', txns: [t.index], explanation: [`${L(t.index)} read ${String(m.key)} = ${showValue(value)}, but its own earlier read and appends say it must be ${showValue(expected)}: a transaction does not see its own state.`] });
        }
      } else if (mine && !endsWith(value, mine)) {
        anomalies.push({ type: 'internal', txns: [t.index], explanation: [`${L(t.index)} appended ${showValue(mine)} to ${String(m.key)} and then read ${showValue(value)}, which does not end with its own appends: a transaction does not see its own writes.`] });
      }
      known.set(k, value);
      lastRead.set(k, value);
      since.delete(k);
      if (!mine && !expected) reads.push({ key: k, value });
      if (value.length > s.order.length) {
        s.order = value;
        s.orderFrom = t.index;
      }
    }
    if (reads.length > 0) externalReads[t.index] = reads;
  }

  // Pass 2: every read against its key's longest read; aborted, intermediate, garbage and duplicate reads.
  for (const t of txns) {
    chargeTxn(budget, t.index, 'comparing reads');
    if (t.status !== 'ok') continue;
    for (const m of t.ops) {
      if (m.f !== 'r') continue;
      const k = keys.id(m.key);
      const s = states[k]!;
      const value = (m.value ?? []) as readonly Scalar[];
      if (!s.incompatible && !isPrefix(value, s.order)) {
        s.incompatible = true;
        anomalies.push({
          type: 'incompatible-order',
          txns: [s.orderFrom, t.index],
          explanation: [
            `${L(t.index)} read ${String(m.key)} = ${showValue(value)} and ${L(s.orderFrom)} read ${String(m.key)} = ${showValue(s.order)}: neither is a prefix of the other, so the database showed two different orders of the appends to ${String(m.key)}.`,
          ],
        });
      }
      if (new Set(value).size !== value.length) {
        anomalies.push({ type: 'duplicate-elements', txns: [t.index], explanation: [`${L(t.index)} read ${String(m.key)} = ${showValue(value)}, which holds a value twice; every append adds a distinct value once.`] });
      }
      for (let i = 0; i < value.length; i++) {
        const x = value[i]!;
        const w = s.writer.get(x);
        if (w === undefined) unknownValues++;
        else if (w === t.index && i < value.length && !afterOwnAppend(t, m, x)) {
          anomalies.push({ type: 'internal', txns: [t.index], explanation: [`${L(t.index)} read ${String(m.key)} = ${showValue(value)}, which holds ${String(x)}, before it appended ${String(x)} itself: a read from the future.`] });
        } else if (txns[w]!.status === 'fail') {
          anomalies.push({ type: 'G1a', txns: [w, t.index], explanation: [`${L(w)} appended ${String(x)} to ${String(m.key)} and failed (it was aborted), yet ${L(t.index)} read ${String(m.key)} = ${showValue(value)}, which includes it: an aborted read.`] });
        } else if (i === value.length - 1 && w !== t.index && s.intermediate.has(x)) {
          anomalies.push({ type: 'G1b', txns: [w, t.index], explanation: [`${L(w)} appended ${String(x)} to ${String(m.key)} and then appended to ${String(m.key)} again, yet ${L(t.index)} read ${String(m.key)} = ${showValue(value)}, ending at ${String(x)}: it saw a state ${L(w)} never committed (an intermediate read).`] });
        }
      }
    }
  }

  const edges = new EdgeList();
  const fromWriter = (s: KeyState, x: Scalar): number | undefined => {
    const w = s.writer.get(x);
    return w !== undefined && txns[w]!.status !== 'fail' ? w : undefined;
  };
  // Committed: ok, or an unknown outcome some read showed an append of.
  const committed = new Uint8Array(txns.length);
  for (const t of txns) if (t.status === 'ok') committed[t.index] = 1;
  for (const s of states) {
    for (const x of s.order) {
      const w = s.writer.get(x);
      if (w !== undefined && txns[w]!.status === 'info') committed[w] = 1;
    }
  }
  // ww along each key's order: the longest read, even when another read disagrees with it (as Elle does; the
  // disagreement is reported, and edges from the longest read still hold for the history it shows).
  for (let k = 0; k < states.length; k++) {
    const s = states[k]!;
    s.position = new Map();
    let prev: number | undefined;
    for (let i = 0; i < s.order.length; i++) {
      s.position.set(s.order[i]!, i);
      const w = fromWriter(s, s.order[i]!);
      if (prev !== undefined && w !== undefined) edges.add(prev, w, WW);
      prev = w;
    }
    const unobserved = new Set<number>();
    for (const [x, w] of s.writer) if (!s.position.has(x) && committed[w] === 1) unobserved.add(w);
    s.unobserved = [...unobserved];
    if (prev !== undefined) for (const w of s.unobserved) edges.add(prev, w, WW);
    if (!budget.charge(s.order.length + s.unobserved.length)) throw new BudgetSpent('building ww edges');
  }
  // wr and rw from each external read; lost updates from readers of one version that then appended.
  const lostUpdates = new Map<string, number[]>();
  for (const t of txns) {
    chargeTxn(budget, t.index, 'building wr and rw edges');
    const reads = externalReads[t.index];
    if (!reads) continue;
    for (const { key: k, value } of reads) {
      const s = states[k]!;
      if (value.length > 0) {
        const w = fromWriter(s, value[value.length - 1]!);
        if (w !== undefined) edges.add(w, t.index, WR);
      }
      if (s.incompatible && !isPrefix(value, s.order)) continue;
      const appends = t.ops.some((m) => m.f === 'append' && keys.id(m.key) === k);
      if (value.length < s.order.length) {
        const w = fromWriter(s, s.order[value.length]!);
        if (w !== undefined) edges.add(t.index, w, RW);
      } else for (const w of s.unobserved) edges.add(t.index, w, appends ? WW_OR_RW : RW);
      if (appends) {
        const id = `${k}:${value.length}`;
        const group = lostUpdates.get(id);
        if (group) group.push(t.index);
        else lostUpdates.set(id, [t.index]);
      }
    }
  }
  for (const [id, group] of lostUpdates) {
    if (group.length < 2) continue;
    const s = states[Number(id.split(':')[0])]!;
    const k = keys.names[Number(id.split(':')[0])]!;
    const seen = s.order.slice(0, Number(id.split(':')[1]));
    anomalies.push({
      type: 'lost-update',
      txns: group,
      explanation: [`${group.map(L).join(', ')} each read ${k} = ${showValue(seen)} and then appended to ${k}: each committed an update based on the same version, so none of them saw the others' (a lost update).`],
    });
  }

  const explain = (from: number, to: number, kind: number): { key: string; why: string } | undefined => {
    if (kind === WW) {
      for (const m of txns[from]!.ops) {
        if (m.f !== 'append') continue;
        const s = states[keys.id(m.key)]!;
        const p = s.position?.get(m.value);
        if (p === undefined || p + 1 >= s.order.length) continue;
        const next = s.order[p + 1]!;
        if (s.writer.get(next) !== to) continue;
        return { key: String(m.key), why: `${L(from)} appended ${String(m.value)} to ${String(m.key)} and ${L(to)} appended ${String(next)} right after it (${L(s.orderFrom)} read ${String(m.key)} = ${showValue(s.order)})` };
      }
      for (const m of txns[from]!.ops) {
        if (m.f !== 'append') continue;
        const s = states[keys.id(m.key)]!;
        if (s.order[s.order.length - 1] !== m.value || !s.unobserved.includes(to)) continue;
        return { key: String(m.key), why: `${L(from)} appended ${String(m.value)}, the last value any read of ${String(m.key)} showed, and ${L(to)} committed an append to ${String(m.key)} that no read showed, so it comes later` };
      }
    } else if (kind === WR) {
      for (const { key: k, value } of externalReads[to] ?? []) {
        const s = states[k]!;
        if (value.length > 0 && s.writer.get(value[value.length - 1]!) === from) {
          return { key: keys.names[k]!, why: `${L(to)} read ${keys.names[k]} = ${showValue(value)}, which ends with ${L(from)}'s append of ${String(value[value.length - 1])}` };
        }
      }
    } else if (kind === RW) {
      for (const { key: k, value } of externalReads[from] ?? []) {
        const s = states[k]!;
        if (isPrefix(value, s.order) && value.length < s.order.length && s.writer.get(s.order[value.length]!) === to) {
          return { key: keys.names[k]!, why: `${L(from)} read ${keys.names[k]} = ${showValue(value)}, without ${L(to)}'s append of ${String(s.order[value.length])}, which comes next (${L(s.orderFrom)} read ${keys.names[k]} = ${showValue(s.order)})` };
        }
        if (isPrefix(value, s.order) && value.length === s.order.length && s.unobserved.includes(to)) {
          return { key: keys.names[k]!, why: `${L(from)} read ${keys.names[k]} = ${showValue(value)}, without ${L(to)}'s committed append, which no read showed and so comes after everything read` };
        }
      }
    } else if (kind === WW_OR_RW) {
      for (const { key: k, value } of externalReads[from] ?? []) {
        const s = states[k]!;
        if (isPrefix(value, s.order) && value.length === s.order.length && s.unobserved.includes(to)) {
          return { key: keys.names[k]!, why: `${L(from)} read ${keys.names[k]} = ${showValue(value)} and then appended to ${keys.names[k]}; ${L(to)}'s committed append, which no read showed, also follows ${showValue(value)}: whichever append came first, ${L(from)} precedes ${L(to)} (ww or rw)` };
        }
      }
    }
    return undefined;
  };
  return { edges, anomalies, keys: keys.names.length, unknownValues, explain };
}

/** Whether the transaction appended x to the read's key before that read (not a read from its future). */
function afterOwnAppend(t: Txn, read: MicroOp, x: Scalar): boolean {
  for (const m of t.ops) {
    if (m === read) return false;
    if (m.f === 'append' && m.key === read.key && m.value === x) return true;
  }
  return false;
}

function sameList(a: readonly Scalar[], b: readonly Scalar[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isPrefix(a: readonly Scalar[], b: readonly Scalar[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function endsWith(a: readonly Scalar[], suffix: readonly Scalar[]): boolean {
  if (suffix.length > a.length) return false;
  const off = a.length - suffix.length;
  return suffix.every((x, i) => a[off + i] === x);
}
