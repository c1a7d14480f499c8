import { plural } from '../core/units.js';
import { hashValue, showValue, type Model, type OperationCall } from './model.js';

/**
 * A fixed-window rate limit, per user, within one window: an accepted `call {user}` counts one call, ok value
 * the calls counted after it (legal only while the count is below the limit); `usage {user}` reads the count,
 * ok value `{used, limit}` (or just the count). A refused call (`fail`) counted nothing. The count and the limit
 * start unknown and are learned from the first operation that shows them. A history that crosses a window
 * boundary (the count starts again) is outside the model: record one within a window.
 */
export type RateLimitInput = { readonly kind: 'call' | 'usage'; readonly user: string };
export interface RateLimitOutput {
  readonly used: number;
  readonly limit?: number;
}

export interface RateLimitState {
  /** Calls counted: known, or unknown plus the calls seen since. */
  readonly used: { readonly known: number } | { readonly unknownPlus: number };
  readonly limit?: number;
}

function count(v: unknown, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} is ${showValue(v)}; a rate limit's counts are whole numbers of 0 or more`);
  return n;
}

export function decodeRateLimitOperation(op: OperationCall): { input: RateLimitInput; output: RateLimitOutput | undefined } {
  if (op.f !== 'call' && op.f !== 'usage') throw new Error(`the ratelimit model has no operation "${op.f}"; it knows call and usage`);
  const user = op.invokeValue && typeof op.invokeValue === 'object' ? (op.invokeValue as Record<string, unknown>).user : undefined;
  if (typeof user !== 'string') throw new Error(`${op.f} needs user (a string), not ${showValue(op.invokeValue)}`);
  const raw = op.completeValue;
  if (raw === undefined || raw === null) return { input: { kind: op.f, user }, output: undefined };
  if (typeof raw === 'object') {
    const o = raw as Record<string, unknown>;
    return { input: { kind: op.f, user }, output: { used: count(o.used ?? 0, `${op.f}'s used`), ...(o.limit !== undefined ? { limit: count(o.limit, `${op.f}'s limit`) } : {}) } };
  }
  return { input: { kind: op.f, user }, output: { used: count(raw, `${op.f}'s result`) } };
}

export function rateLimitModel(): Model<RateLimitState, RateLimitInput, RateLimitOutput> {
  const start = (): RateLimitState => ({ used: { unknownPlus: 0 } });
  return {
    name: 'ratelimit',
    init: start,
    // The start already knows nothing: any count, any limit.
    unknownState: start,
    decode: decodeRateLimitOperation,
    partitionKey: (input) => input.user,
    step(state, input, out) {
      const limit = out?.limit ?? state.limit;
      if (state.limit !== undefined && out?.limit !== undefined && out.limit !== state.limit) return [false, state];
      const by = input.kind === 'call' ? 1 : 0;
      let used: RateLimitState['used'];
      if ('known' in state.used) {
        // An accepted call needs room under the limit.
        if (by === 1 && limit !== undefined && state.used.known >= limit) return [false, state];
        if (out !== undefined && out.used !== state.used.known + by) return [false, state];
        used = { known: state.used.known + by };
      } else if (out !== undefined) {
        if (out.used < state.used.unknownPlus + by) return [false, state];
        used = { known: out.used };
      } else used = { unknownPlus: state.used.unknownPlus + by };
      if (limit !== undefined && 'known' in used && used.known > limit) return [false, state];
      return [true, { used, ...(limit !== undefined ? { limit } : {}) }];
    },
    readOnly: (input) => input.kind === 'usage',
    equal: (a, b) => a.limit === b.limit && JSON.stringify(a.used) === JSON.stringify(b.used),
    hash: (s) => hashValue(`${s.limit ?? '?'} ${JSON.stringify(s.used)}`),
    describeOperation: (input, out) =>
      `${input.kind === 'call' ? `call of ${input.user}` : `usage of ${input.user}`}${out === undefined ? '' : ` → ${plural(out.used, 'call')} counted${out.limit !== undefined ? ` of ${out.limit}` : ''}`}`,
    describeState: (s) =>
      `${'known' in s.used ? s.used.known : s.used.unknownPlus ? `unknown + ${s.used.unknownPlus}` : 'unknown'} calls counted, limit ${s.limit ?? 'unknown'}`,
  };
}
