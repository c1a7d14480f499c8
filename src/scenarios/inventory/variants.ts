import { RacelabError } from '../../core/errors.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { PostgresStore } from '../../store/postgres.js';
import type { RedisStore } from '../../store/redis.js';
import type { Store } from '../../store/store.js';
import { mutexPerKey, openKeysOnce, storeOf, type ScenarioVariant } from '../impacts/scenario.js';

/*
 * The inventory: units in stock per SKU, taken by reservations. One key per SKU in business words,
 * `stock(widget)`, so an explorer trace reads `t1 get stock(widget)->3 . t2 get stock(widget)->3 . …`.
 */

export const stockKey = (sku: string): string => `stock(${sku})`;

export interface InventoryPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /** The work between the stock check and the write (pricing, a call to the payment service). */
  readonly delayMs: number;
  /** SKUs and their opening stock; default OPENING_STOCK. */
  readonly opening?: Readonly<Record<string, number>>;
}

export const OPENING_STOCK: Readonly<Record<string, number>> = { widget: 3 };

export type ReserveResult =
  | { readonly accepted: true; readonly stock: number }
  | { readonly accepted: false; readonly reason: 'out-of-stock' | 'unknown-sku' | 'bad-quantity'; readonly message: string };

export interface InventoryStats {
  refused: number;
  conflicts: number;
}

export interface InventoryService {
  reserve(sku: string, quantity: number): Promise<ReserveResult>;
  stock(sku: string): Promise<{ stock: number; opening: number } | undefined>;
  readonly stats: InventoryStats;
  close(): Promise<void>;
}

export type InventoryVariant = ScenarioVariant<InventoryPorts, InventoryService>;

const wait = (ports: InventoryPorts): Promise<void> => sleep(ports.delayMs, ports.scheduler ?? realScheduler);
const outOfStock = (sku: string, stock: number, quantity: number): ReserveResult => ({
  accepted: false,
  reason: 'out-of-stock',
  message: `not enough ${sku}: ${stock} in stock, ${quantity} asked`,
});

/** Validation and stats, shared; `take` is the variant's way of taking `quantity` units. */
function inventory(ports: InventoryPorts, take: (sku: string, quantity: number, stats: InventoryStats) => Promise<ReserveResult>): InventoryService {
  const opening = ports.opening ?? OPENING_STOCK;
  const stats: InventoryStats = { refused: 0, conflicts: 0 };
  return {
    async reserve(sku, quantity) {
      if (!(sku in opening)) return { accepted: false, reason: 'unknown-sku', message: `no SKU "${sku}"; SKUs: ${Object.keys(opening).join(', ')}` };
      if (!Number.isInteger(quantity) || quantity < 1) return { accepted: false, reason: 'bad-quantity', message: `quantity ${quantity} must be a whole number of 1 or more` };
      const r = await take(sku, quantity, stats);
      if (!r.accepted) stats.refused++;
      return r;
    },
    async stock(sku) {
      const o = opening[sku];
      if (o === undefined) return undefined;
      return { stock: await ports.store.get(stockKey(sku)), opening: o };
    },
    stats,
    close: async () => undefined,
  };
}

/** Check the stock, do the work, write stock - quantity: overlapping reservations all pass one check (oversell). */
async function checkThenDecrement(ports: InventoryPorts, sku: string, quantity: number): Promise<ReserveResult> {
  const stock = await ports.store.get(stockKey(sku));
  if (stock < quantity) return outOfStock(sku, stock, quantity);
  await wait(ports);
  await ports.store.set(stockKey(sku), stock - quantity);
  return { accepted: true, stock: stock - quantity };
}

/** Does the work, then takes the units in one store operation that refuses to go below zero. */
async function workThenTake(ports: InventoryPorts, sku: string, quantity: number, take: () => Promise<number | undefined>): Promise<ReserveResult> {
  await wait(ports);
  const left = await take();
  if (left === undefined) return outOfStock(sku, await ports.store.get(stockKey(sku)), quantity);
  return { accepted: true, stock: left };
}

const MAX_ATTEMPTS = 10_000;

export const inventoryVariants: readonly InventoryVariant[] = [
  {
    name: 'vulnerable',
    summary: 'reads the stock, checks it covers the quantity, does the work, writes stock - quantity: overlapping reservations pass one check (oversell)',
    safe: false,
    make: (ports) => inventory(ports, (sku, quantity) => checkThenDecrement(ports, sku, quantity)),
  },
  {
    name: 'mutex',
    summary: 'an in-process mutex per SKU around the check and the write: exact in one process, not across replicas',
    safe: true,
    make: (ports) => {
      const lock = mutexPerKey((sku) => `sku(${sku})`, ports.scheduler);
      return inventory(ports, (sku, quantity) => lock(sku).runExclusive(() => checkThenDecrement(ports, sku, quantity)));
    },
  },
  {
    name: 'cas',
    summary: 'reads stock and version, checks, does the work, writes only if the version is unchanged, else reads again',
    safe: true,
    make: (ports) =>
      inventory(ports, async (sku, quantity, stats) => {
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const { value, version } = await ports.store.read(stockKey(sku));
          if (value < quantity) return outOfStock(sku, value, quantity);
          await wait(ports);
          if (await ports.store.compareAndSet(stockKey(sku), version, value - quantity)) return { accepted: true, stock: value - quantity };
          stats.conflicts++;
        }
        throw new RacelabError('TIMEOUT', `inventory cas lost ${MAX_ATTEMPTS} compare-and-set rounds in a row`);
      }),
  },
  {
    name: 'txn',
    summary: 'the check, the work and the write in one serializable store transaction',
    safe: true,
    make: (ports) =>
      inventory(ports, (sku, quantity) =>
        ports.store.transaction(async (tx) => {
          const stock = await tx.get(stockKey(sku));
          if (stock < quantity) return outOfStock(sku, stock, quantity);
          await wait(ports);
          await tx.set(stockKey(sku), stock - quantity);
          return { accepted: true, stock: stock - quantity } as ReserveResult;
        }),
      ),
  },
  {
    name: 'pg-conditional',
    summary: 'does the work, then UPDATE … SET value = value - $1 WHERE value - $1 >= 0: PostgreSQL checks and takes under the row lock',
    safe: true,
    requires: 'postgres',
    make: (ports) => {
      const pg = storeOf<PostgresStore>('pg-conditional', 'postgres', ports.store);
      return inventory(ports, (sku, quantity) => workThenTake(ports, sku, quantity, () => pg.addIfAtLeast(stockKey(sku), -quantity, 0)));
    },
  },
  {
    name: 'redis-lua',
    summary: 'does the work, then a Lua script takes the units only if the stock covers them: Redis runs it before any other command',
    safe: true,
    requires: 'redis',
    make: (ports) => {
      const redis = storeOf<RedisStore>('redis-lua', 'redis', ports.store);
      return inventory(ports, (sku, quantity) => workThenTake(ports, sku, quantity, () => redis.luaAddIfAtLeast(stockKey(sku), -quantity, 0)));
    },
  },
];

/** Stocks the SKUs in a shared store, each only if it was never written (safe for replicas and restarts). */
export function openInventory(store: Store, opening: Readonly<Record<string, number>> = OPENING_STOCK): Promise<void> {
  return openKeysOnce(store, Object.fromEntries(Object.entries(opening).map(([sku, n]) => [stockKey(sku), n])));
}
