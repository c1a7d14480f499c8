import type { Budget } from './budget.js';
import type { EdgeList } from './graph.js';
import type { Anomaly, Txn } from './types.js';

/** What a workload's analysis hands the cycle search: dependency edges, anomalies seen directly, words. */
export interface Inference {
  readonly edges: EdgeList;
  /** Anomalies that need no cycle: aborted and intermediate reads, internal errors, lost updates, … */
  readonly anomalies: Anomaly[];
  readonly keys: number;
  /** Reads of values no transaction in the history wrote (a partial history, or corruption): not edges. */
  readonly unknownValues: number;
  /** Why `from` → `to` has the dependency `kind` (one of WW, WR, RW): the key and one sentence. */
  explain(from: number, to: number, kind: number): { key: string; why: string } | undefined;
}

/** Thrown inside an analysis when its budget runs out; the check turns it into an `unknown` verdict. */
export class BudgetSpent extends Error {
  constructor(readonly phase: string) {
    super(`budget spent while ${phase}`);
  }
}

/** Charges one transaction's worth of work, checking the clock only every 4096 transactions. */
export function chargeTxn(budget: Budget, i: number, phase: string): void {
  if ((i & 4095) === 4095 && !budget.charge(4096)) throw new BudgetSpent(phase);
}

/** Interns keys (`1` and `"1"` stay apart): dense ids index per-key arrays. */
export class KeyTable {
  // Two maps, not one keyed by a tagged string: no string is built per lookup (this runs once per micro-op).
  private readonly numbers = new Map<number, number>();
  private readonly strings = new Map<string, number>();
  readonly names: string[] = [];
  id(key: number | string): number {
    const ids: Map<number | string, number> = typeof key === 'number' ? this.numbers : this.strings;
    let id = ids.get(key);
    if (id === undefined) {
      id = this.names.length;
      ids.set(key, id);
      this.names.push(String(key));
    }
    return id;
  }
}

export type Labeler = (t: Txn) => string;
