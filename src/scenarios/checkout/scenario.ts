import { status } from '../../grpc/status.js';
import { plural } from '../../core/units.js';
import { grpcError, scenarioVariant, type HostPorts, type HostedService, type ImpactScenario, wholeOf } from '../impacts/scenario.js';
import { ORDER_PRICE, checkoutVariants } from './variants.js';
import { checkoutWorkload } from './workload.js';

const SERVICE = 'racelab.checkout.v1.Orders';
/**
 * The attack's and the demo's calls: one order's checkout sent many times with one idempotency key (retries).
 * The key is new in every burst (`{{run}}` is drawn once per run, `{{round}}` counts its bursts): a key already
 * used is answered as a replay, so a burst on a used key could never race, and a second round or a second attack
 * on the same server would find nothing. The order stays order-1, so the before and after reads name it; each
 * burst may add one charge to it.
 */
const ORDER = 'order-1';
const KEY = 'chk-{{run}}-{{round}}';

export const checkoutScenario: ImpactScenario = {
  name: 'checkout',
  title: 'checkout: retries of one order with one idempotency key (double charge)',
  invariant: 'each order is charged once, however many times its checkout is sent with the same idempotency key',
  protoFile: 'checkout.proto',
  service: SERVICE,
  variants: checkoutVariants,
  model: 'checkout',
  // Orders are charged on first checkout: nothing to open.
  open: async () => undefined,
  host(variantName: string, ports: HostPorts): HostedService {
    const svc = scenarioVariant('checkout', checkoutVariants, variantName).make(ports);
    return {
      handlers: {
        Checkout: async (req: { order: string; idempotency_key: string }) => {
          const r = await svc.checkout(req.order, req.idempotency_key);
          if (!r.accepted) throw grpcError(status.INVALID_ARGUMENT, r.message);
          return { charges: r.charges, replayed: r.replayed };
        },
        Charges: (req: { order: string }) => svc.charges(req.order),
      },
      stats: svc.stats,
      close: () => svc.close(),
    };
  },
  workload: (o) => checkoutWorkload(o),
  impact(before, after, accepted) {
    const b = before as { charges: number };
    const a = after as { charges: number };
    const made = a.charges - b.charges;
    const twice = Math.max(0, made - 1);
    const detail = `${ORDER} had ${plural(b.charges, 'charge')} before, ${accepted.Checkout ?? 0} Checkout calls with one new idempotency key were answered, ${ORDER} had ${plural(a.charges, 'charge')} after (${ORDER_PRICE} each)`;
    return { violated: twice > 0, amount: twice * ORDER_PRICE, unit: 'money charged twice', detail };
  },
  attack: {
    name: 'checkout',
    description: 'the checkout: one order sent many times with one idempotency key (new in every burst) is charged at most once',
    calls: [`${SERVICE}/Checkout`],
    callData: { [`${SERVICE}/Checkout`]: { order: ORDER, idempotency_key: KEY } },
    before: `${SERVICE}/Charges`,
    after: `${SERVICE}/Charges`,
    checkData: { order: ORDER },
    invariant: 'after.charges - before.charges <= 1',
    model: 'checkout',
    historyOp(method, request, response) {
      const r = response as { charges?: unknown; replayed?: unknown } | undefined;
      if (method === 'Checkout') return { f: 'checkout', invokeValue: request ?? null, okValue: r ? { charges: r.charges ?? 0, replayed: r.replayed ?? false } : null };
      if (method === 'Charges') return { f: 'charges', invokeValue: request ?? null, okValue: r?.charges ?? null };
      return undefined;
    },
    initialFrom: (response, request) => {
      const order = (request as { order?: unknown } | undefined)?.order;
      return typeof order === 'string' ? wholeOf((response as { charges?: unknown } | undefined)?.charges, (n) => ({ charges: { [order]: n } })) : undefined;
    },
  },
};
