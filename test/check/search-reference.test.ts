import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Budget, completeModel, counterModel, kvModel, registerModel, searchLinearization, UNKNOWN_VALUE, type CompleteModel, type Model, type SearchOp } from '../../src/check/index.js';

/**
 * The optimized search (memo, forced reads, interchangeable operations tried once, response-order walks, reads
 * without support given up early, unknown-outcome operations' own rules) must give the verdict of the plain
 * definition: some order of a subset of the operations holding every seen one, in which an operation that
 * returned before another was called comes first, is a legal run of the model. Small random histories, with
 * few values so that many orders compete, seen and unknown outcomes, from the model's initial state and from
 * its unknown state.
 */

type AnyModel = CompleteModel<unknown, unknown, unknown>;

/** Exhaustive: every order, memoized only on (placed set, state) pairs that failed. */
function referenceLinearizable(model: AnyModel, ops: ReadonlyArray<SearchOp<unknown, unknown>>, initial: unknown): boolean {
  const n = ops.length;
  const failed = new Set<string>();
  const placed = new Array<boolean>(n).fill(false);
  const go = (state: unknown): boolean => {
    if (ops.every((o, i) => !o.known || placed[i])) return true;
    const key = `${placed.map((p) => (p ? 1 : 0)).join('')}|${typeof state === 'symbol' ? 'unknown' : JSON.stringify(state)}`;
    if (failed.has(key)) return false;
    for (let i = 0; i < n; i++) {
      if (placed[i]) continue;
      const mustWait = ops.some((p, j) => j !== i && !placed[j] && p.known && p.ret < ops[i]!.call);
      if (mustWait) continue;
      const [legal, next] = model.step(state, ops[i]!.input, ops[i]!.output);
      if (!legal) continue;
      placed[i] = true;
      if (go(next)) return true;
      placed[i] = false;
    }
    failed.add(key);
    return false;
  };
  return go(initial);
}

/** The order the search returns for `ok` really is a linearization. */
function isLinearization(model: AnyModel, ops: ReadonlyArray<SearchOp<unknown, unknown>>, initial: unknown, order: readonly number[]): boolean {
  if (new Set(order).size !== order.length) return false;
  if (ops.some((o, i) => o.known && !order.includes(i))) return false;
  for (let a = 0; a < order.length; a++) {
    for (let b = a + 1; b < order.length; b++) {
      const later = ops[order[b]!]!;
      if (later.known && later.ret < ops[order[a]!]!.call) return false;
    }
  }
  let state = initial;
  for (const i of order) {
    const [legal, next] = model.step(state, ops[i]!.input, ops[i]!.output);
    if (!legal) return false;
    state = next;
  }
  return true;
}

interface Shape {
  call: number;
  length: number;
  known: boolean;
}

const shape: fc.Arbitrary<Shape> = fc.record({
  call: fc.integer({ min: 0, max: 24 }),
  length: fc.integer({ min: 0, max: 12 }),
  known: fc.integer({ min: 0, max: 99 }).map((x) => x >= 20),
});

function asOps<I>(shapes: Shape[], io: Array<{ input: I; output: unknown }>): Array<SearchOp<unknown, unknown>> {
  return shapes
    .map((s, i) => ({ input: io[i]!.input as unknown, output: s.known ? io[i]!.output : undefined, known: s.known, call: s.call, ret: s.known ? s.call + s.length : Infinity }))
    .sort((a, b) => a.call - b.call);
}

const value = fc.integer({ min: 0, max: 2 });
const registerIo = fc.oneof(
  fc.record({ input: fc.constant({ kind: 'read' }), output: fc.oneof(value, fc.constant(null)) }),
  fc.record({ input: value.map((v) => ({ kind: 'write', value: v })), output: fc.constant(undefined) }),
  fc.record({ input: fc.tuple(value, value).map(([from, to]) => ({ kind: 'cas', from, to })), output: fc.constant(undefined) }),
);
const counterIo = fc.oneof(
  fc.record({ input: fc.constant({ kind: 'add', n: 1 }), output: fc.constant(undefined) }),
  fc.record({ input: fc.constant({ kind: 'add', n: 2 }), output: fc.constant(undefined) }),
  fc.record({ input: fc.constant({ kind: 'read' }), output: fc.integer({ min: 0, max: 5 }) }),
);
const kvIo = fc.oneof(
  fc.record({ input: fc.constant({ kind: 'get', key: 'k' }), output: fc.constantFrom(null, 'a', 'b', 'ab', 'ba', 'aa') }),
  fc.record({ input: fc.constantFrom('a', 'b').map((v) => ({ kind: 'put', key: 'k', value: v })), output: fc.constant(undefined) }),
  fc.record({ input: fc.constantFrom('a', 'b').map((v) => ({ kind: 'append', key: 'k', value: v })), output: fc.constant(undefined) }),
);

function compare(model: Model, io: fc.Arbitrary<{ input: unknown; output: unknown }>, runs: number, fromUnknown: boolean): { ok: number; illegal: number } {
  const m = completeModel(model) as AnyModel;
  const counts = { ok: 0, illegal: 0 };
  fc.assert(
    fc.property(fc.array(fc.tuple(shape, io), { minLength: 1, maxLength: 8 }), (pairs) => {
      const ops = asOps(
        pairs.map(([s]) => s),
        pairs.map(([, x]) => x),
      );
      const initial = fromUnknown ? m.unknownState!() : m.init();
      const expected = referenceLinearizable(m, ops, initial);
      const r = searchLinearization(m, ops, { initial, budget: new Budget(), trackLongest: true });
      expect(r.verdict).toBe(expected ? 'ok' : 'illegal');
      if (r.verdict === 'ok') expect(isLinearization(m, ops, initial, r.order)).toBe(true);
      counts[expected ? 'ok' : 'illegal']++;
    }),
    { numRuns: runs },
  );
  return counts;
}

describe('property: the optimized search agrees with the plain definition', () => {
  it('register, from the initial value', () => {
    const c = compare(registerModel(), registerIo, 3000, false);
    // Both verdicts are well represented, so the comparison tests both directions.
    expect(c.ok).toBeGreaterThan(500);
    expect(c.illegal).toBeGreaterThan(500);
  });

  it('register, from the unknown value (the window search)', () => {
    const c = compare(registerModel(), registerIo, 2000, true);
    expect(c.ok).toBeGreaterThan(300);
    expect(c.illegal).toBeGreaterThan(100);
  });

  it('counter (many interchangeable increments) and kv (appends depend on the state)', () => {
    const counter = compare(counterModel(), counterIo, 1500, false);
    expect(counter.ok).toBeGreaterThan(200);
    expect(counter.illegal).toBeGreaterThan(200);
    const kv = compare(kvModel(), kvIo, 1500, false);
    expect(kv.ok).toBeGreaterThan(200);
    expect(kv.illegal).toBeGreaterThan(200);
  });

  it('a cas the unknown value allows comes before the read that narrows it', () => {
    // From an unknown value, cas 5→6 then read 6 is a linearization; placing the read first (narrowing the
    // value to 6) would refuse the cas, so that read is not forced.
    const m = completeModel(registerModel()) as AnyModel;
    const ops: Array<SearchOp<unknown, unknown>> = [
      { input: { kind: 'cas', from: 5, to: 6 }, output: undefined, known: true, call: 0, ret: 10 },
      { input: { kind: 'read' }, output: 6, known: true, call: 1, ret: 20 },
    ];
    expect(searchLinearization(m, ops, { initial: UNKNOWN_VALUE, budget: new Budget() }).verdict).toBe('ok');
  });
});
