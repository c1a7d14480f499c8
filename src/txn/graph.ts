import type { Budget } from './budget.js';

/**
 * The dependency graph, built for hundreds of thousands of transactions: edges collected into growable typed
 * arrays, then packed into compressed sparse rows with one byte of kind bits per (from, to) pair, so an edge
 * that is both ww and rw is one entry and no edge is an object. Why an edge exists is not stored: the few
 * edges of a reported cycle are explained afterwards from the transactions themselves.
 */
export class EdgeList {
  private from = new Int32Array(1024);
  private to = new Int32Array(1024);
  private kind = new Uint8Array(1024);
  length = 0;

  add(a: number, b: number, kind: number): void {
    if (a === b) return; // a transaction does not depend on itself
    if (this.length === this.from.length) {
      const grow = <T extends Int32Array | Uint8Array>(x: T, make: (n: number) => T): T => {
        const y = make(x.length * 2);
        y.set(x);
        return y;
      };
      this.from = grow(this.from, (n) => new Int32Array(n));
      this.to = grow(this.to, (n) => new Int32Array(n));
      this.kind = grow(this.kind, (n) => new Uint8Array(n));
    }
    this.from[this.length] = a;
    this.to[this.length] = b;
    this.kind[this.length] = kind;
    this.length++;
  }

  /** Packs the edges into rows, merging duplicates' kinds. O(nodes + edges). */
  build(nodes: number): Graph {
    const counts = new Int32Array(nodes + 1);
    for (let i = 0; i < this.length; i++) counts[this.from[i]! + 1]!++;
    for (let v = 0; v < nodes; v++) counts[v + 1]! += counts[v]!;
    const fill = counts.slice(0, nodes);
    const targets = new Int32Array(this.length);
    const kinds = new Uint8Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const at = fill[this.from[i]!]!++;
      targets[at] = this.to[i]!;
      kinds[at] = this.kind[i]!;
    }
    // Merge repeated targets within each row: `slot[t]` remembers where t was first written for this row.
    const slot = new Int32Array(nodes).fill(-1);
    const offsets = new Int32Array(nodes + 1);
    let out = 0;
    for (let v = 0; v < nodes; v++) {
      offsets[v] = out;
      const rowStart = out;
      for (let i = counts[v]!; i < counts[v + 1]!; i++) {
        const t = targets[i]!;
        const s = slot[t]!;
        if (s >= rowStart) kinds[s]! |= kinds[i]!;
        else {
          slot[t] = out;
          targets[out] = t;
          kinds[out] = kinds[i]!;
          out++;
        }
      }
    }
    offsets[nodes] = out;
    return new Graph(nodes, offsets, targets.slice(0, out), kinds.slice(0, out));
  }
}

export class Graph {
  constructor(
    readonly nodes: number,
    readonly offsets: Int32Array,
    readonly targets: Int32Array,
    readonly kinds: Uint8Array,
  ) {}

  get edges(): number {
    return this.targets.length;
  }

  /** Kind bits of the edge a → b (0 when there is none). */
  kindOf(a: number, b: number): number {
    for (let i = this.offsets[a]!; i < this.offsets[a + 1]!; i++) if (this.targets[i] === b) return this.kinds[i]!;
    return 0;
  }
}

export interface Components {
  /** Component id of each node; nodes in one strongly connected component share it. */
  readonly component: Int32Array;
  readonly sizes: Int32Array;
  readonly count: number;
}

/**
 * Tarjan's strongly connected components over the edges whose kind has a bit in `mask`, iterative (a
 * recursive walk overflows the stack at a few thousand transactions in a chain). O(nodes + edges).
 */
export function stronglyConnected(g: Graph, mask: number): Components {
  const n = g.nodes;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  const component = new Int32Array(n).fill(-1);
  const sizes: number[] = [];
  let sp = 0;
  let next = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = g.offsets[root]!;
    index[root] = low[root] = next++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const v = callNode[depth]!;
      const e = callEdge[depth]!;
      if (e < g.offsets[v + 1]!) {
        callEdge[depth] = e + 1;
        if ((g.kinds[e]! & mask) === 0) continue;
        const w = g.targets[e]!;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack[sp++] = w;
          onStack[w] = 1;
          depth++;
          callNode[depth] = w;
          callEdge[depth] = g.offsets[w]!;
        } else if (onStack[w] && index[w]! < low[v]!) low[v] = index[w]!;
        continue;
      }
      if (low[v] === index[v]) {
        const id = sizes.length;
        let size = 0;
        let w: number;
        do {
          w = stack[--sp]!;
          onStack[w] = 0;
          component[w] = id;
          size++;
        } while (w !== v);
        sizes.push(size);
      }
      depth--;
      if (depth >= 0) {
        const parent = callNode[depth]!;
        if (low[v]! < low[parent]!) low[parent] = low[v]!;
      }
    }
  }
  return { component, sizes: Int32Array.from(sizes), count: sizes.length };
}

/**
 * Breadth-first search for the shortest path from `from` to `to` over edges whose kind has a bit in `mask`,
 * staying inside one strongly connected component (a cycle never leaves it). Reuses its arrays between calls:
 * one search costs what it visits, not the size of the graph. Returns the nodes from `from` to `to`, or
 * undefined when there is no such path or the budget ran out (then `cutShort` is set).
 */
export class PathFinder {
  private readonly seen: Int32Array;
  private readonly parent: Int32Array;
  private readonly queue: Int32Array;
  private stamp = 0;
  cutShort = false;

  constructor(
    private readonly g: Graph,
    private readonly component: Int32Array,
    private readonly budget: Budget,
  ) {
    this.seen = new Int32Array(g.nodes);
    this.parent = new Int32Array(g.nodes);
    this.queue = new Int32Array(g.nodes);
  }

  shortest(from: number, to: number, mask: number): number[] | undefined {
    const { g, seen, parent, queue, component } = this;
    const c = component[from]!;
    if (component[to] !== c) return undefined;
    const stamp = ++this.stamp;
    let head = 0;
    let tail = 0;
    queue[tail++] = from;
    seen[from] = stamp;
    parent[from] = -1;
    while (head < tail) {
      const v = queue[head++]!;
      if ((head & 1023) === 0 && !this.budget.charge(1024)) {
        this.cutShort = true;
        return undefined;
      }
      for (let e = g.offsets[v]!; e < g.offsets[v + 1]!; e++) {
        if ((g.kinds[e]! & mask) === 0) continue;
        const w = g.targets[e]!;
        if (component[w] !== c || seen[w] === stamp) continue;
        seen[w] = stamp;
        parent[w] = v;
        if (w === to) {
          const path = [w];
          for (let x = v; x !== -1; x = parent[x]!) path.push(x);
          return path.reverse();
        }
        queue[tail++] = w;
      }
    }
    this.budget.charge(head & 1023);
    return undefined;
  }
}
