import type { Budget } from './budget.js';
import { EdgeList } from './graph.js';
import { BudgetSpent, chargeTxn, KeyTable, type Inference, type Labeler } from './inference.js';
import { showValue } from './parse.js';
import { RW, WR, WW, WW_OR_RW, type Anomaly, type Scalar, type Txn } from './types.js';

/**
 * Read-write register analysis (Elle's rw-register): every write to a key writes a value no other write to it
 * writes, so a read names the transaction it read from (wr). The version order is only partly known: the
 * initial nil precedes every write, and a transaction that read v and then wrote w shows v < w (writes follow
 * reads). From the known order:
 * - ww: the writer of v precedes the writer of w for every known v < w;
 * - rw: a transaction that read v precedes the writer of each version known to follow v. When the actual next
 *   version lies between, the path reader → next writer → … → writer of w has the same single rw edge, so a
 *   cycle's class does not change. A reader that itself wrote the key after reading it precedes them too, but
 *   its own write may be the next version, so the edge is ww or rw (WW_OR_RW), counted as rw.
 * Orders that nothing reveals (two blind writes) give no edge: the analysis is sound, not complete.
 */

interface KeyState {
  readonly writer: Map<Scalar, number>;
  readonly intermediate: Set<Scalar>;
  /** Known direct successors of each version (`null` is the initial version) from writes-follow-reads. */
  readonly next: Map<Scalar | null, Scalar[]>;
  /** Versions with a known predecessor other than the initial one. */
  readonly hasPredecessor: Set<Scalar>;
}

interface ExternalRead {
  readonly key: number;
  readonly value: Scalar | null;
  /** The transaction wrote the key after reading it. */
  readonly thenWrote: boolean;
}

export function analyzeRwRegister(txns: readonly Txn[], budget: Budget, label: Labeler): Inference {
  const keys = new KeyTable();
  const states: KeyState[] = [];
  const anomalies: Anomaly[] = [];
  let unknownValues = 0;
  const state = (k: number): KeyState => (states[k] ??= { writer: new Map(), intermediate: new Set(), next: new Map(), hasPredecessor: new Set() });
  const externalReads: Array<ExternalRead[] | undefined> = new Array(txns.length);
  const L = (i: number): string => label(txns[i]!);

  for (const t of txns) {
    chargeTxn(budget, t.index, 'reading writes');
    if (t.status !== 'ok' && !t.ops.some((m) => m.f === 'w')) continue;
    const written = new Map<number, Scalar>();
    const known = new Map<number, Scalar | null>();
    const reads: ExternalRead[] = [];
    for (const m of t.ops) {
      const k = keys.id(m.key);
      const s = state(k);
      if (m.f === 'w') {
        const before = written.get(k);
        if (before !== undefined) s.intermediate.add(before);
        written.set(k, m.value as Scalar);
        if (!s.writer.has(m.value as Scalar)) s.writer.set(m.value as Scalar, t.index);
        if (t.status !== 'fail') {
          // Writes follow reads: what this transaction saw of k (or its own earlier write) precedes this write.
          const seen = known.has(k) ? known.get(k)! : undefined;
          if (seen !== undefined && before === undefined) {
            const list = s.next.get(seen);
            if (list) list.push(m.value as Scalar);
            else s.next.set(seen, [m.value as Scalar]);
            if (seen !== null) s.hasPredecessor.add(m.value as Scalar);
          }
          const read = reads.find((r) => r.key === k);
          if (read && !read.thenWrote) reads[reads.indexOf(read)] = { ...read, thenWrote: true };
        }
        known.set(k, m.value as Scalar);
        continue;
      }
      if (t.status !== 'ok') continue;
      const value = m.value as Scalar | null;
      if (known.has(k)) {
        if (known.get(k) !== value && !written.has(k)) {
          anomalies.push({
            type: 'non-repeatable-read',
            txns: [t.index],
            explanation: [`${L(t.index)} read ${String(m.key)} = ${showValue(known.get(k))} and later, in the same transaction, ${showValue(value)}: a write another transaction committed in between became visible to it (a non-repeatable read: read committed allows it, snapshot isolation and repeatable read do not).`],
          });
        } else if (known.get(k) !== value) {
          const own = written.has(k);
          anomalies.push({
            type: 'internal',
            txns: [t.index],
            explanation: [`${L(t.index)} read ${String(m.key)} = ${showValue(value)}, but ${own ? 'it had itself written' : 'it had just read'} ${showValue(known.get(k))}: a transaction does not see its own state.`],
          });
        }
      } else reads.push({ key: k, value, thenWrote: false });
      known.set(k, value);
    }
    if (reads.length > 0) externalReads[t.index] = reads;
  }

  for (const t of txns) {
    chargeTxn(budget, t.index, 'comparing reads');
    if (t.status !== 'ok') continue;
    for (const m of t.ops) {
      if (m.f !== 'r' || m.value === null) continue;
      const s = states[keys.id(m.key)]!;
      const x = m.value as Scalar;
      const w = s.writer.get(x);
      if (w === undefined) unknownValues++;
      else if (w === t.index) continue;
      else if (txns[w]!.status === 'fail') anomalies.push({ type: 'G1a', txns: [w, t.index], explanation: [`${L(w)} wrote ${String(m.key)} = ${String(x)} and failed (it was aborted), yet ${L(t.index)} read that value: an aborted read.`] });
      else if (s.intermediate.has(x)) anomalies.push({ type: 'G1b', txns: [w, t.index], explanation: [`${L(w)} wrote ${String(m.key)} = ${String(x)} and then wrote ${String(m.key)} again, yet ${L(t.index)} read ${String(x)}: a state ${L(w)} never committed (an intermediate read).`] });
    }
  }

  const edges = new EdgeList();
  const live = (s: KeyState, x: Scalar): number | undefined => {
    const w = s.writer.get(x);
    return w !== undefined && txns[w]!.status !== 'fail' ? w : undefined;
  };
  const successors = (s: KeyState, v: Scalar | null): readonly Scalar[] => {
    if (v !== null) return s.next.get(v) ?? [];
    // After the initial version: every written value with no other known predecessor.
    const roots: Scalar[] = [];
    for (const x of s.writer.keys()) if (!s.hasPredecessor.has(x)) roots.push(x);
    return roots;
  };
  const rootsCache = new Map<number, readonly Scalar[]>();
  const successorsOf = (k: number, v: Scalar | null): readonly Scalar[] => {
    if (v !== null) return successors(states[k]!, v);
    let r = rootsCache.get(k);
    if (!r) rootsCache.set(k, (r = successors(states[k]!, null)));
    return r;
  };

  for (let k = 0; k < states.length; k++) {
    const s = states[k]!;
    for (const [v, nexts] of s.next) {
      if (v === null) continue;
      const a = live(s, v);
      if (a === undefined) continue;
      for (const w of nexts) {
        const b = live(s, w);
        if (b !== undefined) edges.add(a, b, WW);
      }
    }
    if (!budget.charge(s.next.size)) throw new BudgetSpent('building ww edges');
  }
  const lostUpdates = new Map<string, number[]>();
  for (const t of txns) {
    chargeTxn(budget, t.index, 'building wr and rw edges');
    for (const { key: k, value, thenWrote } of externalReads[t.index] ?? []) {
      const s = states[k]!;
      if (value !== null) {
        const w = live(s, value);
        if (w !== undefined) edges.add(w, t.index, WR);
      }
      if (thenWrote) {
        const id = `${k}:${value === null ? 'nil' : typeof value === 'number' ? `n${value}` : `s${value}`}`;
        const group = lostUpdates.get(id);
        if (group) group.push(t.index);
        else lostUpdates.set(id, [t.index]);
      }
      const nexts = successorsOf(k, value);
      for (const x of nexts) {
        const w = live(s, x);
        if (w !== undefined) edges.add(t.index, w, thenWrote ? WW_OR_RW : RW);
      }
      if (nexts.length > 64 && !budget.charge(nexts.length)) throw new BudgetSpent('building rw edges');
    }
  }
  for (const [id, group] of lostUpdates) {
    if (group.length < 2) continue;
    const k = Number(id.slice(0, id.indexOf(':')));
    const read = externalReads[group[0]!]!.find((r) => r.key === k)!;
    anomalies.push({
      type: 'lost-update',
      txns: group,
      explanation: [`${group.map(L).join(', ')} each read ${keys.names[k]} = ${showValue(read.value)} and then wrote ${keys.names[k]}: each committed an update based on the same version, so all but one of those updates were lost.`],
    });
  }

  const explain = (from: number, to: number, kind: number): { key: string; why: string } | undefined => {
    if (kind === WW) {
      for (const m of txns[from]!.ops) {
        if (m.f !== 'w') continue;
        const s = states[keys.id(m.key)]!;
        for (const x of s.next.get(m.value as Scalar) ?? []) {
          if (s.writer.get(x) !== to) continue;
          return { key: String(m.key), why: `${L(from)} wrote ${String(m.key)} = ${String(m.value)}, and ${L(to)} read that value before writing ${String(m.key)} = ${String(x)}` };
        }
      }
    } else if (kind === WR) {
      for (const { key: k, value } of externalReads[to] ?? []) {
        if (value !== null && states[k]!.writer.get(value) === from) return { key: keys.names[k]!, why: `${L(to)} read ${keys.names[k]} = ${String(value)}, which ${L(from)} wrote` };
      }
    } else if (kind === RW || kind === WW_OR_RW) {
      for (const { key: k, value, thenWrote } of externalReads[from] ?? []) {
        if (thenWrote !== (kind === WW_OR_RW)) continue;
        const s = states[k]!;
        for (const x of successorsOf(k, value)) {
          if (s.writer.get(x) !== to) continue;
          const after = value === null ? 'every write follows the initial nil' : `${L(to)}'s write follows a read of ${String(value)}`;
          const own = thenWrote ? `; ${L(from)} then wrote ${keys.names[k]} itself, so whichever write came first, ${L(from)} precedes ${L(to)} (ww or rw)` : '';
          return { key: keys.names[k]!, why: `${L(from)} read ${keys.names[k]} = ${showValue(value)}, a version before ${L(to)}'s write of ${String(x)} (${after})${own}` };
        }
      }
    }
    return undefined;
  };
  return { edges, anomalies, keys: keys.names.length, unknownValues, explain };
}
