import { describe, expect, it } from 'vitest';
import { pctStrategy, type Chooser, type Transition } from '../../src/explore/index.js';

const transition = (task: number): Transition => ({ key: String(task), task, taskName: `t${task}`, kind: 'point', op: { kind: 'write', object: 'x', label: 'set x' } });
const one = [transition(0)];
const both = [transition(0), transition(1)];

function chooser(seed: number): Chooser {
  // depth 2 and one step expected: the one change point falls on the first decision
  const c = pctStrategy(seed, { depth: 2, stepsEstimate: 1 }).beginRun(0);
  if (!c) throw new Error('pct gave no chooser');
  return c;
}

describe('pct', () => {
  it('spends no change point on a step without a choice: steps where one task alone can run do not move it', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const direct = chooser(seed);
      const afterForced = chooser(seed);
      for (let step = 0; step < 5; step++) expect(afterForced.choose(one, step, undefined)).toBe(0);
      const first = direct.choose(both, 0, undefined);
      expect(afterForced.choose(both, 5, undefined), `seed ${seed}`).toBe(first);
      // The change point demoted the task that would have run: it keeps running the other one.
      expect(direct.choose(both, 1, undefined)).toBe(first);
    }
  });

  it('at a change point runs the other task than the one with the highest priority', () => {
    // The same seed draws the same priorities; with a billion steps expected its change point is (all but surely)
    // not at the first decision, so there the highest-priority task runs; with one step expected, the other.
    for (let seed = 1; seed <= 20; seed++) {
      const plain = pctStrategy(seed, { depth: 2, stepsEstimate: 1e9 }).beginRun(0) as Chooser;
      expect(chooser(seed).choose(both, 0, undefined)).toBe(1 - plain.choose(both, 0, undefined));
    }
  });
});
