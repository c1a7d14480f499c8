import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { parseExpression, T, type InvariantType } from '../../src/attack/expression.js';
import { attackInvariantEnv } from '../../src/attack/invariant-env.js';
import type { MethodSchema } from '../../src/grpc/schema.js';

const root = protobuf.parse(`syntax = "proto3"; package t;
message Get { int32 value = 1; int64 big = 2; uint32 u = 3; double ratio = 4; string id = 5; bytes raw = 6; repeated int32 xs = 7; map<string, int64> m = 8; }
message Out { string id = 1; int32 n = 2; }`).root;
const method = (name: string, type: string): MethodSchema => ({ name, path: `/t.S/${name}`, responseType: root.lookupType(type) }) as unknown as MethodSchema;
const { vars, bind } = attackInvariantEnv({ before: method('Read', 't.Get'), after: method('Read', 't.Get'), methods: new Map([['Make', method('Make', 't.Out')]]) });
const compile = (src: string) => parseExpression(src, vars, 'invariant', bind);

const results = [
  { index: 0, method: 'Make', client: 0, code: 0, status: 'OK', ok: true, response: { id: 'a', n: 2 }, latencyMs: 1.5 },
  { index: 1, method: 'Make', client: 1, code: 0, status: 'OK', ok: true, response: { id: 'a', n: 3 }, latencyMs: 2 },
  { index: 2, method: 'Make', client: 0, code: 14, status: 'UNAVAILABLE', ok: false, response: null, latencyMs: 3 },
];
const scope = {
  before: { value: 3, big: '9007199254740993', u: 1, ratio: 0.5, id: 'x', raw: 'AAE=', xs: [1, 2], m: { k: '7' } },
  after: { value: 5, big: '9007199254740994', u: 2, ratio: 1, id: 'x', raw: 'AAE=', xs: [1, 2, 3], m: { k: '8' } },
  ok: 2,
  failed: 0,
  unknown: 1,
  count: 3,
  round: 1,
  results,
  responses: results.filter((r) => r.ok).map((r) => r.response),
  by: { Make: { ok: 2, failed: 0, unknown: 1, count: 3, responses: results.filter((r) => r.ok).map((r) => r.response) } },
};

describe('invariants in CEL', () => {
  it('evaluates the README example and reports the sides of an equality', () => {
    const e = compile('after.value - before.value == ok');
    expect(e.evaluate(scope)).toBe(true);
    expect(e.sides({ ...scope, ok: 10 })).toEqual({ observed: 2, expected: 10 });
    expect(compile('after.value - before.value == ok && ok > 0').sides(scope)).toBeUndefined();
  });

  it('is protobuf-aware: int64 compares as an integer beyond 2^53, uint, double and bytes keep their types', () => {
    expect(compile('after.big - before.big == 1').evaluate(scope)).toBe(true);
    expect(compile('after.big > before.big').evaluate(scope)).toBe(true);
    expect(compile('after.u - before.u == 1u').evaluate(scope)).toBe(true);
    expect(compile('after.ratio / before.ratio == 2.0').evaluate(scope)).toBe(true);
    expect(compile("before.raw == b'\\x00\\x01'").evaluate(scope)).toBe(true);
    expect(compile("size(after.xs) == 3 && after.m['k'] == 8").evaluate(scope)).toBe(true);
  });

  it('has the CEL macros, the standard functions and sum()', () => {
    expect(compile("results.filter(r, r.ok).all(r, r.response.id == 'a')").evaluate(scope)).toBe(true);
    expect(compile('responses.exists_one(r, r.n == 3) && !responses.all(r, responses.exists_one(s, s.id == r.id))').evaluate(scope)).toBe(true);
    expect(compile('sum(responses.map(r, r.n)) == 5 && sum(results.map(r, r.latencyMs)) == 6.5').evaluate(scope)).toBe(true);
    expect(compile("by.Make.ok + by.Make.unknown == count && results[2].status == 'UNAVAILABLE' && has(after.value)").evaluate(scope)).toBe(true);
    expect(compile("ok > 1 ? after.id.startsWith('x') : false").evaluate(scope)).toBe(true);
  });

  it('refuses, before any data, what cannot be a verdict, naming the column', () => {
    const refused = (src: string): string => {
      try {
        compile(src);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`${src} was accepted`);
    };
    expect(refused('after.value - before.value')).toBe('invariant: "after.value - before.value" gives int, not true or false; write a comparison such as "after.value - before.value == ok"');
    expect(refused('after.value / 0 == 1')).toBe('invariant: after.value / 0 cannot be evaluated (a division by 0); divide by something that is not 0 (column 1 of "after.value / 0 == 1")');
    expect(refused('ok == 1 && nope > 2')).toMatch(/^invariant: "nope" is not defined; use before, after, ok, .* \(column 12 of "ok == 1 && nope > 2"\)$/);
    expect(refused('after.valu == 1')).toBe('invariant: after.valu: t.Get has no field valu; it has value, big, u, ratio, id, raw, xs, m (column 1 of "after.valu == 1")');
    expect(refused('by.Take.ok == 1')).toMatch(/by\.Take: no burst calls Take; by\. takes Make/);
    expect(refused('after.ratio == ok + 1.5')).toMatch(/ok \+ 1\.5: \+ does not take int and double; CEL converts no number implicitly/);
    expect(refused("ok == 'two'")).toMatch(/compares int with string/);
    expect(refused('ok && true')).toMatch(/ok is int, not true or false \(column 1/);
    expect(refused('after.value ==')).toMatch(/^invariant: not valid CEL: .*\(column \d+ of "after.value =="\)$/);
    expect(refused('eval("1")')).toMatch(/eval\(\) is not a CEL function here/);
  });

  it('a value only the data makes impossible is an error, never a verdict', () => {
    const e = compile('after.value / failed == 1');
    expect(() => e.evaluate(scope)).toThrow('invariant: "after.value / failed == 1" cannot be evaluated: int divide by zero; fix the expression (an error is never read as a race)');
    expect(e.evaluate({ ...scope, failed: 5 })).toBe(true);
    expect(() => compile("results[2].response.id == 'a'").evaluate(scope)).toThrow(/cannot be evaluated/);
  });

  it('before and after exist only with their reads', () => {
    const noReads = attackInvariantEnv({ methods: new Map([['Make', method('Make', 't.Out')]]) });
    expect(() => parseExpression('after.value == 1', noReads.vars)).toThrow('invariant: after needs a `after` call; add `after` Service/Method (column 1 of "after.value == 1")');
    const loose: Record<string, InvariantType> = { x: T.dyn };
    expect(parseExpression('x.anything == 1', loose).evaluate({ x: { anything: 1 } })).toBe(true);
  });
});
