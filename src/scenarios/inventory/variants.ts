import { RacelabError } from '../../core/errors.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { PostgresStore } from '../../store/postgres.js';
import type { RedisStore } from '../../store/redis.js';
import type { Store } from '../../store/store.js';
import { mutexPerKey, openKeysOnce, openOnce, storeOf, type ScenarioVariant } from '../impacts/scenario.js';

/*
 * The inventory: units in stock per SKU, taken by reservations. Keys in business words, `stock(widget)` (so an
 * explorer trace reads `t1 get stock(widget)->3 . t2 get stock(widget)->3 . …`) and `opening(widget)` (the stock
 * it opened with; a SKU exists once written). The opening lives in the store, not in the process, so replicas
 * sharing a store agree on which SKUs exist, including those added while they run.
 */

export const stockKey = (sku: string): string => `stock(${sku})`;
export const openingKey = (sku: string): string => `opening(${sku})`;

export interface InventoryPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /** The work between the stock check and the write (pricing, a call to the payment service). */
  readonly delayMs: number;
}

export const OPENING_STOCK: Readonly<Record<string, number>> = { widget: 3 };

export type AddSkuResult =
  | { readonly added: true; readonly stock: number; readonly opening: number }
  | { readonly added: false; readonly reason: 'exists' | 'bad-stock'; readonly message: string };

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
  /** Opens a new SKU with `stock` units; an existing SKU is refused. */
  addSku(sku: string, stock: number): Promise<AddSkuResult>;
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
  const { store } = ports;
  const stats: InventoryStats = { refused: 0, conflicts: 0 };
  return {
    async reserve(sku, quantity) {
      // Whether the SKU was added: its opening, written once by addSku and never again, so no variant races on it.
      if ((await store.read(openingKey(sku))).version === 0) return { accepted: false, reason: 'unknown-sku', message: `no SKU "${sku}"; add it first (AddSku)` };
      if (!Number.isInteger(quantity) || quantity < 1) return { accepted: false, reason: 'bad-quantity', message: `quantity ${quantity} must be a whole number of 1 or more` };
      const r = await take(sku, quantity, stats);
      if (!r.accepted) stats.refused++;
      return r;
    },
    async stock(sku) {
      const opening = await store.read(openingKey(sku));
      if (opening.version === 0) return undefined;
      return { stock: await store.get(stockKey(sku)), opening: opening.value };
    },
    addSku: (sku, stock) => addSku(store, sku, stock),
    stats,
    close: async () => undefined,
  };
}

/**
 * Opens a SKU, in every variant the same way (openOnce): `opening(sku)`, then its stock. A reservation that came
 * between the two writes would find no stock and be refused, never oversold.
 */
async function addSku(store: Store, sku: string, stock: number): Promise<AddSkuResult> {
  if (!Number.isInteger(stock) || stock < 0) return { added: false, reason: 'bad-stock', message: `stock ${stock} must be a whole number of 0 or more` };
  if (!(await openOnce(store, openingKey(sku), stockKey(sku), stock))) return { added: false, reason: 'exists', message: `SKU "${sku}" was already added; add a SKU of another name` };
  return { added: true, stock, opening: stock };
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

/** The keys a SKU opens with: its opening and its stock (the explorer's initial store, and openInventory). */
export function inventoryOpening(opening: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(opening).flatMap(([sku, n]) => [[openingKey(sku), n], [stockKey(sku), n]]));
}

/** Stocks the SKUs in a shared store, each only if it was never written (safe for replicas and restarts). */
export function openInventory(store: Store, opening: Readonly<Record<string, number>> = OPENING_STOCK): Promise<void> {
  return openKeysOnce(store, inventoryOpening(opening));
}
