import { RacelabError } from '../../core/errors.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { PostgresStore } from '../../store/postgres.js';
import type { RedisStore } from '../../store/redis.js';
import type { Store } from '../../store/store.js';
import { mutexPerKey, openKeysOnce, openOnce, storeOf, type ScenarioVariant } from '../impacts/scenario.js';

/*
 * The coupon: a code good for a limited number of redemptions, each user at most once. Keys in business words:
 * `remaining(SPRING)` (redemptions left), `limit(SPRING)` (what it was issued with; a code exists once written)
 * and `used(SPRING,mallory)` (1 once mallory redeemed it). The limit lives in the store, not in the process, so
 * replicas sharing a store agree on which codes exist, including those issued while they run.
 */

export const remainingKey = (code: string): string => `remaining(${code})`;
export const limitKey = (code: string): string => `limit(${code})`;
export const usedKey = (code: string, user: string): string => `used(${code},${user})`;

export interface CouponPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /** The work between the checks and the writes (pricing the basket, a call to the payment service). */
  readonly delayMs: number;
}

export const COUPON_LIMITS: Readonly<Record<string, number>> = { SPRING: 2 };

export type IssueResult =
  | { readonly issued: true; readonly remaining: number; readonly limit: number }
  | { readonly issued: false; readonly reason: 'exists' | 'bad-limit'; readonly message: string };

export type RedeemResult =
  | { readonly accepted: true; readonly remaining: number }
  | { readonly accepted: false; readonly reason: 'already-used' | 'sold-out' | 'unknown-code'; readonly message: string };

export interface CouponStats {
  refused: number;
  conflicts: number;
}

export interface CouponService {
  redeem(code: string, user: string): Promise<RedeemResult>;
  status(code: string): Promise<{ remaining: number; limit: number } | undefined>;
  /** Opens a new code good for `limit` redemptions; an existing code is refused. */
  issue(code: string, limit: number): Promise<IssueResult>;
  readonly stats: CouponStats;
  close(): Promise<void>;
}

export type CouponVariant = ScenarioVariant<CouponPorts, CouponService>;

const wait = (ports: CouponPorts): Promise<void> => sleep(ports.delayMs, ports.scheduler ?? realScheduler);
const used = (code: string, user: string): RedeemResult => ({ accepted: false, reason: 'already-used', message: `${user} has already redeemed ${code}` });
const soldOut = (code: string): RedeemResult => ({ accepted: false, reason: 'sold-out', message: `${code} has no redemptions left` });

function coupons(ports: CouponPorts, redeem: (code: string, user: string, stats: CouponStats) => Promise<RedeemResult>): CouponService {
  const { store } = ports;
  const stats: CouponStats = { refused: 0, conflicts: 0 };
  return {
    async redeem(code, user) {
      // Whether the code was issued: its limit, written once by issue and never again, so no variant races on it.
      if ((await store.read(limitKey(code))).version === 0) return { accepted: false, reason: 'unknown-code', message: `no coupon "${code}"; issue it first (Issue)` };
      const r = await redeem(code, user, stats);
      if (!r.accepted) stats.refused++;
      return r;
    },
    async status(code) {
      const limit = await store.read(limitKey(code));
      if (limit.version === 0) return undefined;
      return { remaining: await store.get(remainingKey(code)), limit: limit.value };
    },
    issue: (code, limit) => issueCoupon(store, code, limit),
    stats,
    close: async () => undefined,
  };
}

/**
 * Opens a code, in every variant the same way (openOnce): `limit(code)`, then what is left. A redemption that came
 * between the two writes would find nothing left and be refused (sold out), never granted too many.
 */
async function issueCoupon(store: Store, code: string, limit: number): Promise<IssueResult> {
  if (!Number.isInteger(limit) || limit < 1) return { issued: false, reason: 'bad-limit', message: `limit ${limit} must be a whole number of 1 or more` };
  if (!(await openOnce(store, limitKey(code), remainingKey(code), limit))) return { issued: false, reason: 'exists', message: `coupon "${code}" was already issued; issue a code of another name` };
  return { issued: true, remaining: limit, limit };
}

/** Two checks, then the work, then two writes: every overlapping call passes both checks. */
async function checkThenRedeem(ports: CouponPorts, code: string, user: string): Promise<RedeemResult> {
  const { store } = ports;
  if ((await store.get(usedKey(code, user))) !== 0) return used(code, user);
  const left = await store.get(remainingKey(code));
  if (left <= 0) return soldOut(code);
  await wait(ports);
  await store.set(usedKey(code, user), 1);
  await store.set(remainingKey(code), left - 1);
  return { accepted: true, remaining: left - 1 };
}

/**
 * The unique constraint: claim (code, user) with an insert that only the first can make (compare-and-set from
 * "never written"), then take one redemption with `take`; if none is left, give the claim back.
 */
async function claimThenTake(ports: CouponPorts, code: string, user: string, take: () => Promise<number | undefined>): Promise<RedeemResult> {
  const { store } = ports;
  await wait(ports);
  const claim = await store.read(usedKey(code, user));
  if (claim.value !== 0 || !(await store.compareAndSet(usedKey(code, user), claim.version, 1))) return used(code, user);
  const left = await take();
  if (left === undefined) {
    await store.set(usedKey(code, user), 0);
    return soldOut(code);
  }
  return { accepted: true, remaining: left };
}

const MAX_ATTEMPTS = 10_000;

export const couponVariants: readonly CouponVariant[] = [
  {
    name: 'vulnerable',
    summary: 'checks the user has not redeemed and that some are left, does the work, then writes both: overlapping calls all pass the checks (limit overrun)',
    safe: false,
    make: (ports) => coupons(ports, (code, user) => checkThenRedeem(ports, code, user)),
  },
  {
    name: 'mutex',
    summary: 'an in-process mutex per code around the checks and the writes: exact in one process, not across replicas',
    safe: true,
    make: (ports) => {
      const lock = mutexPerKey((code) => `coupon(${code})`, ports.scheduler);
      return coupons(ports, (code, user) => lock(code).runExclusive(() => checkThenRedeem(ports, code, user)));
    },
  },
  {
    name: 'unique-cas',
    summary: 'a unique claim per (code, user) made by compare-and-set from never-written, then an optimistic take of one redemption (retried on conflict)',
    safe: true,
    make: (ports) =>
      coupons(ports, (code, user, stats) =>
        claimThenTake(ports, code, user, async () => {
          for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            const { value, version } = await ports.store.read(remainingKey(code));
            if (value <= 0) return undefined;
            if (await ports.store.compareAndSet(remainingKey(code), version, value - 1)) return value - 1;
            stats.conflicts++;
          }
          throw new RacelabError('TIMEOUT', `coupon unique-cas lost ${MAX_ATTEMPTS} compare-and-set rounds in a row`);
        }),
      ),
  },
  {
    name: 'txn',
    summary: 'both checks and both writes in one serializable store transaction',
    safe: true,
    make: (ports) =>
      coupons(ports, (code, user) =>
        ports.store.transaction(async (tx) => {
          if ((await tx.get(usedKey(code, user))) !== 0) return used(code, user);
          const left = await tx.get(remainingKey(code));
          if (left <= 0) return soldOut(code);
          await wait(ports);
          await tx.set(usedKey(code, user), 1);
          await tx.set(remainingKey(code), left - 1);
          return { accepted: true, remaining: left - 1 } as RedeemResult;
        }),
      ),
  },
  {
    name: 'pg-unique-atomic',
    summary: 'the claim as an insert a second cannot make (the unique key), then UPDATE … SET remaining = remaining - 1 WHERE remaining - 1 >= 0',
    safe: true,
    requires: 'postgres',
    make: (ports) => {
      const pg = storeOf<PostgresStore>('pg-unique-atomic', 'postgres', ports.store);
      return coupons(ports, (code, user) => claimThenTake(ports, code, user, () => pg.addIfAtLeast(remainingKey(code), -1, 0)));
    },
  },
  {
    name: 'redis-lua',
    summary: 'the claim by compare-and-set, then a Lua script that takes one redemption only if one is left',
    safe: true,
    requires: 'redis',
    make: (ports) => {
      const redis = storeOf<RedisStore>('redis-lua', 'redis', ports.store);
      return coupons(ports, (code, user) => claimThenTake(ports, code, user, () => redis.luaAddIfAtLeast(remainingKey(code), -1, 0)));
    },
  },
];

/** The keys a code opens with: its limit and what is left (the explorer's initial store, and openCoupons). */
export function couponOpening(limits: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(limits).flatMap(([code, limit]) => [[limitKey(code), limit], [remainingKey(code), limit]]));
}

/** Issues the codes in a shared store, each only if it was never written (safe for replicas and restarts). */
export function openCoupons(store: Store, limits: Readonly<Record<string, number>> = COUPON_LIMITS): Promise<void> {
  return openKeysOnce(store, couponOpening(limits));
}
