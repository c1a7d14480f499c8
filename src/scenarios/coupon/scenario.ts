import { status } from '../../grpc/status.js';
import { grpcError, scenarioVariant, type HostPorts, type HostedService, type ImpactScenario, wholeOf } from '../impacts/scenario.js';
import { couponVariants, openCoupons, type IssueResult, type RedeemResult } from './variants.js';
import { couponWorkload } from './workload.js';

/** A served code: good for 5 redemptions in all, each user once. Issue opens more. */
export const SERVED_COUPON_LIMITS: Readonly<Record<string, number>> = { SPRING: 5 };
/** The code each round of the built-in attack issues and redeems: new in every round and every run. */
const ROUND_CODE = 'SPRING-{{run}}-{{round}}';

const SERVICE = 'racelab.coupon.v1.Coupons';

const STATUS_OF: Record<Exclude<RedeemResult, { accepted: true }>['reason'], number> = {
  'already-used': status.FAILED_PRECONDITION,
  'sold-out': status.FAILED_PRECONDITION,
  'unknown-code': status.NOT_FOUND,
};
const ISSUE_STATUS_OF: Record<Exclude<IssueResult, { issued: true }>['reason'], number> = {
  exists: status.ALREADY_EXISTS,
  'bad-limit': status.INVALID_ARGUMENT,
};

export const couponScenario: ImpactScenario = {
  name: 'coupon',
  title: 'coupon: a limited code redeemed more often than allowed (the limit overrun)',
  invariant: 'no user redeems a code twice, a code is never redeemed more often than its limit, and what is left is the limit less what was granted',
  protoFile: 'coupon.proto',
  service: SERVICE,
  variants: couponVariants,
  model: 'coupon',
  open: (store) => openCoupons(store, SERVED_COUPON_LIMITS),
  host(variantName: string, ports: HostPorts): HostedService {
    const svc = scenarioVariant('coupon', couponVariants, variantName).make(ports);
    return {
      handlers: {
        Redeem: async (req: { code: string; user: string }) => {
          const r = await svc.redeem(req.code, req.user);
          if (!r.accepted) throw grpcError(STATUS_OF[r.reason], r.message);
          return { remaining: r.remaining };
        },
        Status: async (req: { code: string }) => {
          const s = await svc.status(req.code);
          if (!s) throw grpcError(status.NOT_FOUND, `no coupon "${req.code}"; issue it first (Issue)`);
          return s;
        },
        Issue: async (req: { code: string; limit: number }) => {
          const r = await svc.issue(req.code, req.limit);
          if (!r.issued) throw grpcError(ISSUE_STATUS_OF[r.reason], r.message);
          return { remaining: r.remaining, limit: r.limit };
        },
      },
      stats: svc.stats,
      close: () => svc.close(),
    };
  },
  workload: (o) => couponWorkload(o),
  impact(before, after, accepted) {
    const b = before as { remaining: number };
    const a = after as { remaining: number };
    const granted = accepted.Redeem ?? 0;
    const over = Math.max(0, granted - b.remaining);
    const unrecorded = b.remaining - granted - a.remaining;
    const detail = `${b.remaining} left before, ${granted} redemptions granted, ${a.remaining} left after`;
    if (over > 0) return { violated: true, amount: over, unit: 'coupons over the limit', detail };
    return { violated: unrecorded !== 0, amount: Math.abs(unrecorded), unit: 'redemptions unrecorded', detail };
  },
  attack: {
    name: 'coupon',
    description: 'the coupon: never more redemptions granted than were left, and every one recorded',
    calls: [`${SERVICE}/Redeem`],
    // A fresh user per call and round: only the code's limit stands between the burst and the overrun.
    callData: { [`${SERVICE}/Redeem`]: { code: ROUND_CODE, user: 'user-{{round}}-{{index}}' } },
    // A code of its own per round and run, issued good for 5 before the round's reads: a code an earlier round
    // (or attack) used up would refuse every call, and that round would test nothing.
    setup: { method: `${SERVICE}/Issue`, data: { code: ROUND_CODE, limit: SERVED_COUPON_LIMITS.SPRING } },
    before: `${SERVICE}/Status`,
    after: `${SERVICE}/Status`,
    checkData: { code: ROUND_CODE },
    invariant: 'ok <= before.remaining && after.remaining == before.remaining - ok',
    model: 'coupon',
    historyOp(method, request, response) {
      if (method === 'Redeem') return { f: 'redeem', invokeValue: request ?? null, okValue: (response as { remaining?: unknown } | undefined)?.remaining ?? null };
      if (method === 'Status') return { f: 'status', invokeValue: request ?? null, okValue: (response as { remaining?: unknown } | undefined)?.remaining ?? null };
      return undefined;
    },
    initialFrom: (response, request) => {
      const code = (request as { code?: unknown } | undefined)?.code;
      return typeof code === 'string' ? wholeOf((response as { remaining?: unknown } | undefined)?.remaining, (n) => ({ remaining: { [code]: n } })) : undefined;
    },
  },
};
