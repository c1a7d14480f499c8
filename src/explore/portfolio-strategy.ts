import { pctStrategy } from './pct-strategy.js';
import { posStrategy } from './pos-strategy.js';
import { callsFirstStrategy } from './random-strategy.js';
import type { Strategy } from './strategy.js';

/**
 * A portfolio, as Coyote's default is: runs rotate between calls-first random, pct (depth 3) and pos, each with its
 * own run numbering, so run 3k is calls-first random's run k, run 3k+1 pct's and run 3k+2 pos's. Calls-first random
 * (random-strategy.ts: fast-check's model, calls go out at once and results come back in a random order) finds the
 * races of ordinary service code in the fewest runs (a check-then-act in its first run whatever the seed, a stale
 * fill in one run of four), pct the deep ordering bugs the others miss (depth3: every seed), and pct and pos also
 * put a call between another task's result and its next call, which calls-first never does; the portfolio pays at
 * most three times the runs of whichever is best on a given bug (bench/explore-user.bench.mjs measures it beside
 * each). On racelab's own ports, whose points are not calls, calls-first random draws as uniform random does. It is
 * the default of `explore()` and of `racelab explore`.
 */
export function portfolioStrategy(seed: number, options: { readonly depth?: number } = {}): Strategy {
  const pct = pctStrategy(seed, { depth: options.depth ?? 3 });
  const members = [callsFirstStrategy(seed), pct, posStrategy(seed)];
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
