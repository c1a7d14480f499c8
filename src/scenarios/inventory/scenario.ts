import { status } from '../../grpc/status.js';
import { grpcError, scenarioVariant, type HostPorts, type HostedService, type ImpactScenario, wholeOf } from '../impacts/scenario.js';
import { inventoryVariants, openInventory, type AddSkuResult, type ReserveResult } from './variants.js';
import { inventoryWorkload } from './workload.js';

/** A served SKU: 5 widgets in stock. AddSku opens more. */
export const SERVED_OPENING_STOCK: Readonly<Record<string, number>> = { widget: 5 };
/** The SKU each round of the built-in attack adds and reserves: new in every round and every run. */
const ROUND_SKU = 'widget-{{run}}-{{round}}';

const SERVICE = 'racelab.inventory.v1.Inventory';
/** The quantity of each default Reserve of the attack and the demo. */
const RESERVE_QUANTITY = 1;

const STATUS_OF: Record<Exclude<ReserveResult, { accepted: true }>['reason'], number> = {
  'out-of-stock': status.FAILED_PRECONDITION,
  'unknown-sku': status.NOT_FOUND,
  'bad-quantity': status.INVALID_ARGUMENT,
};
const ADD_STATUS_OF: Record<Exclude<AddSkuResult, { added: true }>['reason'], number> = {
  exists: status.ALREADY_EXISTS,
  'bad-stock': status.INVALID_ARGUMENT,
};

export const inventoryScenario: ImpactScenario = {
  name: 'inventory',
  title: 'inventory: reservations racing on one stock count (oversell)',
  invariant: 'never more units reserved than were in stock, and what is left is the stock less what was reserved',
  protoFile: 'inventory.proto',
  service: SERVICE,
  variants: inventoryVariants,
  model: 'inventory',
  open: (store) => openInventory(store, SERVED_OPENING_STOCK),
  host(variantName: string, ports: HostPorts): HostedService {
    const svc = scenarioVariant('inventory', inventoryVariants, variantName).make(ports);
    return {
      handlers: {
        Reserve: async (req: { sku: string; quantity: number }) => {
          const r = await svc.reserve(req.sku, req.quantity);
          if (!r.accepted) throw grpcError(STATUS_OF[r.reason], r.message);
          return { stock: r.stock };
        },
        Stock: async (req: { sku: string }) => {
          const s = await svc.stock(req.sku);
          if (!s) throw grpcError(status.NOT_FOUND, `no SKU "${req.sku}"; add it first (AddSku)`);
          return s;
        },
        AddSku: async (req: { sku: string; stock: number }) => {
          const r = await svc.addSku(req.sku, req.stock);
          if (!r.added) throw grpcError(ADD_STATUS_OF[r.reason], r.message);
          return { stock: r.stock, opening: r.opening };
        },
      },
      stats: svc.stats,
      close: () => svc.close(),
    };
  },
  workload: (o) => inventoryWorkload(o),
  impact(before, after, accepted) {
    const b = before as { stock: number };
    const a = after as { stock: number };
    const units = (accepted.Reserve ?? 0) * RESERVE_QUANTITY;
    const over = Math.max(0, units - b.stock);
    const unrecorded = b.stock - units - a.stock;
    const detail = `${b.stock} in stock before, ${units} units reserved by ${accepted.Reserve ?? 0} accepted Reserve, ${a.stock} in stock after`;
    if (over > 0) return { violated: true, amount: over, unit: 'units oversold', detail };
    return { violated: unrecorded !== 0, amount: Math.abs(unrecorded), unit: 'units unrecorded', detail };
  },
  attack: {
    name: 'inventory',
    description: 'the inventory: never more units reserved than were in stock, and every reservation taken off the stock',
    calls: [`${SERVICE}/Reserve`],
    callData: { [`${SERVICE}/Reserve`]: { sku: ROUND_SKU, quantity: RESERVE_QUANTITY } },
    // A SKU of its own per round and run, added with 5 in stock before the round's reads: stock an earlier round
    // (or attack) sold would refuse every call, and that round would test nothing.
    setup: { method: `${SERVICE}/AddSku`, data: { sku: ROUND_SKU, stock: SERVED_OPENING_STOCK.widget } },
    before: `${SERVICE}/Stock`,
    after: `${SERVICE}/Stock`,
    checkData: { sku: ROUND_SKU },
    invariant: 'ok <= before.stock && after.stock == before.stock - ok',
    model: 'inventory',
    historyOp(method, request, response) {
      const stock = (response as { stock?: unknown } | undefined)?.stock ?? null;
      if (method === 'Reserve') return { f: 'reserve', invokeValue: request ?? null, okValue: stock };
      if (method === 'Stock') return { f: 'stock', invokeValue: request ?? null, okValue: stock };
      return undefined;
    },
    initialFrom: (response, request) => {
      const sku = (request as { sku?: unknown } | undefined)?.sku;
      return typeof sku === 'string' ? wholeOf((response as { stock?: unknown } | undefined)?.stock, (n) => ({ stock: { [sku]: n } })) : undefined;
    },
  },
};
