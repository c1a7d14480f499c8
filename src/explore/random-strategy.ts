import { Random } from '../core/random.js';
import { runSeed, type Strategy } from './strategy.js';

/** Uniformly random choice among the enabled transitions at every step, from a seeded generator. */
export function randomStrategy(seed: number): Strategy {
  return {
    name: 'random',
    beginRun(run) {
      const random = Random.seeded(runSeed(seed, run));
      return { choose: (enabled) => random.int(enabled.length) };
    },
    endRun() {},
  };
}
