import { plural } from '../core/units.js';
import { hashValue, initialCounts, showValue, type Model, type OperationCall } from './model.js';

/**
 * Orders paid with idempotency keys, as racelab's checkout scenario records them:
 * - `checkout {order, idempotency_key}`, ok value `{charges, replayed}`: a key not used before charges the order
 *   once more (`charges` the count after it, `replayed` false); a key already used charges nothing and answers
 *   `replayed` true with the count unchanged;
 * - `charges {order}`, ok value the times the order was charged.
 * The counts start unknown and are learned from the first answer. A key first met answering `replayed` was used
 * before the history began: legal, if the count did not move. What no order explains is a key answering
 * `replayed` false twice: the order charged twice.
 */
export type CheckoutInput = { readonly kind: 'checkout'; readonly order: string; readonly key: string } | { readonly kind: 'charges'; readonly order: string };
export type CheckoutOutput = { readonly charges: number; readonly replayed: boolean } | number;

export interface CheckoutState {
  /** Charges per order: known, or unknown plus the charges made since. */
  readonly charges: Readonly<Record<string, { readonly known: number } | { readonly unknownPlus: number }>>;
  /** Idempotency keys used in the history, sorted. */
  readonly used: readonly string[];
}

function field(v: unknown, name: string, f: string): string {
  const x = v && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
  if (typeof x !== 'string') throw new Error(`${f} needs ${name} (a string), not ${showValue(v)}`);
  return x;
}

function count(v: unknown, what: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error(`${what} ${showValue(v)}; a count of charges is a whole number of 0 or more`);
  return n;
}

export function decodeCheckoutOperation(op: OperationCall): { input: CheckoutInput; output: CheckoutOutput | undefined } {
  const raw = op.completeValue;
  const order = field(op.invokeValue, 'order', op.f);
  if (op.f === 'charges') return { input: { kind: 'charges', order }, output: raw === undefined || raw === null ? undefined : count(raw, 'charges returned') };
  if (op.f !== 'checkout') throw new Error(`the checkout model has no operation "${op.f}"; it knows checkout and charges`);
  const input: CheckoutInput = { kind: 'checkout', order, key: field(op.invokeValue, 'idempotency_key', op.f) };
  if (raw === undefined || raw === null) return { input, output: undefined };
  const r = raw as { charges?: unknown; replayed?: unknown };
  if (typeof raw !== 'object' || typeof r.replayed !== 'boolean') throw new Error(`checkout returned ${showValue(raw)}; a checkout returns {charges, replayed}`);
  return { input, output: { charges: count(r.charges, 'checkout returned charges'), replayed: r.replayed } };
}

type Charges = { readonly known: number } | { readonly unknownPlus: number };

/** Whether `n` can be the count `c`, and the count known from then on. */
function learn(c: Charges, n: number): Charges | undefined {
  if ('known' in c) return c.known === n ? c : undefined;
  return n >= c.unknownPlus ? { known: n } : undefined;
}

export function checkoutModel(): Model<CheckoutState, CheckoutInput, CheckoutOutput> {
  return {
    name: 'checkout',
    init: () => ({ charges: {}, used: [] }),
    // The start already knows nothing (counts learned, a key first met as a replay accepted): it is the unknown state.
    unknownState: () => ({ charges: {}, used: [] }),
    // `{"charges": {"order-1": 0}}`: orders absent stay unknown; keys used before the history are replays anyway.
    initialState(value, partitionKey) {
      const counts = initialCounts(value, 'charges', '{"charges": {"order-1": 0}}');
      for (const [order, n] of Object.entries(counts)) if (n < 0) throw new Error(`"charges.${order}" must be 0 or more, not ${n}`);
      const charges: CheckoutState['charges'] = Object.fromEntries(Object.entries(counts).filter(([order]) => partitionKey === undefined || order === partitionKey).map(([k, n]) => [k, { known: n }]));
      return { charges, used: [] };
    },
    decode: decodeCheckoutOperation,
    partitionKey: (input) => input.order,
    step(state, input, out) {
      const c = state.charges[input.order] ?? { unknownPlus: 0 };
      const next = (v: Charges, used = state.used): CheckoutState => ({ charges: { ...state.charges, [input.order]: v }, used });
      if (input.kind === 'charges') {
        if (out === undefined) return [true, state];
        const k = learn(c, out as number);
        return k ? [true, next(k)] : [false, state];
      }
      const seen = state.used.includes(input.key);
      const used = seen ? state.used : [...state.used, input.key].sort();
      const o = out as { charges: number; replayed: boolean } | undefined;
      // A key used in this history, or answered as a replay: nothing is charged.
      if (seen || o?.replayed) {
        if (o === undefined) return [true, state];
        if (!o.replayed) return [false, state];
        const k = learn(c, o.charges);
        return k ? [true, next(k, used)] : [false, state];
      }
      const charged: Charges = 'known' in c ? { known: c.known + 1 } : { unknownPlus: c.unknownPlus + 1 };
      if (o === undefined) return [true, next(charged, used)];
      const k = learn(charged, o.charges);
      return k ? [true, next(k, used)] : [false, state];
    },
    readOnly: (input) => input.kind === 'charges',
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    hash: (s) => hashValue(JSON.stringify(s)),
    describeOperation: (input, out) => {
      if (input.kind === 'charges') return `charges of ${input.order}` + (out === undefined ? '' : ` → ${plural(out as number, 'charge')}`);
      const o = out as { charges: number; replayed: boolean } | undefined;
      return `checkout ${input.order} with key ${input.key}` + (o === undefined ? '' : ` → ${o.replayed ? 'replayed' : 'charged'} (${plural(o.charges, 'charge')} in all)`);
    },
    describeState: (s) =>
      Object.entries(s.charges)
        .map(([order, v]) => `${order}: ${'known' in v ? plural(v.known, 'charge') : v.unknownPlus ? `unknown + ${plural(v.unknownPlus, 'charge')}` : 'charges unknown'}`)
        .concat(s.used.length ? [`keys used: ${s.used.join(', ')}`] : [])
        .join(', ') || 'nothing known',
  };
}
