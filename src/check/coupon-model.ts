import { hashValue, initialCounts, showValue, type Model, type OperationCall } from './model.js';

/**
 * A limited coupon: `redeem {code, user}`, ok value the redemptions left after it (legal only if one was left
 * and that user had not redeemed the code); `status {code}`, ok value the redemptions left. A refused redeem
 * (`fail`) changed nothing. What is left starts unknown and is learned from the first read.
 */
export type CouponInput = { readonly kind: 'redeem'; readonly code: string; readonly user: string } | { readonly kind: 'status'; readonly code: string };

export interface CouponState {
  /** Redemptions left per code: known, or unknown less the redemptions seen since. */
  readonly remaining: Readonly<Record<string, { readonly known: number } | { readonly unknownMinus: number }>>;
  /** `code user` pairs that redeemed, sorted (a canonical form for equality). */
  readonly used: readonly string[];
}

function text(v: unknown, name: string, f: string): string {
  const x = v && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
  if (typeof x !== 'string') throw new Error(`${f} needs ${name} (a string), not ${showValue(v)}`);
  return x;
}

export function decodeCouponOperation(op: OperationCall): { input: CouponInput; output: number | undefined } {
  const raw = op.completeValue;
  const output = raw === undefined || raw === null ? undefined : Number(raw);
  if (output !== undefined && !Number.isFinite(output)) throw new Error(`${op.f} returned ${showValue(raw)}; a coupon ${op.f} returns a number`);
  if (op.f === 'redeem') return { input: { kind: 'redeem', code: text(op.invokeValue, 'code', op.f), user: text(op.invokeValue, 'user', op.f) }, output };
  if (op.f === 'status') return { input: { kind: 'status', code: text(op.invokeValue, 'code', op.f) }, output };
  throw new Error(`the coupon model has no operation "${op.f}"; it knows redeem and status`);
}

export function couponModel(): Model<CouponState, CouponInput, number> {
  return {
    name: 'coupon',
    init: () => ({ remaining: {}, used: [] }),
    // The start already knows nothing: what is left is learned, and a user who redeemed before the history began
    // would have been refused (a `fail`, which changed nothing), so no pair used before matters.
    unknownState: () => ({ remaining: {}, used: [] }),
    // `{"remaining": {"SPRING": 5}}`: codes absent stay unknown.
    initialState: (value) => ({
      remaining: Object.fromEntries(Object.entries(initialCounts(value, 'remaining', '{"remaining": {"SPRING": 5}}')).map(([k, n]) => [k, { known: n }])),
      used: [],
    }),
    decode: decodeCouponOperation,
    step(state, input, out) {
      const left = state.remaining[input.code] ?? { unknownMinus: 0 };
      if (input.kind === 'status') {
        if (out === undefined) return [true, state];
        if ('known' in left) return [left.known === out, state];
        return [true, { ...state, remaining: { ...state.remaining, [input.code]: { known: out } } }];
      }
      const pair = `${input.code} ${input.user}`;
      if (state.used.includes(pair)) return [false, state];
      if ('known' in left && (left.known <= 0 || (out !== undefined && out !== left.known - 1))) return [false, state];
      if (out !== undefined && out < 0) return [false, state];
      const after = out !== undefined ? { known: out } : 'known' in left ? { known: left.known - 1 } : { unknownMinus: left.unknownMinus + 1 };
      return [true, { remaining: { ...state.remaining, [input.code]: after }, used: [...state.used, pair].sort() }];
    },
    readOnly: (input) => input.kind === 'status',
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    hash: (s) => hashValue(JSON.stringify(s)),
    describeOperation: (input, out) => (input.kind === 'redeem' ? `${input.user} redeems ${input.code}` : `status of ${input.code}`) + (out === undefined ? '' : ` → ${out} left`),
    describeState: (s) =>
      `${Object.entries(s.remaining).map(([c, r]) => `${c}: ${'known' in r ? r.known : r.unknownMinus ? `unknown - ${r.unknownMinus}` : 'unknown'} left`).join(', ') || 'nothing known'}${s.used.length ? `; redeemed by ${s.used.join(', ')}` : ''}`,
  };
}
