import { RacelabError } from '../core/errors.js';
import { status } from '@grpc/grpc-js';
import type { CallOutcome } from '../burst/call.js';
import { isUnknownOutcome, statusName } from '../grpc/status.js';
import type { Expression } from './expression.js';
import type { Endpoint } from './plan.js';
import { shortName, type AttackVerdict, type RoundReport, type RoundVerdict } from './report.js';

export interface ScopeInput {
  round: number;
  before?: unknown;
  after?: unknown;
  outcomes: readonly CallOutcome[];
  endpointOf: readonly Endpoint[];
  decoded: ReadonlyArray<unknown>;
  /** Codes the target is known to answer only for a call it refused before any effect (a scenario's `refusals`). */
  refusals?: ReadonlySet<number>;
}

/** The names an invariant can use, for one round. */
export function invariantScope(s: ScopeInput): Record<string, unknown> {
  const results = s.outcomes.map((o) => ({
    index: o.index,
    method: shortName(o.path),
    client: o.client,
    code: o.code,
    status: statusName(o.code),
    ok: o.code === status.OK,
    response: s.decoded[o.index] ?? null,
    latencyMs: (o.doneMicros - o.sentMicros) / 1000,
  }));
  const unknownOutcome = (code: number): boolean => isUnknownOutcome(code) && !s.refusals?.has(code);
  const tally = (list: typeof results): { ok: number; failed: number; unknown: number; count: number; responses: unknown[] } => ({
    ok: list.filter((r) => r.ok).length,
    failed: list.filter((r) => !r.ok && !unknownOutcome(r.code)).length,
    unknown: list.filter((r) => unknownOutcome(r.code)).length,
    count: list.length,
    responses: list.filter((r) => r.ok).map((r) => r.response),
  });
  const all = tally(results);
  const by: Record<string, unknown> = {};
  for (const name of new Set(results.map((r) => r.method))) by[name] = tally(results.filter((r) => r.method === name));
  return {
    before: s.before,
    after: s.after,
    ok: all.ok,
    failed: all.failed,
    unknown: all.unknown,
    count: all.count,
    round: s.round,
    results,
    responses: all.responses,
    by,
  };
}

/** One round's verdict, with lost and extra effects for an `observed == expected` invariant. */
export function judge(expr: Expression | undefined, scope: Record<string, unknown>): Pick<RoundReport, 'verdict' | 'observed' | 'expected' | 'lost' | 'extra' | 'nothingAccepted'> {
  if (!expr) return { verdict: 'unchecked', lost: 0, extra: 0 };
  const value = expr.evaluate(scope);
  if (typeof value !== 'boolean') {
    throw new RacelabError('BAD_OPTION', `must be true or false, but "${expr.source}" gave ${JSON.stringify(value)}; write a comparison such as "after.value - before.value == ok"`, {
      subject: 'invariant',
    });
  }
  const sides = expr.sides(scope);
  const lost = sides ? Math.max(0, sides.expected - sides.observed) : 0;
  const extra = sides ? Math.max(0, sides.observed - sides.expected) : 0;
  const unknown = scope.unknown as number;
  let verdict: RoundVerdict = value ? 'ok' : 'race';
  // A call whose outcome is unknown may have taken effect: extra effects it can explain are not a race, and an
  // invariant that held proves nothing (an unknown call that took effect may have hidden a lost update, and calls
  // that never ran tested no window).
  if (unknown > 0 && (value || !sides || (lost === 0 && extra <= unknown))) verdict = 'unknown';
  // A burst of which no call was accepted changed nothing: the invariant holds trivially and no window was tested
  // (a coupon or a stock used up by an earlier run, a window at its limit). Not "ok": the round proves nothing.
  const nothingAccepted = verdict === 'ok' && (scope.count as number) > 0 && (scope.ok as number) === 0;
  if (nothingAccepted) verdict = 'unknown';
  return { verdict, lost, extra, ...(nothingAccepted ? { nothingAccepted } : {}), ...(sides ? { observed: sides.observed, expected: sides.expected } : {}) };
}

export function overallVerdict(rounds: readonly RoundReport[]): AttackVerdict {
  if (rounds.some((r) => r.verdict === 'race')) return 'race';
  if (rounds.some((r) => r.verdict === 'unknown' && !r.nothingAccepted)) return 'unknown';
  // Rounds of which nothing was accepted tested nothing and hid nothing: the others decide, if there are any.
  const tested = rounds.filter((r) => !r.nothingAccepted);
  if (tested.length === 0 && rounds.length > 0) return 'unknown';
  if (tested.length > 0 && tested.every((r) => r.verdict === 'ok')) return 'no-race';
  return 'unchecked';
}
