import { hashValue, showValue, type Model, type OperationCall } from './model.js';

/**
 * A pool of session slots: `open {session}`, ok value the slots free after it (one taken only if the session was
 * not open and a slot was free; opening an open session takes nothing); `end {session}`, ok value the slots free
 * after it (one given back only if the session was open); `pool`, ok value the slots free. Sessions start closed;
 * the free count starts unknown and is learned from the first result.
 */
export type SessionInput = { readonly kind: 'open' | 'end'; readonly session: string } | { readonly kind: 'pool' };

export interface SessionState {
  /** Slots free: known, or unknown less the slots taken since (negative: given back). */
  readonly free: { readonly known: number } | { readonly unknownMinus: number };
  /** Open sessions, sorted (a canonical form for equality). */
  readonly open: readonly string[];
}

export function decodeSessionOperation(op: OperationCall): { input: SessionInput; output: number | undefined } {
  const raw = op.completeValue;
  const output = raw === undefined || raw === null ? undefined : Number(raw);
  if (output !== undefined && !Number.isFinite(output)) throw new Error(`${op.f} returned ${showValue(raw)}; a session ${op.f} returns a number`);
  if (op.f === 'pool') return { input: { kind: 'pool' }, output };
  if (op.f !== 'open' && op.f !== 'end') throw new Error(`the session model has no operation "${op.f}"; it knows open, end and pool`);
  const session = op.invokeValue && typeof op.invokeValue === 'object' ? (op.invokeValue as Record<string, unknown>).session : undefined;
  if (typeof session !== 'string') throw new Error(`${op.f} needs session (a string), not ${showValue(op.invokeValue)}`);
  return { input: { kind: op.f, session }, output };
}

/** The free count after taking `by` slots (negative: giving back), checked against `out` when it was seen. */
function take(free: SessionState['free'], by: number, out: number | undefined): SessionState['free'] | undefined {
  if ('known' in free) {
    const after = free.known - by;
    if (after < 0 || (out !== undefined && out !== after)) return undefined;
    return { known: after };
  }
  if (out !== undefined) return out < 0 ? undefined : { known: out };
  return { unknownMinus: free.unknownMinus + by };
}

export function sessionModel(): Model<SessionState, SessionInput, number> {
  return {
    name: 'session',
    init: () => ({ free: { unknownMinus: 0 }, open: [] }),
    decode: decodeSessionOperation,
    step(state, input, out) {
      const isOpen = input.kind !== 'pool' && state.open.includes(input.session);
      const by = input.kind === 'open' && !isOpen ? 1 : input.kind === 'end' && isOpen ? -1 : 0;
      const free = take(state.free, by, out);
      if (!free) return [false, state];
      if (input.kind === 'pool' || by === 0) return [true, { ...state, free }];
      const open = by === 1 ? [...state.open, input.session].sort() : state.open.filter((s) => s !== input.session);
      return [true, { free, open }];
    },
    readOnly: (input) => input.kind === 'pool',
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    hash: (s) => hashValue(JSON.stringify(s)),
    describeOperation: (input, out) => (input.kind === 'pool' ? 'pool' : `${input.kind} ${input.session}`) + (out === undefined ? '' : ` → ${out} free`),
    describeState: (s) =>
      `${'known' in s.free ? s.free.known : s.free.unknownMinus ? `unknown - ${s.free.unknownMinus}` : 'unknown'} free${s.open.length ? `; open: ${s.open.join(', ')}` : ''}`,
  };
}
