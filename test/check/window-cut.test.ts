import { describe, expect, it } from 'vitest';
import { Budget, checkVerbose, completeModel, counterModel } from '../../src/check/index.js';
import { explainWindow, notMinimizedReason } from '../../src/check/explain.js';
import { prepareOperations } from '../../src/check/prepare.js';
import { findWindow } from '../../src/check/window.js';
import { pairOperations } from '../../src/history/operations.js';
import { hist } from './histories.js';

// Eight increments from four processes, two at a time, then a read that saw only seven of them: illegal, and
// minimizing the window takes several checks (a binary search over the ends, then ddmin over the increments).
const lines: string[] = [];
for (let k = 0; k < 4; k++) lines.push(`${k} invoke increment`, `${k + 4} invoke increment`, `${k} ok increment`, `${k + 4} ok increment`);
lines.push('9 invoke get', '9 ok get 7');
const history = hist(lines.join('\n'));
const model = completeModel(counterModel());
const partition = prepareOperations(model, pairOperations(history).operations).partitions[0]!;

describe('the failing window says why it is not as small as it could be', () => {
  it('is minimized with an unbounded budget', () => {
    const w = findWindow(model, partition, new Budget());
    expect(w?.minimized).toBe(true);
    expect(w?.notMinimizedBecause).toBeUndefined();
  });

  it('the time budget that ran out mid-way: budget', () => {
    // A clock that jumps past any deadline after its first few readings.
    let reads = 0;
    const w = findWindow(model, partition, new Budget(1000, Infinity, () => (++reads > 4 ? 1e12 : 0)));
    expect(w?.minimized).toBe(false);
    expect(w?.notMinimizedBecause).toBe('budget');
  });

  it('interrupted (Ctrl+C): no window at all, so the verdict is out at once', () => {
    const interrupt = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(interrupt, 0, 1);
    expect(findWindow(model, partition, new Budget(Infinity, Infinity, undefined, interrupt))).toBeUndefined();
  });

  it('each reason has its own words in the explanation', () => {
    const reasons = (['budget', 'steps', 'size', 'interrupt'] as const).map(notMinimizedReason);
    expect(new Set(reasons).size).toBe(4);
    const words = explainWindow({
      partition: null,
      from: 'initial',
      initialState: 'the counter is 0',
      essential: [],
      relaxed: [],
      order: [],
      finalState: 'the counter is 0',
      stopsAt: undefined,
      refusedIn: [],
      minimized: false,
      notMinimizedBecause: 'size',
      longestComplete: false,
      longestCut: 'interrupt',
      before: 0,
      timeUnit: 'us',
      origin: 0,
    });
    expect(words.join('\n')).toContain(`(Not made as small as possible: ${notMinimizedReason('size')}. It is still a proof.)`);
    expect(words.join('\n')).toContain('stopped before it placed any operation: the check was interrupted.');
    expect(words.join('\n')).not.toContain('budget');
  });

  it('checkVerbose reports the minimized window with no reason', () => {
    const r = checkVerbose(history, 'counter');
    expect(r.verdict).toBe('illegal');
    expect(r.window?.minimized).toBe(true);
    expect(r.window?.notMinimizedBecause).toBeUndefined();
  });
});
