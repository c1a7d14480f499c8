import { describe, expect, it } from 'vitest';
import { shortValue } from '../../src/core/short-value.js';

class Account {
  constructor(
    readonly id: string,
    readonly balance: number,
  ) {}
}
class InsufficientFunds extends Error {}

describe('shortValue: a value as a trace shows it', () => {
  it('quotes strings, keeps keys unquoted where they are identifiers, names class instances', () => {
    expect(shortValue('acc1')).toBe('"acc1"');
    expect(shortValue({ id: 'acc1', balance: 100, 'a-b': null })).toBe('{id:"acc1",balance:100,"a-b":null}');
    expect(shortValue(new Account('acc1', 10))).toBe('Account{id:"acc1",balance:10}');
    expect(shortValue(Object.create(null) as object)).toBe('{}');
    expect([1n, -0, undefined, Symbol('s'), function named() {}, () => 1].map((v) => shortValue(v))).toEqual(['1n', '-0', 'undefined', 'Symbol(s)', '[Function named]', '[Function]']);
    expect(shortValue(new InsufficientFunds('balance 30 < 70'))).toBe('InsufficientFunds("balance 30 < 70")');
    expect([new Map([[1, 2]]), new Set([1]), Promise.resolve(1), new Uint8Array(4), new Date(0), /x/g].map((v) => shortValue(v))).toEqual([
      'Map(1)',
      'Set(1)',
      'Promise',
      'Uint8Array(4)',
      '1970-01-01T00:00:00.000Z',
      '/x/g',
    ]);
  });

  it('is bounded: long strings, wide and deep values and long arrays are cut, never past max', () => {
    const long = shortValue('x'.repeat(10_000));
    expect(long.length).toBeLessThanOrEqual(48);
    expect(long.startsWith('"xxx')).toBe(true);
    const sql = shortValue('SELECT balance FROM accounts WHERE id = $1', 20);
    expect(sql).toBe('"SELECT balance FR…"');
    expect(shortValue('a"b'.repeat(20), 12)).toMatch(/^"a\\"b.*…"$/);
    expect(shortValue(Array.from({ length: 100 }, (_, i) => i))).toBe('[0,1,2,3,4,5,6,7,…+92]');
    expect(shortValue({ a: { b: { c: { d: { e: 1 } } } } })).toBe('{a:{b:{c:{…}}}}');
    const wide = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, i]));
    expect(shortValue(wide)).toMatch(/^\{key0:0,key1:1,.*…$/);
    expect(shortValue(wide).length).toBeLessThanOrEqual(48);
    expect(shortValue(wide, 200).length).toBeLessThanOrEqual(200);
    expect(shortValue(Array.from({ length: 1e6 }, () => ({ row: 'x'.repeat(100) }))).length).toBeLessThanOrEqual(48);
  });

  it('is safe: runs no code of the value (getters, Proxy traps, toJSON), and prints a cycle as [Circular]', () => {
    let ran = 0;
    const tricky = {
      get balance() {
        ran++;
        throw new Error('getter ran');
      },
      toJSON() {
        ran++;
        return 'json';
      },
    };
    expect(shortValue(tricky)).toBe('{balance:get,toJSON:[Function toJSON]}');
    const proxy = new Proxy({}, { ownKeys: () => { ran++; throw new Error('trap ran'); }, getPrototypeOf: () => { ran++; return null; } });
    expect(shortValue({ p: proxy })).toBe('{p:Proxy}');
    expect(ran).toBe(0);
    const cycle: Record<string, unknown> = { id: 1 };
    cycle.self = cycle;
    cycle.list = [cycle];
    expect(shortValue(cycle)).toBe('{id:1,self:[Circular],list:[[Circular]]}');
    // The same object twice, not on its own path, is no cycle.
    const shared = { n: 1 };
    expect(shortValue([shared, shared])).toBe('[{n:1},{n:1}]');
  });
});
