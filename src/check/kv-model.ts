import { hashValue, showValue, valueEquals, type Model, type OperationCall } from './model.js';

/**
 * A key-value store checked one key at a time (P-compositionality: operations on different keys commute).
 * Values are Jepsen's independent tuples `[key, value]`: `get` (invoke `[k, null]`, ok `[k, v]`; an absent key
 * reads as null), `put [k, v]`, `append [k, s]` (string concatenation; appending to an absent key starts at "").
 */
export type KvInput =
  | { readonly kind: 'get'; readonly key: unknown }
  | { readonly kind: 'put'; readonly key: unknown; readonly value: unknown }
  | { readonly kind: 'append'; readonly key: unknown; readonly value: string };

/** One key's value; `{ unknownSuffix }` is "some unknown value ending in this", a window's starting state. */
export type KvState = unknown;

interface UnknownValue {
  readonly unknownSuffix: string;
}

const isUnknown = (s: unknown): s is UnknownValue =>
  typeof s === 'object' && s !== null && !Array.isArray(s) && Object.keys(s).length === 1 && typeof (s as UnknownValue).unknownSuffix === 'string' && UNKNOWNS.has(s);

// Unknown states are made only here, so a user's value that happens to look like one is never mistaken for it.
const UNKNOWNS = new WeakSet<object>();
function unknownValue(suffix: string): UnknownValue {
  const u = { unknownSuffix: suffix };
  UNKNOWNS.add(u);
  return u;
}

const GET = new Set(['get', 'read', 'r']);
const PUT = new Set(['put', 'write', 'set', 'w']);
const APPEND = new Set(['append']);

function tuple(f: string, v: unknown): [unknown, unknown] {
  if (!Array.isArray(v) || v.length !== 2) throw new Error(`${f} takes a [key, value] pair, not ${showValue(v)}`);
  return [v[0], v[1]];
}

export function decodeKvOperation(op: OperationCall): { input: KvInput; output: unknown } {
  if (GET.has(op.f)) {
    const [key] = tuple(op.f, op.invokeValue);
    if (op.completeValue === undefined) return { input: { kind: 'get', key }, output: undefined };
    const [k, v] = tuple(op.f, op.completeValue);
    if (!valueEquals(k, key)) throw new Error(`get of key ${showValue(key)} returned a value for key ${showValue(k)}`);
    return { input: { kind: 'get', key }, output: v };
  }
  if (PUT.has(op.f)) {
    const [key, value] = tuple(op.f, op.invokeValue);
    return { input: { kind: 'put', key, value }, output: undefined };
  }
  if (APPEND.has(op.f)) {
    const [key, value] = tuple(op.f, op.invokeValue);
    if (typeof value !== 'string') throw new Error(`append adds a string, not ${showValue(value)}`);
    return { input: { kind: 'append', key, value }, output: undefined };
  }
  throw new Error(`the kv model has no operation "${op.f}"; it knows get, put and append`);
}

export function kvModel(): Model<KvState, KvInput, unknown> {
  return {
    name: 'kv',
    init: () => null,
    decode: decodeKvOperation,
    partitionKey: (input) => JSON.stringify(input.key),
    step(state, input, output) {
      switch (input.kind) {
        case 'get':
          if (output === undefined) return [true, state];
          if (isUnknown(state)) return [typeof output === 'string' ? output.endsWith(state.unknownSuffix) : state.unknownSuffix === '', output];
          return [valueEquals(state, output), state];
        case 'put':
          return [true, input.value];
        case 'append':
          if (state === null) return [true, input.value];
          if (typeof state === 'string') return [true, state + input.value];
          if (isUnknown(state)) return [true, unknownValue(state.unknownSuffix + input.value)];
          return [false, state]; // appending a string to a non-string value is not an operation this store has
      }
    },
    readOnly: (input) => input.kind === 'get',
    // Growth: only a put sets a key whatever it held; an append only lengthens a string (or starts one on an
    // absent key), so a read of v can still fit later only when v extends what the key holds now.
    reaches(state, input, output) {
      if (input.kind !== 'get' || output === undefined || isUnknown(state)) return true;
      if (state === null) return output === null || typeof output === 'string';
      if (typeof state === 'string') return typeof output === 'string' && output.startsWith(state);
      return valueEquals(state, output); // a non-string value: an append is refused, nothing but a put changes it
    },
    resets: (input) => input.kind === 'put',
    equal: (a, b) => (isUnknown(a) || isUnknown(b) ? isUnknown(a) && isUnknown(b) && a.unknownSuffix === b.unknownSuffix : valueEquals(a, b)),
    hash: (s) => (isUnknown(s) ? hashValue(s.unknownSuffix) ^ 0x27d4eb2f : hashValue(s)),
    unknownState: () => unknownValue(''),
    // Several keys start somewhere: the initial value is an object from key to value; absent keys are absent.
    initialState(value, partitionKey) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`a kv store starts as an object from key to value, like {"x":"ab"}, not ${showValue(value)}`);
      let name = partitionKey ?? '';
      try {
        const k: unknown = JSON.parse(name);
        if (typeof k === 'string') name = k;
      } catch {
        // Not JSON: the key as it is.
      }
      return Object.prototype.hasOwnProperty.call(value, name) ? (value as Record<string, unknown>)[name] : null;
    },
    describeOperation(input, output) {
      const key = showValue(input.key);
      switch (input.kind) {
        case 'get':
          return output === undefined ? `get ${key}` : `get ${key} → ${showValue(output)}`;
        case 'put':
          return `put ${key} ${showValue(input.value)}`;
        case 'append':
          return `append ${key} ${showValue(input.value)}`;
      }
    },
    describeState(s) {
      if (isUnknown(s)) return s.unknownSuffix === '' ? 'the key could hold any value' : `the key holds some value ending in ${showValue(s.unknownSuffix)}`;
      return s === null ? 'the key is absent' : `the key holds ${showValue(s)}`;
    },
  };
}
