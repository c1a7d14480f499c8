import { pctStrategy } from './pct-strategy.js';
import { posStrategy } from './pos-strategy.js';
import { randomStrategy } from './random-strategy.js';
import type { Strategy } from './strategy.js';

/**
 * A portfolio, as Coyote's default is: runs rotate between random, pct (depth 3) and pos, each with its own run
 * numbering, so run 3k is random's run k, run 3k+1 pct's and run 3k+2 pos's. random finds the shallow races of
 * ordinary service code in the fewest runs (its first run, for most seeds of the user-code shapes), pct the deep
 * ordering bugs the others miss (depth3: every seed), pos sits between; the portfolio pays at most three times the
 * runs of whichever is best on a given bug (bench/explore-user.bench.mjs measures it beside each). It is the
 * default of `explore()` and of `racelab explore`.
 */
export function portfolioStrategy(seed: number, options: { readonly depth?: number } = {}): Strategy {
  const pct = pctStrategy(seed, { depth: options.depth ?? 3 });
  const members = [randomStrategy(seed), pct, posStrategy(seed)];
  return {
    name: 'portfolio',
    beginRun(run) {
      return (members[run % 3] as Strategy).beginRun(Math.floor(run / 3));
    },
    endRun(run, record) {
      (members[run % 3] as Strategy).endRun(Math.floor(run / 3), record);
    },
    // random and pos carry nothing from run to run; pct the run length it has measured. So a pool of workers
    // shares a portfolio's runs as it shares pct's.
    state: () => pct.state?.(),
    setState(state) {
      pct.setState?.(state);
    },
  };
}
