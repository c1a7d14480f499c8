import { hashValue, showValue, valueEquals, type Model, type OperationCall } from './model.js';

/**
 * A read/write/compare-and-set register, as Jepsen's cas-register and Knossos's `cas-register` model:
 * `read` (invoke value nil, ok value what was read), `write v`, `cas [old new]` (ok = it swapped; a cas whose
 * precondition failed is `fail` and had no effect).
 */
export type RegisterInput = { readonly kind: 'read' } | { readonly kind: 'write'; readonly value: unknown } | { readonly kind: 'cas'; readonly from: unknown; readonly to: unknown };

/** "Any value": the state a window of the history starts from when what came before is not considered. */
export const UNKNOWN_VALUE: unique symbol = Symbol('unknown value');

const READ = new Set(['read', 'get', 'r']);
const WRITE = new Set(['write', 'put', 'set', 'w']);
const CAS = new Set(['cas', 'compare-and-set', 'compareAndSet']);

export function decodeRegisterOperation(op: OperationCall, model = 'register'): { input: RegisterInput; output: unknown } {
  if (READ.has(op.f)) return { input: { kind: 'read' }, output: op.completeValue };
  if (WRITE.has(op.f)) return { input: { kind: 'write', value: op.invokeValue }, output: undefined };
  if (CAS.has(op.f)) {
    const v = op.invokeValue;
    if (!Array.isArray(v) || v.length !== 2) throw new Error(`cas takes [old, new], not ${showValue(v)}`);
    return { input: { kind: 'cas', from: v[0], to: v[1] }, output: undefined };
  }
  throw new Error(`the ${model} model has no operation "${op.f}"; it knows read, write and cas`);
}

export function registerModel(options: { initial?: unknown } = {}): Model<unknown, RegisterInput, unknown> {
  const initial = options.initial ?? null;
  return {
    name: 'register',
    init: () => initial,
    decode: (op) => decodeRegisterOperation(op),
    step(state, input, output) {
      switch (input.kind) {
        case 'read':
          if (output === undefined) return [true, state];
          if (state === UNKNOWN_VALUE) return [true, output];
          return [valueEquals(state, output), state];
        case 'write':
          return [true, input.value];
        case 'cas':
          // An unknown register may have held `from`; a cas that happened means it did.
          if (state === UNKNOWN_VALUE || valueEquals(state, input.from)) return [true, input.to];
          return [false, state];
      }
    },
    readOnly: (input) => input.kind === 'read',
    // A seen read fits only the value it returned (or the unknown value); writes and cas leave their new value.
    observes: (input, output) => (input.kind === 'read' ? output : undefined),
    produces: (input) => (input.kind === 'write' ? input.value : input.kind === 'cas' ? input.to : undefined),
    equal: valueEquals,
    hash: hashValue,
    unknownState: () => UNKNOWN_VALUE,
    describeOperation(input, output) {
      switch (input.kind) {
        case 'read':
          return output === undefined ? 'read' : `read → ${showValue(output)}`;
        case 'write':
          return `write ${showValue(input.value)}`;
        case 'cas':
          return `cas ${showValue(input.from)}→${showValue(input.to)}`;
      }
    },
    describeState: (state) => (state === UNKNOWN_VALUE ? 'the register could hold any value' : `the register holds ${showValue(state)}`),
  };
}
