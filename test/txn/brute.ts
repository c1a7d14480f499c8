import fc from 'fast-check';
import type { HistoryEvent, Scalar, Txn, TxnHistory, TxnWorkload as Workload } from '../../src/index.js';

/**
 * The reference the checker is measured against: try every serial order of the committed transactions (every
 * ok one, each unknown-outcome one that wrote either in or out, no failed one) and replay it; the history is
 * serializable when some order reproduces every value every ok transaction read. With `realtime`, an order must
 * also keep a transaction that completed before another was invoked ahead of it (strict serializability).
 */
export function bruteSerializable(h: TxnHistory, realtime: boolean): boolean {
  const writes = (t: Txn): boolean => t.ops.some((m) => m.f !== 'r');
  const ok = h.txns.filter((t) => t.status === 'ok');
  const maybe = h.txns.filter((t) => t.status === 'info' && writes(t));
  for (let mask = 0; mask < 1 << maybe.length; mask++) {
    const chosen = [...ok, ...maybe.filter((_, i) => mask & (1 << i))];
    if (search(chosen, new Map(), new Set(), h.workload, realtime)) return true;
  }
  return false;
}

type State = Map<Scalar, Scalar[] | Scalar | null>;

function search(txns: readonly Txn[], state: State, placed: Set<number>, workload: Workload, realtime: boolean): boolean {
  if (placed.size === txns.length) return true;
  for (const t of txns) {
    if (placed.has(t.index)) continue;
    // Real time: everything that completed before t was invoked must already be placed.
    if (realtime && txns.some((a) => !placed.has(a.index) && a !== t && a.ret < t.call)) continue;
    const next = run(t, state, workload);
    if (!next) continue;
    placed.add(t.index);
    if (search(txns, next, placed, workload, realtime)) return true;
    placed.delete(t.index);
  }
  return false;
}

/** Runs t on a copy of the state; undefined when one of its reads does not match. */
function run(t: Txn, state: State, workload: Workload): State | undefined {
  const s: State = new Map(state);
  for (const m of t.ops) {
    if (m.f === 'append') s.set(m.key, [...((s.get(m.key) as Scalar[] | undefined) ?? []), m.value]);
    else if (m.f === 'w') s.set(m.key, m.value);
    else if (t.status === 'ok') {
      if (workload === 'list-append') {
        const have = (s.get(m.key) as Scalar[] | undefined) ?? [];
        const read = (m.value ?? []) as Scalar[];
        if (have.length !== read.length || have.some((x, i) => x !== read[i])) return undefined;
      } else if ((s.get(m.key) ?? null) !== m.value) return undefined;
    }
  }
  return s;
}

/**
 * Small random histories, serializable or not: transactions run in a random serial order, but each read may
 * see a stale snapshot (the state after an earlier commit, plus the transaction's own writes) instead of the
 * current state, a failed transaction's writes may leak, an unknown outcome may or may not have taken effect,
 * and invocation/completion times are random so real time orders some pairs.
 */
export function historyArbitrary(workload: Workload): fc.Arbitrary<HistoryEvent[]> {
  const op = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 3 }));
  const txn = fc.record({
    ops: fc.array(op, { minLength: 1, maxLength: 3 }),
    status: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'info', 'fail') as fc.Arbitrary<'ok' | 'info' | 'fail'>,
    leak: fc.integer({ min: 0, max: 5 }),
    call: fc.integer({ min: 0, max: 8 }),
    length: fc.integer({ min: 1, max: 4 }),
  });
  return fc.record({ txns: fc.array(txn, { minLength: 1, maxLength: 5 }), order: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }) }).map(({ txns, order }) => {
    const serial = txns.map((_, i) => i).sort((a, b) => (order[a]! % 7) - (order[b]! % 7) || a - b);
    const snapshots: State[] = [new Map()];
    let counter = 0;
    const results = new Map<number, unknown[]>();
    for (const i of serial) {
      const spec = txns[i]!;
      const current = new Map(snapshots[snapshots.length - 1]!);
      const ops: unknown[] = [];
      const own: Array<[Scalar, Scalar, boolean]> = [];
      for (const [write, key, stale] of spec.ops) {
        if (write) {
          const v = ++counter;
          own.push([key, v, workload === 'list-append']);
          if (workload === 'list-append') current.set(key, [...((current.get(key) as Scalar[] | undefined) ?? []), v]);
          else current.set(key, v);
          ops.push([workload === 'list-append' ? 'append' : 'w', key, v]);
        } else {
          // stale 0: the current state; otherwise a snapshot `stale` commits back, plus own writes since.
          let seen = current.get(key) ?? null;
          if (stale > 0 && snapshots.length > 1) {
            const old = snapshots[Math.max(0, snapshots.length - 1 - stale)]!;
            seen = old.get(key) ?? null;
            for (const [k, v, append] of own) if (k === key) seen = append ? [...((seen as Scalar[] | null) ?? []), v] : v;
          }
          ops.push(['r', key, workload === 'list-append' ? [...((seen as Scalar[] | null) ?? [])] : seen]);
        }
      }
      const takesEffect = spec.status === 'ok' || (spec.status === 'info' && spec.leak % 2 === 0) || (spec.status === 'fail' && spec.leak === 0);
      if (takesEffect) snapshots.push(current);
      results.set(i, ops);
    }
    const events: Array<HistoryEvent & { at: number }> = [];
    txns.forEach((spec, i) => {
      const done = results.get(i)!;
      const invoke = done.map((m) => ((m as unknown[])[0] === 'r' ? ['r', (m as unknown[])[1], null] : m));
      events.push({ process: i, type: 'invoke', f: 'txn', value: invoke, at: spec.call * 2 });
      events.push({ process: i, type: spec.status, f: 'txn', value: spec.status === 'ok' ? done : invoke, at: (spec.call + spec.length) * 2 + 1 });
    });
    return events.sort((a, b) => a.at - b.at).map(({ at: _at, ...e }) => e);
  });
}
