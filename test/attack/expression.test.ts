import { describe, expect, it } from 'vitest';
import { equalitySides, memberChains, parseExpression } from '../../src/attack/expression.js';
import { RacelabError } from '../../src/core/errors.js';

const scope = { before: { value: 3 }, after: { value: 5, id: '9007199254740993' }, ok: 10, failed: 0, unknown: 0, results: [{ response: { id: 'a' } }, { response: { id: 'a' } }, { response: { id: 'b' } }] };

describe('invariant expressions', () => {
  it('evaluates the README example and reports its sides', () => {
    const e = parseExpression('after.value - before.value == ok');
    expect(e.evaluate(scope)).toBe(false);
    expect(equalitySides(e, scope)).toEqual({ observed: 2, expected: 10 });
    expect(parseExpression('after.value - before.value == 2').evaluate(scope)).toBe(true);
  });

  it('has precedence, logic, ternaries, strings and numeric strings', () => {
    expect(parseExpression('1 + 2 * 3 == 7 && !(ok < 10) || false').evaluate(scope)).toBe(true);
    expect(parseExpression('ok > 5 ? "many" : "few"').evaluate(scope)).toBe('many');
    expect(parseExpression("after.id == '9007199254740993'").evaluate(scope)).toBe(true);
    expect(parseExpression('"7" == 7').evaluate(scope)).toBe(true);
    expect(parseExpression('[1, 2] == [1, 2]').evaluate(scope)).toBe(true);
  });

  it('offers only its own functions', () => {
    expect(parseExpression("unique(pluck(results, 'response.id')) == 2").evaluate(scope)).toBe(true);
    expect(parseExpression("count(results, 'response.id', 'a') == 2 && len(results) == 3").evaluate(scope)).toBe(true);
    expect(parseExpression('max(1, ok, 4) == 10 && min([3, 2]) == 2 && abs(-2) == 2').evaluate(scope)).toBe(true);
    expect(() => parseExpression('eval("1")')).toThrow(/eval\(\) is not a function here/);
    expect(() => parseExpression('after.toString()')).toThrow(/only the built-in functions can be called/);
  });

  it('cannot reach prototypes or globals', () => {
    expect(parseExpression('after.constructor').evaluate(scope)).toBeUndefined();
    expect(parseExpression("after['__proto__']").evaluate(scope)).toBeUndefined();
    expect(() => parseExpression('process.exit(1)')).toThrow(RacelabError);
    expect(() => parseExpression('globalThis').evaluate(scope)).toThrow(/globalThis is not defined; use before, after/);
    expect(() => parseExpression('ok = 1')).toThrow(/unexpected "="/);
  });

  it('names the part that is wrong', () => {
    expect(() => parseExpression('after.valu - 1 == 0').evaluate(scope)).toThrow(/after\.valu is undefined/);
    expect(() => parseExpression('after.value -').evaluate(scope)).toThrow(/ends too early/);
    expect(() => parseExpression('ok == "x" + 1').evaluate(scope)).toThrow(/"x" is "x", not a number/);
  });

  it('lists member chains for checking names before a run', () => {
    const chains = memberChains(parseExpression('after.value - before.value == by.Increment.ok + len(results)'));
    expect(chains.map((c) => c.path.join('.'))).toEqual(['after.value', 'before.value', 'by.Increment.ok', 'results']);
  });
});
