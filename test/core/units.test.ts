import { describe, expect, it } from 'vitest';
import { RacelabError, parseCount, parseDuration, parsePort, plural, Random, roundMeasurement, roundMeasurements } from '../../src/core/index.js';

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

describe('roundMeasurement and the --json replacer', () => {
  it('rounds float noise away: ms to the microsecond, µs to a tenth, small ratios to three significant digits', () => {
    expect(roundMeasurement(106.69872699999999)).toBe(106.699);
    expect(roundMeasurement(12.345678901)).toBe(12.346);
    expect(roundMeasurement(285.785513978578, 'micros')).toBe(285.8);
    expect(roundMeasurement(0.000123456)).toBe(0.000123);
    expect(roundMeasurement(42)).toBe(42);
    expect(Number.isNaN(roundMeasurement(NaN))).toBe(true);
  });
  it('rounds measurement fields by name and leaves other numbers (a value a service returned) as they are', () => {
    const json = JSON.parse(
      JSON.stringify({ wallMs: 221.27564900000016, stddevMicros: 313.3371347287136, latenciesMs: [1.23456, 2], p99: 9.87654321, response: { balance: 0.1 + 0.2 }, seed: 7 }, roundMeasurements),
    ) as Record<string, unknown>;
    expect(json).toEqual({ wallMs: 221.276, stddevMicros: 313.3, latenciesMs: [1.235, 2], p99: 9.877, response: { balance: 0.30000000000000004 }, seed: 7 });
  });
});

describe('plural', () => {
  it('is singular only for exactly 1', () => {
    expect(plural(1, 'call')).toBe('1 call');
    expect(plural(0, 'call')).toBe('0 calls');
    expect(plural(2, 'call')).toBe('2 calls');
    expect(plural(1, 'process', 'processes')).toBe('1 process');
    expect(plural(3, 'process', 'processes')).toBe('3 processes');
  });
});
