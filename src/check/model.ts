import { RacelabError } from '../core/errors.js';

/**
 * A sequential specification, Porcupine-style: a plain record of pure functions. `init` and `step` are
 * required; everything else has a default, filled in one place (`completeModel`) that rejects an invalid model
 * before any checking starts.
 *
 * `step(state, input, output)` says whether the operation, applied to `state`, could have produced `output`,
 * and the state after it. `output` is `undefined` when nobody saw the operation's result (an `info` operation):
 * step must then accept whatever the operation could have returned and give the state after it took effect.
 * States must never be `undefined` and must not be mutated: the search keeps old states to backtrack to.
 */
export type StepResult<S> = readonly [legal: boolean, next: S];

/** One operation as the history has it, for `decode`. */
export interface OperationCall {
  readonly f: string;
  readonly invokeValue: unknown;
  /** The `ok` result; undefined when the outcome is unknown. */
  readonly completeValue: unknown;
}

export interface Model<S = unknown, I = unknown, O = unknown> {
  readonly name: string;
  init(): S;
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /**
   * Reads one history operation as this model's input and output; throws an Error whose message says what is
   * wrong (the checker adds the line). Default: input `{ f, value }`, output the completion's value.
   */
  decode?(op: OperationCall): { input: I; output: O | undefined };
  /**
   * P-compositionality: operations with different keys never affect each other, so each key's operations are
   * checked alone (a key-value store per key). Absent: the history is one partition.
   */
  partitionKey?(input: I): string;
  /** True when the operation never changes the state (a read): an unseen read constrains nothing and is dropped. */
  readOnly?(input: I): boolean;
  equal?(a: S, b: S): boolean;
  /** A 32-bit hash consistent with `equal`, for the memo of visited configurations. */
  hash?(state: S): number;
  /**
   * A state standing for "any state", whose `step` accepts every output some concrete state would and narrows
   * as it learns. Lets the checker prove a short window illegal on its own, whatever came before it.
   */
  unknownState?(): S;
  /**
   * Optional, lets the search prune: the one state in which this read-only operation fits (a register read of
   * v fits only when the register holds v), or undefined when it fits several. A state that fits every read
   * (a window's unknown state) may accept it too.
   */
  observes?(input: I, output: O | undefined): S | undefined;
  /**
   * Optional, with `observes`: the state this operation leaves whenever it changes the state, when that does not
   * depend on the state before (a register write of v, or a cas to v: v); undefined when it does (an
   * increment, an append). Read-only operations are never asked.
   */
  produces?(input: I, output: O | undefined): S | undefined;
  /**
   * Optional, with `resets`, lets the search prune: false when, from `state`, no sequence of operations that do
   * not reset (see `resets`) can lead to a state in which this read-only operation fits (a kv append only
   * lengthens a key's string, so once the key holds "abc" a read of "ab" can no longer fit). True when it may,
   * or when unsure: a wrong false is a wrong verdict, a wrong true only costs time.
   */
  reaches?(state: S, input: I, output: O | undefined): boolean;
  /**
   * Optional, with `reaches`: true for an operation after which a state `reaches` ruled out may come again (a kv
   * put sets the key whatever it held).
   */
  resets?(input: I): boolean;
  describeOperation?(input: I, output: O | undefined): string;
  describeState?(state: S): string;
  /**
   * The state a user's initial value stands for (a history's header, `racelab check --initial`), for the
   * partition `partitionKey`; throws an Error saying what the value must be. Default: the value itself.
   */
  initialState?(value: unknown, partitionKey: string | undefined): S;
}

export interface CompleteModel<S = unknown, I = unknown, O = unknown> {
  readonly name: string;
  init(): S;
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  decode(op: OperationCall): { input: I; output: O | undefined };
  readonly partitionKey: ((input: I) => string) | undefined;
  readOnly(input: I): boolean;
  equal(a: S, b: S): boolean;
  hash(state: S): number;
  readonly unknownState: (() => S) | undefined;
  readonly observes: ((input: I, output: O | undefined) => S | undefined) | undefined;
  readonly produces: ((input: I, output: O | undefined) => S | undefined) | undefined;
  readonly reaches: ((state: S, input: I, output: O | undefined) => boolean) | undefined;
  readonly resets: ((input: I) => boolean) | undefined;
  describeOperation(input: I, output: O | undefined): string;
  describeState(state: S): string;
  initialState(value: unknown, partitionKey: string | undefined): S;
}

/** Deep equality of JSON-like values (numbers, strings, booleans, null, arrays, plain objects, symbols). */
export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!valueEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 32-bit hash consistent with valueEquals (object keys in any order hash alike). */
export function hashValue(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? Math.imul(v | 0, 0x9e3779b1) >>> 0 : hashString(String(v), 0x1234567);
    case 'string':
      return hashString(v);
    case 'boolean':
      return v ? 0x51ed27 : 0x2f3b11;
    case 'undefined':
      return 0x7a3c0001;
    case 'symbol':
      return hashString(v.description ?? '', 0x5a5a5a5a);
    case 'object': {
      if (v === null) return 0x6b43a9b5;
      if (Array.isArray(v)) {
        let h = 0x3c6ef372;
        for (const x of v) h = Math.imul(h ^ hashValue(x), 0x01000193) >>> 0;
        return h;
      }
      let h = 0x243f6a88;
      for (const [k, x] of Object.entries(v)) h = (h + Math.imul(hashString(k), 31) + hashValue(x)) >>> 0;
      return h;
    }
    default:
      return 0;
  }
}

/** Short text for a JSON-like value in an explanation. */
export function showValue(v: unknown): string {
  if (v === undefined) return '?';
  if (typeof v === 'symbol') return v.description ?? 'unknown';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describeDefaultInput(input: unknown): string {
  if (typeof input === 'object' && input !== null && typeof (input as { f?: unknown }).f === 'string') {
    const { f, value } = input as { f: string; value?: unknown };
    return value === null || value === undefined ? f : `${f} ${showValue(value)}`;
  }
  return showValue(input);
}

/**
 * Fills a model's defaults and checks it, failing fast with what is wrong: the one place a model is
 * validated, so the search never meets a half-defined model.
 */
export function completeModel<S, I, O>(model: Model<S, I, O>): CompleteModel<S, I, O> {
  const where = `model ${typeof model?.name === 'string' && model.name ? `"${model.name}"` : '(unnamed)'}`;
  const fail = (what: string): never => {
    throw new RacelabError('BAD_DATA', `${where}: ${what}`);
  };
  if (typeof model !== 'object' || model === null) fail('a model is an object with at least name, init and step');
  if (typeof model.name !== 'string' || model.name === '') fail('"name" must be a non-empty string');
  if (typeof model.init !== 'function') fail('"init" must be a function returning the initial state');
  if (typeof model.step !== 'function') fail('"step" must be a function (state, input, output) => [legal, nextState]');
  for (const key of ['decode', 'partitionKey', 'readOnly', 'equal', 'hash', 'unknownState', 'observes', 'produces', 'reaches', 'resets', 'describeOperation', 'describeState', 'initialState'] as const) {
    if (model[key] !== undefined && typeof model[key] !== 'function') fail(`"${key}" must be a function when given`);
  }
  const first = model.init();
  if (first === undefined) fail('"init" returned undefined; states must be defined values');
  const m = model;
  return {
    name: m.name,
    init: () => m.init(),
    step: (s, i, o) => m.step(s, i, o),
    decode: m.decode ? (op) => m.decode!(op) : (op) => ({ input: { f: op.f, value: op.invokeValue } as I, output: op.completeValue as O | undefined }),
    partitionKey: m.partitionKey ? (i) => m.partitionKey!(i) : undefined,
    readOnly: m.readOnly ? (i) => m.readOnly!(i) : () => false,
    equal: m.equal ? (a, b) => m.equal!(a, b) : valueEquals,
    hash: m.hash ? (s) => m.hash!(s) >>> 0 : hashValue,
    unknownState: m.unknownState ? () => m.unknownState!() : undefined,
    observes: m.observes ? (i, o) => m.observes!(i, o) : undefined,
    produces: m.produces ? (i, o) => m.produces!(i, o) : undefined,
    // One without the other cannot prune soundly: no reset means none is known, not that none exists.
    reaches: m.reaches && m.resets ? (s, i, o) => m.reaches!(s, i, o) : undefined,
    resets: m.reaches && m.resets ? (i) => m.resets!(i) : undefined,
    describeOperation: m.describeOperation
      ? (i, o) => m.describeOperation!(i, o)
      : // Jepsen's ok events repeat a write's value: an output equal to the argument says nothing new.
        (i, o) => {
          const argument = (i as { value?: unknown } | null)?.value;
          const echo = argument !== null && argument !== undefined && valueEquals(o, argument);
          return `${describeDefaultInput(i)}${o === undefined || echo ? '' : ` → ${showValue(o)}`}`;
        },
    describeState: m.describeState ? (s) => m.describeState!(s) : (s) => `the state is ${showValue(s)}`,
    initialState: m.initialState
      ? (v, k) => m.initialState!(v, k)
      : (v) => {
          if (v === undefined) throw new Error('an initial value must be a JSON value');
          return v as S;
        },
  };
}

/**
 * Reads `{field: {name: count}}` from a user's initial value (a history header, a `--initial` value): each count a
 * whole number (a numeric string too: int64 in proto3 JSON). `field` absent: {}. Throws an Error naming `example`.
 */
export function initialCounts(value: unknown, field: string, example: string): Record<string, number> {
  const shape = `an object like ${example}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`must be ${shape}, not ${showValue(value)}`);
  const raw = (value as Record<string, unknown>)[field];
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`"${field}" must be an object of names to whole numbers (${shape}), not ${showValue(raw)}`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new Error(`"${field}.${k}" must be a whole number (${shape}), not ${showValue(v)}`);
    out[k] = n;
  }
  return out;
}

/** Reads one whole number `field` of a user's initial value; undefined when absent. */
export function initialCount(value: unknown, field: string, example: string): number | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`must be an object like ${example}, not ${showValue(value)}`);
  const v = (value as Record<string, unknown>)[field];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new Error(`"${field}" must be a whole number (an object like ${example}), not ${showValue(v)}`);
  return n;
}
