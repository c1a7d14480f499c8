import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { PostgresStore } from '../../store/postgres.js';
import type { RedisStore } from '../../store/redis.js';
import type { Store } from '../../store/store.js';
import { mutexPerKey, storeOf, type ScenarioVariant } from '../impacts/scenario.js';

/*
 * The checkout: an order paid with an idempotency key, so a client's retry of the same checkout is answered with
 * the first charge instead of making a second. Keys in business words, `idempotency(chk-1)` (1 once the key was
 * used) and `charges(order-1)` (times the order was charged), so an explorer trace reads
 * `t1 get idempotency(chk-1)->0 . t2 get idempotency(chk-1)->0 . t1 incr charges(order-1) . …`.
 */

export const idempotencyKey = (key: string): string => `idempotency(${key})`;
export const chargesKey = (order: string): string => `charges(${order})`;

/** What every order costs, in money units: a double charge takes it twice. */
export const ORDER_PRICE = 30;

export interface CheckoutPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /** The work between the key check and the charge (pricing the basket, a fraud check). */
  readonly delayMs: number;
}

export type CheckoutResult =
  | { readonly accepted: true; readonly charges: number; readonly replayed: boolean }
  | { readonly accepted: false; readonly reason: 'bad-request'; readonly message: string };

export interface CheckoutStats {
  replayed: number;
  refused: number;
}

export interface CheckoutService {
  checkout(order: string, key: string): Promise<CheckoutResult>;
  charges(order: string): Promise<{ charges: number; charged: number; price: number }>;
  readonly stats: CheckoutStats;
  close(): Promise<void>;
}

export type CheckoutVariant = ScenarioVariant<CheckoutPorts, CheckoutService>;

const wait = (ports: CheckoutPorts): Promise<void> => sleep(ports.delayMs, ports.scheduler ?? realScheduler);

/** Validation and stats, shared; `pay` is the variant's way of charging the order once per key. */
function checkouts(ports: CheckoutPorts, pay: (order: string, key: string) => Promise<{ charges: number; replayed: boolean }>): CheckoutService {
  const stats: CheckoutStats = { replayed: 0, refused: 0 };
  return {
    async checkout(order, key) {
      if (!order || !key) {
        stats.refused++;
        return { accepted: false, reason: 'bad-request', message: `checkout needs an order and an idempotency key; got order "${order}", key "${key}"` };
      }
      const r = await pay(order, key);
      if (r.replayed) stats.replayed++;
      return { accepted: true, ...r };
    },
    async charges(order) {
      const charges = await ports.store.get(chargesKey(order));
      return { charges, charged: charges * ORDER_PRICE, price: ORDER_PRICE };
    },
    stats,
    close: async () => undefined,
  };
}

/**
 * As idempotency keys are often written: has this key been seen? If not, do the work, charge, and record the
 * key. Two calls with one key both find it unseen before either records it: charged twice.
 */
async function checkThenCharge(ports: CheckoutPorts, order: string, key: string): Promise<{ charges: number; replayed: boolean }> {
  const { store } = ports;
  if ((await store.get(idempotencyKey(key))) !== 0) return { charges: await store.get(chargesKey(order)), replayed: true };
  await wait(ports);
  const charges = await store.increment(chargesKey(order));
  await store.set(idempotencyKey(key), 1);
  return { charges, replayed: false };
}

export const checkoutVariants: readonly CheckoutVariant[] = [
  {
    name: 'vulnerable',
    summary: 'checks whether the idempotency key was seen, does the work, charges, then records the key: two calls with one key both charge (double charge)',
    safe: false,
    make: (ports) => checkouts(ports, (order, key) => checkThenCharge(ports, order, key)),
  },
  {
    name: 'mutex',
    summary: 'an in-process mutex per idempotency key around the check, the charge and the record: exact in one process, not across replicas',
    safe: true,
    make: (ports) => {
      const lock = mutexPerKey((key) => `key(${key})`, ports.scheduler);
      return checkouts(ports, (order, key) => lock(key).runExclusive(() => checkThenCharge(ports, order, key)));
    },
  },
  {
    name: 'txn',
    summary: 'the key check, the charge and the key record in one serializable store transaction: the key is stored with the charge or not at all',
    safe: true,
    make: (ports) =>
      checkouts(ports, (order, key) =>
        ports.store.transaction(async (tx) => {
          if ((await tx.get(idempotencyKey(key))) !== 0) return { charges: await tx.get(chargesKey(order)), replayed: true };
          await wait(ports);
          const charges = (await tx.get(chargesKey(order))) + 1;
          await tx.set(chargesKey(order), charges);
          await tx.set(idempotencyKey(key), 1);
          return { charges, replayed: false };
        }),
      ),
  },
  {
    name: 'pg-unique',
    summary: 'one PostgreSQL transaction inserts the key (the primary key makes a second insert wait, then find it) and charges; a replay charges nothing',
    safe: true,
    requires: 'postgres',
    make: (ports) => {
      const pg = storeOf<PostgresStore>('pg-unique', 'postgres', ports.store);
      return checkouts(ports, (order, key) =>
        pg.transaction(
          async (tx) => {
            if (!(await tx.insertIfAbsent(idempotencyKey(key), 1))) return { charges: await tx.get(chargesKey(order)), replayed: true };
            await wait(ports);
            return { charges: await tx.increment(chargesKey(order)), replayed: false };
          },
          // READ COMMITTED is enough: the unique key, not the isolation level, stops the second charge.
          { isolation: 'read committed' },
        ),
      );
    },
  },
  {
    name: 'redis-lua',
    summary: 'does the work, then one Lua script sets the key with SET NX and charges only if it was unset: Redis runs it before any other command',
    safe: true,
    requires: 'redis',
    make: (ports) => {
      const redis = storeOf<RedisStore>('redis-lua', 'redis', ports.store);
      return checkouts(ports, async (order, key) => {
        await wait(ports);
        const r = await redis.luaAddOnce(idempotencyKey(key), chargesKey(order), 1);
        return { charges: r.value, replayed: !r.added };
      });
    },
  },
];
