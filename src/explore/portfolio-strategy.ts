import { pctStrategy } from './pct-strategy.js';
import { posStrategy } from './pos-strategy.js';
import type { Strategy } from './strategy.js';

/**
 * A portfolio, as Coyote's default is: runs alternate between pct (depth 3) and pos, each with its own run
 * numbering, so run 2k is pct's run k and run 2k+1 is pos's run k. pct finds deep ordering bugs the others miss
 * (depth3: every seed); pos finds the shallow races of ordinary service code in fewer runs; the portfolio pays at
 * most twice the runs of whichever is better on a given bug.
 */
export function portfolioStrategy(seed: number, options: { readonly depth?: number } = {}): Strategy {
  const pct = pctStrategy(seed, { depth: options.depth ?? 3 });
  const pos = posStrategy(seed);
  return {
    name: 'portfolio',
    beginRun(run) {
      return (run & 1 ? pos : pct).beginRun(run >> 1);
    },
    endRun(run, record) {
      (run & 1 ? pos : pct).endRun(run >> 1, record);
    },
  };
}
