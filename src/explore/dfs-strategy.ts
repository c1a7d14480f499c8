import { RacelabError } from '../core/errors.js';
import type { Chooser } from './controlled-scheduler.js';
import type { Strategy } from './strategy.js';
import { independent, type Transition } from './transition.js';

export interface DfsOptions {
  /** Partial-order reduction with sleep sets (default true). Off, dfs runs every interleaving. */
  readonly por?: boolean;
  /**
   * Explore only the subtree under this path (the index of the enabled transition taken at each step), as a
   * single search reaches it: at each node of the path the transitions before the one taken count as done (their
   * subtrees are another worker's). The path's nodes are counted by whoever enumerated the paths (`cutDepth`), not
   * here. For workers: a path `enumerate` gave.
   */
  readonly prefix?: readonly number[];
  /**
   * Enumerate instead of explore: every run stops (abandoned) at this depth, and `prefixes` receives, in the
   * order a single search meets them, the path to each cut, and to each run that ended or was redundant above it.
   * Together the subtrees under these paths are the whole tree, each schedule in exactly one.
   */
  readonly cutDepth?: number;
  readonly prefixes?: number[][];
  /**
   * cutDepth: for each path in `prefixes`, the transitions pruned at the nodes above the cut first reached on it,
   * which a single search counts when it enters that subtree.
   */
  readonly prunedAbove?: number[];
}

/** Counters a dfs exploration reports. */
export interface DfsStats {
  /** Runs that reached the end of the workload and had their invariant checked. */
  schedulesExplored: number;
  /** Transitions partial-order reduction skipped because an equivalent order had been (or will be) explored. */
  prunedByPor: number;
  /** Runs cut short because every enabled transition was asleep: their remaining interleavings were redundant. */
  redundantRuns: number;
  /** Whether the whole tree was explored: true means "no failing schedule exists" (within this workload). */
  exhausted: boolean;
}

interface Node {
  readonly enabled: readonly Transition[];
  /** Transitions not to start from this node: each leads only to interleavings equivalent to explored ones. */
  readonly sleep: readonly Transition[];
  /** Transitions already fully explored from this node, in order. */
  readonly done: Transition[];
  chosen: Transition;
}

/**
 * Exhaustive depth-first search over schedules, stateless (each run re-executes the workload from scratch and
 * replays the path to the branch being explored), with Godefroid's sleep sets for partial-order reduction.
 *
 * Sleep sets: after exploring transition t from a node, t goes to sleep in the sibling branches that start
 * with a transition independent of t, and stays asleep until something dependent on it runs. Running t there
 * would only produce an interleaving equivalent (same order of every dependent pair) to one already explored.
 * Every equivalence class of complete runs is still explored at least once, so "no failing schedule found"
 * remains a proof for the workload, while independent operations (different keys, two reads) stop multiplying
 * the count. When every enabled transition is asleep the run is redundant and is abandoned early.
 *
 * The independence relation is in transition.ts. On the Mutex release it treats as independent of a `lock`
 * step (see there): if the release runs first the locker finds the lock free; if the lock step runs first the
 * locker blocks and the release hands it the lock, and its wake step then runs exactly the code it would have
 * run after finding the lock free. Both orders reach the same states, so pruning one of them loses nothing.
 */
export function dfsStrategy(options: DfsOptions = {}): Strategy & { readonly stats: DfsStats } {
  const por = options.por ?? true;
  const stack: Node[] = [];
  const stats: DfsStats = { schedulesExplored: 0, prunedByPor: 0, redundantRuns: 0, exhausted: false };
  let started = false;
  const prefix = options.prefix ?? [];
  /** cutDepth: whether this run's path is already in `prefixes` (cut, or redundant above the cut). */
  let recorded = false;
  let prunedThisRun = 0;
  const record = (): void => {
    options.prefixes?.push(stack.map((n) => n.enabled.indexOf(n.chosen)));
    options.prunedAbove?.push(prunedThisRun);
    recorded = true;
  };

  /** Moves to the next unexplored branch: the deepest node with an enabled transition not done and not asleep. */
  const backtrack = (): boolean => {
    while (stack.length > 0) {
      // The subtree's own top is the path's last node: what is above it is another worker's.
      if (options.prefix !== undefined && stack.length === prefix.length) return false;
      const node = stack[stack.length - 1] as Node;
      node.done.push(node.chosen);
      const next = node.enabled.find((t) => !has(node.done, t) && !has(node.sleep, t));
      if (next) {
        node.chosen = next;
        return true;
      }
      stack.pop();
    }
    return false;
  };

  return {
    name: 'dfs',
    stats,
    beginRun(): Chooser | undefined {
      if (started && !backtrack()) {
        stats.exhausted = true;
        return undefined;
      }
      started = true;
      recorded = false;
      prunedThisRun = 0;
      const replayDepth = stack.length;
      return {
        choose(enabled, step) {
          if (step < replayDepth) {
            const node = stack[step] as Node;
            if (!sameKeys(node.enabled, enabled)) {
              throw new RacelabError(
                'NONDETERMINISTIC',
                `dfs: replaying the same choices reached a different state at step ${step + 1} (enabled before: ${keysOf(node.enabled)}; now: ${keysOf(enabled)}): the workload depends on something besides the schedule (Math.random, Date.now, state kept between runs); use ctx.random and ctx.clock and build all state in setup()`,
              );
            }
            return enabled.findIndex((t) => t.key === node.chosen.key);
          }
          if (options.cutDepth !== undefined && step >= options.cutDepth) {
            record();
            return -1;
          }
          const parent = stack[stack.length - 1];
          // Loops rather than spreads and filters: this runs at every new node of the tree.
          const sleep: Transition[] = [];
          if (por && parent) {
            for (const t of parent.sleep) if (independent(t, parent.chosen)) sleep.push(t);
            for (const t of parent.done) if (independent(t, parent.chosen)) sleep.push(t);
          }
          if (step < prefix.length) {
            const index = prefix[step] as number;
            const chosen = enabled[index];
            if (!chosen || has(sleep, chosen)) {
              throw new RacelabError('NONDETERMINISTIC', `dfs: the subtree's path takes transition ${index + 1} at step ${step + 1}, which is ${chosen ? 'asleep' : 'not enabled'} there (enabled: ${keysOf(enabled)}): the workload depends on something besides the schedule`);
            }
            stack.push({ enabled: enabled.slice(), sleep, done: enabled.slice(0, index), chosen });
            return index;
          }
          let first = -1;
          let pruned = 0;
          for (let i = 0; i < enabled.length; i++) {
            if (has(sleep, enabled[i] as Transition)) pruned++;
            else if (first < 0) first = i;
          }
          if (first < 0) {
            // Redundant: with cutDepth, the shard under this path counts it (and its pruned transitions).
            if (options.cutDepth !== undefined) record();
            else stats.prunedByPor += pruned;
            return -1;
          }
          stats.prunedByPor += pruned;
          prunedThisRun += pruned;
          stack.push({ enabled: enabled.slice(), sleep, done: [], chosen: enabled[first] as Transition });
          return first;
        },
      };
    },
    endRun(_run, run) {
      if (options.cutDepth !== undefined) {
        // A run that ended above the cut: its whole path is a subtree of one schedule.
        if (!recorded) record();
        return;
      }
      if (run.status === 'abandoned') stats.redundantRuns++;
      else stats.schedulesExplored++;
    },
  };
}

function has(list: readonly Transition[], t: Transition): boolean {
  for (const x of list) if (x.key === t.key) return true;
  return false;
}

function sameKeys(a: readonly Transition[], b: readonly Transition[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] as Transition).key !== (b[i] as Transition).key) return false;
  return true;
}

function keysOf(ts: readonly Transition[]): string {
  return ts.map((t) => `${t.taskName}:${t.op.label}`).join(', ') || 'none';
}
