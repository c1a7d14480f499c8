import { hashValue, showValue, type Model, type OperationCall } from './model.js';

/**
 * A counter: `increment` (adds 1, or its value when it is a number), `add n`, and `get` / `read`, whose ok
 * value is the count. The seed's Counter service records as `increment` and `get`.
 */
export type CounterInput = { readonly kind: 'add'; readonly n: number } | { readonly kind: 'read' };

/** "Some unknown base, plus `unknownPlus`": a window's starting state when what came before is not considered. */
export type CounterState = number | { readonly unknownPlus: number };

const INCREMENT = new Set(['increment', 'inc', 'incr']);
const ADD = new Set(['add']);
const READ = new Set(['get', 'read', 'value', 'getValue']);

// Shared by every operation that decodes to them: a history of 300,000 increments holds one input, not 300,000.
const ADD_ONE: CounterInput = Object.freeze({ kind: 'add', n: 1 });
const READ_INPUT: CounterInput = Object.freeze({ kind: 'read' });

export function decodeCounterOperation(op: OperationCall): { input: CounterInput; output: number | undefined } {
  if (INCREMENT.has(op.f)) {
    const v = op.invokeValue;
    if (v !== null && v !== undefined && typeof v !== 'number') throw new Error(`increment takes no value or a number, not ${showValue(v)}`);
    return { input: typeof v === 'number' && v !== 1 ? { kind: 'add', n: v } : ADD_ONE, output: undefined };
  }
  if (ADD.has(op.f)) {
    if (typeof op.invokeValue !== 'number') throw new Error(`add takes a number, not ${showValue(op.invokeValue)}`);
    return { input: { kind: 'add', n: op.invokeValue }, output: undefined };
  }
  if (READ.has(op.f)) {
    const v = op.completeValue;
    if (v !== undefined && typeof v !== 'number') throw new Error(`${op.f} returned ${showValue(v)}; a counter reads as a number`);
    return { input: READ_INPUT, output: v };
  }
  throw new Error(`the counter model has no operation "${op.f}"; it knows increment, add and get (or read)`);
}

export function counterModel(options: { initial?: number } = {}): Model<CounterState, CounterInput, number> {
  const initial = options.initial ?? 0;
  return {
    name: 'counter',
    init: () => initial,
    decode: decodeCounterOperation,
    step(state, input, output) {
      if (input.kind === 'add') {
        return [true, typeof state === 'number' ? state + input.n : { unknownPlus: state.unknownPlus + input.n }];
      }
      if (output === undefined) return [true, state];
      if (typeof state === 'number') return [state === output, state];
      return [true, output];
    },
    readOnly: (input) => input.kind === 'read',
    equal: (a, b) => (typeof a === 'number' ? a === b : typeof b === 'object' && a.unknownPlus === b.unknownPlus),
    hash: (s) => (typeof s === 'number' ? hashValue(s) : hashValue(s.unknownPlus) ^ 0x5bd1e995),
    unknownState: () => ({ unknownPlus: 0 }),
    initialState(value) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`a counter starts at a number, not ${showValue(value)}`);
      return value;
    },
    describeOperation(input, output) {
      if (input.kind === 'add') return input.n === 1 ? 'increment' : `add ${input.n}`;
      return output === undefined ? 'get' : `get → ${output}`;
    },
    describeState: (s) =>
      typeof s === 'number'
        ? `the counter is ${s}`
        : s.unknownPlus === 0
          ? 'the counter could be anything'
          : `the counter is ${s.unknownPlus} more than it was (unknown)`,
  };
}
