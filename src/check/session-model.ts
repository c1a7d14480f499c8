import { hashValue, initialCount, showValue, type Model, type OperationCall } from './model.js';

/**
 * A pool of session slots: `open {session}`, ok value the slots free after it (one taken only if the session was
 * not open and a slot was free; opening an open session takes nothing); `end {session}`, ok value the slots free
 * after it (one given back only if the session was open); `pool`, ok value the slots free. Sessions start closed;
 * the free count starts unknown and is learned from the first result. From the unknown state (a history that
 * begins mid-life: an earlier run may have left sessions open) a session not yet seen may be open or closed, and
 * its first open or end is judged by what the free count allows.
 */
export type SessionInput = { readonly kind: 'open' | 'end'; readonly session: string } | { readonly kind: 'pool' };

export interface SessionState {
  /** Slots free: known, or unknown less the slots taken since (negative: given back). */
  readonly free: { readonly known: number } | { readonly unknownMinus: number };
  /** Open sessions, sorted (a canonical form for equality). */
  readonly open: readonly string[];
  /** Sessions known closed, sorted: kept only when the others may be open. */
  readonly closed: readonly string[];
  /** Whether a session in neither list is closed (the model's start) or may be either (the unknown state). */
  readonly others: 'closed' | 'unknown';
}

const UNKNOWN_FREE: SessionState['free'] = { unknownMinus: 0 };

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
    init: () => ({ free: UNKNOWN_FREE, open: [], closed: [], others: 'closed' }),
    unknownState: () => ({ free: UNKNOWN_FREE, open: [], closed: [], others: 'unknown' }),
    // `{"free": 3, "open": ["alice"]}`: with `open`, every other session is closed; without it, any may be open.
    initialState(value) {
      const example = '{"free": 3, "open": ["alice"]}';
      const n = initialCount(value, 'free', example);
      if (n !== undefined && n < 0) throw new Error(`"free" must be 0 or more, not ${n}`);
      const open = (value as Record<string, unknown>).open;
      if (open !== undefined && (!Array.isArray(open) || !open.every((x) => typeof x === 'string'))) throw new Error(`"open" must be a list of session names (an object like ${example}), not ${showValue(open)}`);
      return { free: n === undefined ? UNKNOWN_FREE : { known: n }, open: open ? [...new Set(open as string[])].sort() : [], closed: [], others: open ? 'closed' : 'unknown' };
    },
    decode: decodeSessionOperation,
    step(state, input, out) {
      if (input.kind === 'pool') {
        const free = take(state.free, 0, out);
        return free ? [true, { ...state, free }] : [false, state];
      }
      const x = input.session;
      const status = state.open.includes(x) ? 'open' : state.closed.includes(x) || state.others === 'closed' ? 'closed' : 'unknown';
      const open = input.kind === 'open' ? [...new Set([...state.open, x])].sort() : state.open.filter((s) => s !== x);
      const closed = state.others === 'closed' ? [] : input.kind === 'end' ? [...new Set([...state.closed, x])].sort() : state.closed.filter((s) => s !== x);
      let free: SessionState['free'] | undefined;
      if (status !== 'unknown') {
        free = take(state.free, input.kind === 'open' ? (status === 'open' ? 0 : 1) : status === 'open' ? -1 : 0, out);
      } else if (out === undefined) {
        // Taken or not, nobody saw: the free count is unknown from here (a wider state, never a wrong one).
        free = 'known' in state.free ? UNKNOWN_FREE : state.free;
      } else if ('known' in state.free) {
        // Open takes 0 or 1 slot, end gives back 0 or 1: the result says which, if either.
        const by = state.free.known - out;
        free = (input.kind === 'open' ? by === 0 || by === 1 : by === 0 || by === -1) && out >= 0 ? { known: out } : undefined;
      } else {
        free = out < 0 ? undefined : { known: out };
      }
      if (!free) return [false, state];
      return [true, { free, open, closed, others: state.others }];
    },
    readOnly: (input) => input.kind === 'pool',
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    hash: (s) => hashValue(JSON.stringify(s)),
    describeOperation: (input, out) => (input.kind === 'pool' ? 'pool' : `${input.kind} ${input.session}`) + (out === undefined ? '' : ` → ${out} free`),
    describeState: (s) =>
      `${'known' in s.free ? s.free.known : s.free.unknownMinus ? `unknown - ${s.free.unknownMinus}` : 'unknown'} free${s.open.length ? `; open: ${s.open.join(', ')}` : ''}${s.closed.length ? `; closed: ${s.closed.join(', ')}` : ''}${s.others === 'unknown' ? '; other sessions open or closed' : ''}`,
  };
}
