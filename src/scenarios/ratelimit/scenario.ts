import { status } from '../../grpc/status.js';
import { grpcError, scenarioVariant, type HostPorts, type HostedService, type ImpactScenario } from '../impacts/scenario.js';
import { rateLimitVariants } from './variants.js';
import { rateLimitWorkload } from './workload.js';

/** Served: 5 calls per user per hour, so a burst and its reads fall in one window (unless it straddles the hour). */
export const SERVED_LIMIT = 5;
export const SERVED_WINDOW_MS = 3_600_000;

const SERVICE = 'racelab.ratelimit.v1.RateLimiter';

export const rateLimitScenario: ImpactScenario = {
  name: 'ratelimit',
  title: 'ratelimit: a synchronized burst passes more calls than the limit allows',
  invariant: `no user gets more than the limit of calls accepted in one window, and every accepted call is counted`,
  protoFile: 'ratelimit.proto',
  service: SERVICE,
  variants: rateLimitVariants,
  model: 'ratelimit',
  open: async () => undefined,
  host(variantName: string, ports: HostPorts): HostedService {
    const svc = scenarioVariant('ratelimit', rateLimitVariants, variantName).make({ ...ports, limit: SERVED_LIMIT, windowMs: SERVED_WINDOW_MS });
    return {
      handlers: {
        Call: async (req: { user: string }) => {
          const r = await svc.call(req.user);
          if (!r.accepted) throw grpcError(status.RESOURCE_EXHAUSTED, r.message);
          return { used: r.used };
        },
        Usage: async (req: { user: string }) => ({ used: await svc.usage(req.user), limit: SERVED_LIMIT, window_ms: SERVED_WINDOW_MS }),
      },
      stats: svc.stats,
      close: () => svc.close(),
    };
  },
  workload: (o) => rateLimitWorkload(o),
  impact(before, after, accepted) {
    const b = before as { used: number; limit: number };
    const a = after as { used: number };
    const granted = accepted.Call ?? 0;
    const over = Math.max(0, granted - (b.limit - b.used));
    const detail = `${b.used} of ${b.limit} used before, ${granted} calls accepted, ${a.used} counted after`;
    if (over > 0) return { violated: true, amount: over, unit: 'calls over the rate', detail };
    const uncounted = b.used + granted - a.used;
    return { violated: uncounted !== 0, amount: Math.abs(uncounted), unit: 'calls uncounted', detail };
  },
  attack: {
    name: 'ratelimit',
    description: 'the rate limit: no more calls accepted than the window has room for, and every one counted',
    calls: [`${SERVICE}/Call`],
    // A user of its own per round and per run ({{run}}): a window another burst already used up refuses every
    // call, and a burst that cannot pass anything cannot show a race (it would read as "no race").
    callData: { [`${SERVICE}/Call`]: { user: 'mallory-{{run}}-{{round}}' } },
    before: `${SERVICE}/Usage`,
    after: `${SERVICE}/Usage`,
    checkData: { user: 'mallory-{{run}}-{{round}}' },
    invariant: 'ok <= before.limit - before.used && after.used == before.used + ok',
    // Over the limit, Call answers ResourceExhausted and counts nothing.
    refusals: [status.RESOURCE_EXHAUSTED],
    model: 'ratelimit',
    historyOp(method, request, response) {
      const r = response as { used?: unknown; limit?: unknown } | undefined;
      if (method === 'Call') return { f: 'call', invokeValue: request ?? null, okValue: r?.used ?? null };
      if (method === 'Usage') return { f: 'usage', invokeValue: request ?? null, okValue: r ? { used: r.used ?? 0, limit: r.limit ?? null } : null };
      return undefined;
    },
  },
};
