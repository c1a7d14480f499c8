import { describe, expect, it } from 'vitest';
import { checkVerbose } from '../../src/check/index.js';
import { hist } from './histories.js';

describe('checkVerbose without the timeline', () => {
  it('gives the same verdict and explanation, with an empty timeline', () => {
    const history = hist(`
      0 invoke write 1
      0 ok write 1
      1 invoke read
      2 invoke write 2
      1 ok read 2
      2 ok write 2
      1 invoke read
      1 ok read 1
    `);
    const full = checkVerbose(history, 'register');
    const lean = checkVerbose(history, 'register', { timeline: false });
    expect(full.verdict).toBe('illegal');
    expect(full.timeline).toHaveLength(4);
    expect(lean.timeline).toEqual([]);
    expect(lean.verdict).toBe(full.verdict);
    expect(lean.explanation).toEqual(full.explanation);
    expect(lean.window?.operations).toEqual(full.window?.operations);
  });
});
