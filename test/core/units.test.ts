import { describe, expect, it } from 'vitest';
import { RacelabError, parseCount, parseDuration, parsePort, Random } from '../../src/core/index.js';

describe('parseDuration', () => {
  it('reads units', () => {
    expect(parseDuration('500ms', '--delay')).toBe(500);
    expect(parseDuration('2s', '--delay')).toBe(2000);
    expect(parseDuration('1.5m', '--delay')).toBe(90_000);
    expect(parseDuration('250', '--delay')).toBe(250);
    expect(parseDuration('100us', '--delay')).toBeCloseTo(0.1);
  });
  it('names the option and the fix', () => {
    expect(() => parseDuration('5 parsecs', '--delay')).toThrow(/--delay: "5 parsecs" is not a duration; write e.g. 500ms/);
    expect(() => parseDuration('-1s', '--delay')).toThrow(RacelabError);
    expect(() => parseDuration('2h', '--delay', { maxMs: 60_000 })).toThrow(/too long; the most allowed is 60s/);
  });
});

describe('parseCount and parsePort', () => {
  it('accepts the range and rejects the rest', () => {
    expect(parseCount('10', '--clients', 1, 64)).toBe(10);
    expect(() => parseCount('-3', '--clients', 1, 64)).toThrow(/--clients: "-3" must be a whole number from 1 to 64/);
    expect(() => parseCount('1e9', '--clients', 1, 64)).toThrow(RacelabError);
    expect(() => parseCount('100000', '--clients', 1, 64)).toThrow(RacelabError);
    expect(parsePort('50051')).toBe(50051);
    expect(() => parsePort('70000')).toThrow(/^port: "70000" is not a TCP port/);
    expect(() => parsePort('http')).toThrow(RacelabError);
  });
});

describe('Random', () => {
  it('one seed reproduces the stream, and a clone continues it identically', () => {
    const a = Random.seeded(42);
    const b = Random.seeded(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    const c = a.clone();
    expect(c.next()).toBe(a.next());
    expect(Random.seeded(43).nextUint32()).not.toBe(Random.seeded(42).nextUint32());
  });
  it('a seed gives the same stream in every version: seeds, replay tokens and printed runs stay meaningful', () => {
    const first4 = (seed: number): number[] => {
      const r = Random.seeded(seed);
      return [r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()];
    };
    expect(first4(0)).toEqual([4205396811, 3543653536, 1222415357, 3047368389]);
    expect(first4(1)).toEqual([1828152527, 3394835397, 2967886022, 2251045104]);
    expect(first4(0xffffffff)).toEqual([1413747962, 91561161, 3282502067, 2190738929]);
  });
  it('int stays in range and covers it', () => {
    const r = Random.seeded(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = r.int(5);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(5);
      seen.add(v);
    }
    expect(seen.size).toBe(5);
  });
});
