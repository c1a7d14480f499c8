import type { Chooser } from './controlled-scheduler.js';
import type { RunRecord } from './run.js';

export type StrategyName = 'random' | 'pct' | 'pos' | 'portfolio' | 'dfs' | 'replay';

/**
 * An exploration policy, injected into the explore loop the way fast-check injects a TaskSelector into its
 * scheduler: the loop never decides an order itself. A strategy hands out one chooser per run and hears how
 * each run went.
 */
export interface Strategy {
  readonly name: StrategyName;
  /** The chooser for run `run` (0-based), or undefined when the strategy has nothing left to try. */
  beginRun(run: number): Chooser | undefined;
  /** Called after every run, abandoned ones included. */
  endRun(run: number, record: RunRecord): void;
  /**
   * What the strategy carries from one run to the next (pct: the run length it has measured), as plain data; a
   * strategy whose runs depend on (seed, run) alone has none. Explorations split over workers start a range of
   * runs from it (setState), and check that each range started from the state the runs before it left.
   */
  state?(): unknown;
  setState?(state: unknown): void;
}

/**
 * The seed of run `run` of an exploration seeded `seed`: each run's choices come from its own generator, so a
 * run can be regenerated from (seed, run) without replaying the runs before it.
 */
export function runSeed(seed: number, run: number): number {
  let z = (seed ^ Math.imul(run + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
