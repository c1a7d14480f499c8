import type { Budget } from './budget.js';
import type { EdgeList } from './graph.js';
import { BudgetSpent } from './inference.js';
import { PROCESS, REALTIME, type Txn } from './types.js';

/**
 * Real-time edges, only those not implied by others: T1 → T2 when T1 completed before T2 was invoked and no
 * T3 fits between (T1 completed before T3 was invoked, T3 completed before T2 was invoked). A sweep over the
 * events keeps the completed transactions nothing completed since has superseded: with c concurrent clients
 * that frontier holds about c transactions, so this is O(n·c), not O(n²). Only `ok` transactions precede
 * anything: an unknown outcome may take effect at any later time, and a failed one never did.
 */
export function addRealtimeEdges(txns: readonly Txn[], edges: EdgeList, budget: Budget): void {
  type Ev = { at: number; txn: number; complete: boolean };
  const events: Ev[] = [];
  for (const t of txns) {
    if (t.status === 'fail') continue;
    events.push({ at: t.call, txn: t.index, complete: false });
    if (t.status === 'ok') events.push({ at: t.ret, txn: t.index, complete: true });
  }
  // At equal times an invocation sorts before a completion: equal stamps do not show one came first.
  events.sort((a, b) => a.at - b.at || Number(a.complete) - Number(b.complete));
  let frontier: number[] = [];
  const before = new Map<number, number[]>(); // txn → the frontier when it was invoked
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if ((i & 4095) === 4095 && !budget.charge(4096)) throw new BudgetSpent('building real-time edges');
    if (!e.complete) {
      for (const p of frontier) edges.add(p, e.txn, REALTIME);
      if (txns[e.txn]!.status === 'ok') before.set(e.txn, frontier);
      continue;
    }
    const preceded = before.get(e.txn);
    before.delete(e.txn);
    // Everything that preceded this transaction's invocation now precedes it: it supersedes them.
    frontier = preceded && preceded.length > 0 ? frontier.filter((p) => !preceded.includes(p)) : frontier.slice();
    frontier.push(e.txn);
  }
}

/** Process order: each client's committed transaction precedes that client's next one. */
export function addProcessEdges(txns: readonly Txn[], edges: EdgeList): void {
  const last = new Map<Txn['process'], Txn>();
  for (const t of txns) {
    const p = last.get(t.process);
    if (p && p.status === 'ok' && t.status !== 'fail') edges.add(p.index, t.index, PROCESS);
    if (t.status !== 'fail') last.set(t.process, t);
  }
}
