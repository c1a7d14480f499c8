import { describe, expect, it } from 'vitest';
import { completeModel, registerModel, type Model, type SearchOp } from '../../src/check/index.js';
import { interchangeKey, SeenClasses, UnknownTwins } from '../../src/check/search-classes.js';
import { EventList } from '../../src/check/search-events.js';
import { VisitedSet } from '../../src/check/search-memo.js';
import { SupportIndex } from '../../src/check/search-support.js';

/** The search's parts one at a time; the search itself is compared with the plain definition elsewhere. */

const op = (input: unknown, output: unknown, call: number, ret: number, known = true): SearchOp<unknown, unknown> => ({ input, output, known, call, ret });

/** The seen list from HEAD to TAIL as `c0 r0 …` (c = call, r = return, then the operation). */
function listed(ev: EventList): string {
  const out: string[] = [];
  for (let e = ev.next[ev.HEAD]!; e !== ev.TAIL; e = ev.next[e]!) out.push(`${ev.entryIsCall[e] === 1 ? 'c' : 'r'}${ev.entryOp[e]}`);
  return out.join(' ');
}

describe('EventList', () => {
  it('orders events by time, calls before returns at one instant, and keeps unknown outcomes apart', () => {
    const ev = new EventList([op('a', 1, 0, 5), op('b', 1, 5, 8), op('c', undefined, 1, 0, false)]);
    expect(listed(ev)).toBe('c0 c1 r0 r1');
    expect(ev.required).toBe(2);
    expect(ev.infoOp[ev.iNext[ev.INFO_HEAD]!]).toBe(2);
    expect(ev.retNode[2]).toBe(-1);
    expect(Array.from(ev.callRank)).toEqual([0, 2, 1]);
  });

  it('finds the frontier, and lift then unlift leaves the list as it was', () => {
    const ev = new EventList([op('a', 1, 0, 2), op('b', 1, 1, 9), op('c', 1, 3, 4)]);
    ev.refreshFrontier();
    expect(ev.entryOp[ev.frontierNode]).toBe(0);
    expect(ev.frontierLast).toBe(ev.retRank[1]);
    ev.lift(0);
    expect(ev.frontierNode).toBe(-1);
    ev.refreshFrontier();
    expect(ev.entryOp[ev.frontierNode]).toBe(2);
    ev.lift(2);
    expect(listed(ev)).toBe('c1 r1');
    ev.unlift(2);
    ev.unlift(0);
    expect(listed(ev)).toBe('c0 c1 r0 c2 r2 r1');
  });
});

describe('SeenClasses and UnknownTwins', () => {
  it('keys only plain JSON inputs and outputs', () => {
    expect(interchangeKey({ f: 'w', value: 3 }, undefined)).toBe(interchangeKey({ f: 'w', value: 3 }, undefined));
    expect(interchangeKey(3, 1)).not.toBe(interchangeKey(3, 2));
    expect(interchangeKey(Symbol('x'), 1)).toBeUndefined();
    expect(interchangeKey([1, , 2], 1)).toBeUndefined(); // eslint-disable-line no-sparse-arrays
  });

  it('tries of two equal candidates only the one that returned first, and not once it is placed', () => {
    const ops = [op('w', 1, 0, 9), op('w', 1, 1, 5), op('r', 1, 2, 6)];
    const ev = new EventList(ops);
    const classes = new SeenClasses(ev, ops, -1);
    expect(classes.dominated(0)).toBe(true);
    expect(classes.dominated(1)).toBe(false);
    expect(classes.dominated(2)).toBe(false);
    ev.lift(1);
    classes.unlink(1);
    expect(classes.dominated(0)).toBe(false);
    classes.relink(1);
    ev.unlift(1);
    expect(classes.dominated(0)).toBe(true);
    // The operation whose rejections are collected is tried whatever its twins.
    expect(new SeenClasses(new EventList(ops), ops, 0).dominated(0)).toBe(false);
  });

  it('tries of equal unknown-outcome operations the one called last', () => {
    const ops = [op('inc', undefined, 0, 0, false), op('inc', undefined, 1, 0, false), op('get', 2, 2, 3)];
    const ev = new EventList(ops);
    const twins = new UnknownTwins(ev, ops);
    expect(twins.dominated(0, 100)).toBe(true);
    expect(twins.dominated(1, 100)).toBe(false);
    twins.placed[1] = 1;
    expect(twins.dominated(0, 100)).toBe(false);
  });
});

describe('VisitedSet', () => {
  it('refuses a configuration seen before, and one that placed more unknown outcomes', () => {
    const ops = [op('a', 1, 0, 1), op('b', 1, 0, 1), op('u', undefined, 0, 0, false)];
    const visited = new VisitedSet<number>(ops, (a, b) => a === b);
    expect(visited.firstOpenWord(0)).toBe(0);
    visited.toggleSeen(0);
    expect(visited.remember(0, 0, 7, 7)).toBe(true);
    expect(visited.remember(0, 0, 7, 7)).toBe(false);
    expect(visited.remember(0, 0, 8, 8)).toBe(true);
    visited.addUnknown(2);
    expect(visited.remember(0, 0, 7, 7)).toBe(false);
    visited.removeUnknown(2);
    visited.toggleSeen(1);
    expect(visited.remember(0, 0, 7, 7)).toBe(true);
    visited.toggleSeen(1);
    visited.toggleSeen(0);
    expect(visited.remember(0, 0, 7, 7)).toBe(true);
  });
});

describe('SupportIndex', () => {
  it('gives up a configuration as soon as a read can no longer see its value', () => {
    const m = completeModel(registerModel() as Model);
    // write 1, then a read of 1 that returns after a write of 2 began: once the state is 2 and write 1 placed,
    // nothing left can make the register 1 again.
    const ops = [op({ kind: 'write', value: 1 }, undefined, 0, 2), op({ kind: 'write', value: 2 }, undefined, 1, 3), op({ kind: 'read' }, 1, 4, 6)];
    const ev = new EventList(ops);
    const support = SupportIndex.build(m, ops, ev)!;
    expect(support).toBeDefined();
    support.unlink(0);
    expect(support.stillSupported(0, null, m.hash(null), 1, m.hash(1))).toBe(true);
    support.unlink(1);
    expect(support.stillSupported(1, 1, m.hash(1), 2, m.hash(2))).toBe(false);
    support.relink(1);
    support.relink(0);
    expect(support.stillSupported(1, 1, m.hash(1), 2, m.hash(2))).toBe(true);
  });

  it('is not built for a model that says nothing a read observes', () => {
    const m = completeModel({ name: 'plain', init: () => 0, step: (s: number) => [true, s] as const });
    expect(SupportIndex.build(m, [op('x', 1, 0, 1)], new EventList([op('x', 1, 0, 1)]))).toBeUndefined();
  });
});
