import type { Budget } from './budget.js';
import { PathFinder, stronglyConnected, type Components, type Graph } from './graph.js';
import type { Inference, Labeler } from './inference.js';
import { PROCESS, REALTIME, RW, WR, WW, WW_OR_RW, type Anomaly, type AnomalyType, type CycleClass, type CycleStep, type EdgeKindName, type Txn } from './types.js';

/**
 * The cycle search, Elle's way: strongly connected components first (linear), then within each component a
 * breadth-first search for a short cycle of each class, so the cost is proportional to the components that
 * hold cycles, not to the history. Each class is searched on the edges it may use:
 * - G0 on ww edges alone; G1c on ww and wr (through a wr edge);
 * - G-single: an rw edge a → b closed by a ww/wr path b → a; G2-item: closed by any path (≥ 2 rw edges);
 * - with real-time or process order: cycles through an edge that only real time or process order gives.
 */

export interface CycleSearch {
  readonly anomalies: Anomaly[];
  components: number;
  largestComponent: number;
  readonly notes: string[];
  /** Cycle classes whose search gave up in some component (a cycle of that class may have been missed). */
  readonly incomplete: Set<CycleClass>;
  cutShort: boolean;
}

/** Dependencies; an edge that may be ww or rw searches as rw, the class that claims least. */
const ANTI = RW | WW_OR_RW;
const BASE = WW | WR | ANTI;
/** rw edges tried per component for a G-single before settling for a G2-item; each try is one search. */
const G_SINGLE_TRIES = 64;

/** Node lists of the components with two or more nodes. */
function members(c: Components): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let v = 0; v < c.component.length; v++) {
    const id = c.component[v]!;
    if (c.sizes[id]! < 2) continue;
    const list = out.get(id);
    if (list) list.push(v);
    else out.set(id, [v]);
  }
  return out;
}

/** First edge (from, to) inside component `id` whose kind has a bit of `want` and, if given, none of `avoid`. */
function* edgesInside(g: Graph, c: Components, nodes: readonly number[], want: number, avoid = 0): Generator<[number, number]> {
  for (const v of nodes) {
    const id = c.component[v];
    for (let e = g.offsets[v]!; e < g.offsets[v + 1]!; e++) {
      const k = g.kinds[e]!;
      if ((k & want) !== 0 && (k & avoid) === 0 && c.component[g.targets[e]!] === id) yield [v, g.targets[e]!];
    }
  }
}

/** The label a cycle's edge gets: the kind that makes the weakest claim the edge supports. */
function labelOf(kind: number, allowed: number): EdgeKindName {
  const k = kind & allowed;
  if (k & WW) return 'ww';
  if (k & WR) return 'wr';
  if (k & RW) return 'rw';
  if (k & WW_OR_RW) return 'ww-or-rw';
  if (k & PROCESS) return 'process';
  return 'realtime';
}

const BIT: Record<EdgeKindName, number> = { ww: WW, wr: WR, rw: RW, 'ww-or-rw': WW_OR_RW, process: PROCESS, realtime: REALTIME };

export function classify(steps: readonly { kind: EdgeKindName }[]): AnomalyType {
  const anti = steps.map((s) => s.kind === 'rw' || s.kind === 'ww-or-rw');
  const rw = anti.filter(Boolean).length;
  const adjacent = anti.some((a, i) => a && anti[(i + 1) % anti.length]);
  const base: CycleClass = rw === 0 ? (steps.some((s) => s.kind === 'wr') ? 'G1c' : 'G0') : rw === 1 ? 'G-single' : adjacent ? 'G2-item' : 'G-nonadjacent';
  if (steps.some((s) => s.kind === 'process')) return `${base}-process`;
  if (steps.some((s) => s.kind === 'realtime')) return `${base}-realtime`;
  return base;
}

const CLASS_WORDS: Record<CycleClass, string> = {
  G0: 'every edge is a write-write dependency: the transactions overwrote each other in an order no serial run has (G0, dirty write). Even read uncommitted forbids it.',
  G1c: 'every edge is a write-write or write-read dependency: information flowed in a circle, each transaction seeing effects of one that saw its own (G1c, circular information flow). Read committed forbids it.',
  'G-single': 'exactly one edge is an anti-dependency (rw: a read that missed a write that came before it in the order): one transaction saw part of another\'s effects and not the rest (G-single, read skew). Snapshot isolation and repeatable read forbid it; read committed allows it.',
  'G-nonadjacent': 'two or more edges are anti-dependencies (rw), and no two of them are next to each other: every cycle snapshot isolation allows has two adjacent rw edges, so this one rules it out (G-nonadjacent). Serializability and snapshot isolation forbid it.',
  'G2-item': 'two or more edges are anti-dependencies (rw): each transaction read something the other then overwrote, and both committed (G2-item, write skew). Serializability forbids it; snapshot isolation allows it.',
};

export class CycleFinder {
  constructor(
    private readonly g: Graph,
    private readonly txns: readonly Txn[],
    private readonly inference: Inference,
    private readonly label: Labeler,
    private readonly budget: Budget,
  ) {}

  search(options: { realtime: boolean; process: boolean }): CycleSearch {
    const { g, budget } = this;
    const all = BASE | (options.realtime ? REALTIME : 0) | (options.process ? PROCESS : 0);
    const whole = stronglyConnected(g, all);
    const result: CycleSearch = { anomalies: [], components: 0, largestComponent: 0, notes: [], incomplete: new Set(), cutShort: false };
    for (let i = 0; i < whole.count; i++) {
      if (whole.sizes[i]! >= 2) {
        result.components++;
        result.largestComponent = Math.max(result.largestComponent, whole.sizes[i]!);
      }
    }
    if (result.components === 0) return result;
    budget.charge(g.nodes + g.edges);

    const found = (cycle: number[] | undefined, allowed: number, finder: PathFinder): boolean => {
      if (finder.cutShort) result.cutShort = true;
      if (!cycle) return false;
      result.anomalies.push(this.describe(cycle, allowed));
      return true;
    };

    // G0: ww edges alone.
    const ww = stronglyConnected(g, WW);
    const wwPaths = new PathFinder(g, ww.component, budget);
    for (const nodes of members(ww).values()) {
      for (const [a, b] of edgesInside(g, ww, nodes, WW)) {
        found(this.close(wwPaths, a, b, WW), WW, wwPaths);
        break;
      }
      if (result.cutShort) return result;
    }
    // G1c: ww and wr, through a wr edge (a component without one is a G0 already reported).
    const wwr = stronglyConnected(g, WW | WR);
    const wwrPaths = new PathFinder(g, wwr.component, budget);
    for (const nodes of members(wwr).values()) {
      for (const [a, b] of edgesInside(g, wwr, nodes, WR, WW)) {
        found(this.close(wwrPaths, a, b, WW | WR), WW | WR, wwrPaths);
        break;
      }
      if (result.cutShort) return result;
    }
    // G-single, else G2-item, in each component of the base graph that holds an rw edge.
    const base = stronglyConnected(g, BASE);
    const basePaths = new PathFinder(g, base.component, budget);
    for (const nodes of members(base).values()) {
      let single: number[] | undefined;
      let tries = 0;
      let any: [number, number] | undefined;
      // An rw edge whose ends share a ww/wr component closes at once; try those first, then others.
      for (const pass of [true, false]) {
        for (const [a, b] of edgesInside(g, base, nodes, ANTI, WW | WR)) {
          if ((wwr.component[a] === wwr.component[b]) !== pass) continue;
          any ??= [a, b];
          if (tries++ >= G_SINGLE_TRIES) break;
          single = this.close(basePaths, a, b, WW | WR);
          if (single || basePaths.cutShort) break;
        }
        if (single || basePaths.cutShort || tries > G_SINGLE_TRIES) break;
      }
      if (found(single, BASE, basePaths)) continue;
      if (result.cutShort) return result;
      if (!any) continue;
      if (tries > G_SINGLE_TRIES) {
        result.incomplete.add('G-single');
        result.notes.push(`a component of ${nodes.length} transactions has more rw edges than the ${G_SINGLE_TRIES} tried for a G-single cycle; it may hold one`);
      }
      found(this.close(basePaths, any[0], any[1], BASE), BASE, basePaths);
      if (result.cutShort) return result;
    }
    // Cycles that need process order, then real time.
    for (const [extra, mask] of [
      [PROCESS, BASE | PROCESS],
      [REALTIME, all],
    ] as const) {
      if ((all & extra) === 0) continue;
      const comps = stronglyConnected(g, mask);
      const paths = new PathFinder(g, comps.component, budget);
      for (const nodes of members(comps).values()) {
        for (const [a, b] of edgesInside(g, comps, nodes, extra, extra === REALTIME ? BASE | PROCESS : BASE)) {
          found(this.close(paths, a, b, mask), mask, paths);
          break;
        }
        if (result.cutShort) return result;
      }
    }
    return result;
  }

  /** The cycle a → b → … → a, closing the edge a → b with the shortest path b → a on `mask` edges. */
  private close(paths: PathFinder, a: number, b: number, mask: number): number[] | undefined {
    const back = paths.shortest(b, a, mask);
    return back ? [a, ...back.slice(0, -1)] : undefined;
  }

  /** A cycle (node list, closing back to the first) as an anomaly explained step by step. */
  describe(cycle: readonly number[], allowed: number): Anomaly {
    // Start at the earliest transaction, so the same cycle always reads the same way.
    const start = cycle.indexOf(Math.min(...cycle));
    const nodes = [...cycle.slice(start), ...cycle.slice(0, start)];
    const L = (i: number): string => this.label(this.txns[i]!);
    const steps: CycleStep[] = nodes.map((from, i) => {
      const to = nodes[(i + 1) % nodes.length]!;
      const kind = labelOf(this.g.kindOf(from, to), allowed);
      if (kind === 'realtime') {
        return { from, to, kind, why: `${L(from)} completed before ${L(to)} was invoked (real time)` };
      }
      if (kind === 'process') {
        return { from, to, kind, why: `${L(from)} and then ${L(to)} ran on process ${String(this.txns[from]!.process)} (process order)` };
      }
      const e = this.inference.explain(from, to, BIT[kind]);
      return { from, to, kind, ...(e ? { key: e.key } : {}), why: e?.why ?? `${L(from)} precedes ${L(to)} (${kind})` };
    });
    const type = classify(steps);
    const base = type.replace(/-(realtime|process)$/, '') as CycleClass;
    const explanation = [
      `A cycle of ${nodes.length} transactions: ${[...nodes, nodes[0]!].map(L).join(' → ')}.`,
      ...steps.map((s, i) => `${i + 1}. ${L(s.from)} → ${L(s.to)} (${s.kind}${s.key !== undefined ? ` on ${s.key}` : ''}): ${s.why}.`),
      `So ${L(nodes[0]!)} would have to come before itself: no order of these transactions explains what they read.`,
      `In this cycle ${CLASS_WORDS[base]}`,
      ...(type.endsWith('-process') ? ['The cycle needs process order (one client\'s transactions in the order it ran them): it rules out strong session serializability and strict serializability, not serializability.'] : []),
      ...(type.endsWith('-realtime') ? ['The cycle needs real-time order (a transaction that completed before another began): it rules out strict serializability only.'] : []),
    ];
    return { type, txns: nodes, cycle: steps, explanation };
  }
}
