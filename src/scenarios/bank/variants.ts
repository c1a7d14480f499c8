import { ActorSystem, GenServer } from '../../actor/index.js';
import { RacelabError } from '../../core/errors.js';
import { Mutex } from '../../sched/mutex.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { PostgresStore } from '../../store/postgres.js';
import type { RedisStore } from '../../store/redis.js';
import type { Store } from '../../store/store.js';
import { actorPerKey, storeOf, type ScenarioVariant } from '../impacts/scenario.js';

/*
 * The bank: accounts with balances in the shared Store, under keys named in business words (`balance(alice)`),
 * so an explorer trace reads `t1 get balance(alice)->100 . t2 get balance(alice)->100 . t1 set balance(alice)=30`.
 * Every variant is written once against the ports and runs in explore (memory store, controlled scheduler),
 * in `racelab serve` and on replicas sharing PostgreSQL or Redis.
 */

/** The accounts every bank opens with, and their opening balances. */
export const OPENING_BALANCES: Readonly<Record<string, number>> = { alice: 100, bob: 100 };

export const balanceKey = (account: string): string => `balance(${account})`;

export interface BankPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /**
   * The work between checking the balance and writing it (a fraud check, a call to the ledger). In Node it
   * must be an await for anything to interleave, as real code awaiting a database or a downstream call does.
   */
  readonly delayMs: number;
  /** The bank's accounts; default OPENING_BALANCES' names. */
  readonly accounts?: readonly string[];
}

/** An expected business outcome, as data: a refused operation changes nothing. */
export type BankResult =
  | { readonly accepted: true; readonly balance: number }
  | { readonly accepted: false; readonly reason: 'insufficient-funds' | 'unknown-account' | 'bad-amount' | 'same-account'; readonly message: string };

export interface BankStats {
  /** Operations refused for want of funds. */
  refused: number;
  /** Optimistic attempts that found the balance changed and tried again. */
  conflicts: number;
}

export interface BankAudit {
  readonly total: number;
  readonly minimum: number;
  readonly accounts: number;
  readonly balances: Readonly<Record<string, number>>;
}

export interface BankService {
  transfer(from: string, to: string, amount: number): Promise<BankResult>;
  withdraw(account: string, amount: number): Promise<BankResult>;
  balance(account: string): Promise<number>;
  /** Every account's balance, their total and the lowest: the invariant's view. Not a snapshot: read it at rest. */
  audit(): Promise<BankAudit>;
  readonly stats: BankStats;
  /** Stops what the variant started (the actor variant's processes). */
  close(): Promise<void>;
}

export type BankVariant = ScenarioVariant<BankPorts, BankService>;

/** The two operations a variant implements; validation and the rest are shared. */
interface Moves {
  /** Debit `amount` from `from` (credit `to` when given), only if `from` keeps at least 0. */
  move(from: string, to: string | undefined, amount: number, stats: BankStats): Promise<BankResult>;
  close?(): Promise<void>;
}

const wait = (ports: BankPorts): Promise<void> => sleep(ports.delayMs, ports.scheduler ?? realScheduler);

const insufficient = (account: string, balance: number, amount: number): BankResult => ({
  accepted: false,
  reason: 'insufficient-funds',
  message: `insufficient funds: ${account} has ${balance}, ${amount} asked`,
});

function bank(ports: BankPorts, moves: Moves): BankService {
  const accounts = ports.accounts ?? Object.keys(OPENING_BALANCES);
  const stats: BankStats = { refused: 0, conflicts: 0 };
  const check = (from: string, to: string | undefined, amount: number): BankResult | undefined => {
    for (const a of to === undefined ? [from] : [from, to]) {
      if (!accounts.includes(a)) return { accepted: false, reason: 'unknown-account', message: `no account "${a}"; accounts: ${accounts.join(', ')}` };
    }
    if (!Number.isInteger(amount) || amount <= 0) return { accepted: false, reason: 'bad-amount', message: `amount ${amount} must be a whole number above 0` };
    if (from === to) return { accepted: false, reason: 'same-account', message: `a transfer from ${from} to itself moves nothing` };
    return undefined;
  };
  const run = async (from: string, to: string | undefined, amount: number): Promise<BankResult> => {
    const bad = check(from, to, amount);
    if (bad) return bad;
    const result = await moves.move(from, to, amount, stats);
    if (!result.accepted && result.reason === 'insufficient-funds') stats.refused++;
    return result;
  };
  return {
    transfer: (from, to, amount) => run(from, to, amount),
    withdraw: (account, amount) => run(account, undefined, amount),
    balance: (account) => ports.store.get(balanceKey(account)),
    async audit() {
      const balances: Record<string, number> = {};
      for (const a of accounts) balances[a] = await ports.store.get(balanceKey(a));
      const values = Object.values(balances);
      return { total: values.reduce((s, v) => s + v, 0), minimum: Math.min(...values), accounts: values.length, balances };
    },
    stats,
    close: async () => {
      await moves.close?.();
    },
  };
}

/**
 * The check-then-act as it is written every day: read the balance, check it, do the work, write balance -
 * amount, then credit the other account by reading and writing it. Two calls that overlap both pass the check
 * on the same balance: a double spend, and every debit but the last is lost.
 */
async function readCheckWrite(ports: BankPorts, from: string, to: string | undefined, amount: number): Promise<BankResult> {
  const { store } = ports;
  const balance = await store.get(balanceKey(from));
  if (balance < amount) return insufficient(from, balance, amount);
  await wait(ports);
  await store.set(balanceKey(from), balance - amount);
  if (to !== undefined) {
    const credit = await store.get(balanceKey(to));
    await store.set(balanceKey(to), credit + amount);
  }
  return { accepted: true, balance: balance - amount };
}

/** One in-process mutex per account, made on first use. */
function accountLocks(ports: BankPorts): (account: string) => Mutex {
  const locks = new Map<string, Mutex>();
  return (account) => {
    let m = locks.get(account);
    if (!m) locks.set(account, (m = new Mutex(`account(${account})`, ports.scheduler)));
    return m;
  };
}

async function withLocks<T>(locks: readonly Mutex[], fn: () => Promise<T>): Promise<T> {
  const releases: Array<() => void> = [];
  try {
    for (const l of locks) releases.push(await l.acquire());
    return await fn();
  } finally {
    for (const release of releases.reverse()) release();
  }
}

type AccountCall = { readonly debit: number } | { readonly credit: number };

/** The account actor: one message at a time, so its read-check-write cannot interleave with another of its own. */
function accountActor(ports: BankPorts, account: string) {
  return {
    init: () => ({}),
    async handleCall(request: AccountCall, _from: unknown, state: object) {
      if ('credit' in request) {
        const credit = await ports.store.get(balanceKey(account));
        await ports.store.set(balanceKey(account), credit + request.credit);
        return { reply: { accepted: true, balance: credit + request.credit } satisfies BankResult, state };
      }
      return { reply: await readCheckWrite(ports, account, undefined, request.debit), state };
    },
  };
}

const MAX_ATTEMPTS = 10_000;

/** The variants, in the order the demo and the help list them. */
export const bankVariants: readonly BankVariant[] = [
  {
    name: 'vulnerable',
    summary: 'reads the balance, checks it, does the work, writes balance - amount: two overlapping calls pass one check (double spend)',
    safe: false,
    make: (ports) => bank(ports, { move: (from, to, amount) => readCheckWrite(ports, from, to, amount) }),
  },
  {
    name: 'mutex-unordered',
    summary: 'a mutex per account, taken in the order the request names them (from, then to): opposite transfers deadlock, each holding the lock the other waits for',
    safe: false,
    make: (ports) => {
      const lock = accountLocks(ports);
      return bank(ports, {
        move: (from, to, amount) => withLocks(to === undefined ? [lock(from)] : [lock(from), lock(to)], () => readCheckWrite(ports, from, to, amount)),
      });
    },
  },
  {
    name: 'mutex-ordered',
    summary: 'a mutex per account, always taken in account-name order: no cycle of waits, so no deadlock; in-process only',
    safe: true,
    make: (ports) => {
      const lock = accountLocks(ports);
      return bank(ports, {
        move: (from, to, amount) => withLocks((to === undefined ? [from] : [from, to]).sort().map(lock), () => readCheckWrite(ports, from, to, amount)),
      });
    },
  },
  {
    name: 'actor',
    summary: 'one actor per account: the debit (check and write) is one message to the payer\'s actor, the credit a second message to the payee\'s; in-process only',
    safe: true,
    spawnsProcesses: true,
    make: (ports) => {
      const system = new ActorSystem(ports.scheduler ? { scheduler: ports.scheduler } : {});
      const scheduler = ports.scheduler ?? realScheduler;
      const actorOf = actorPerKey(scheduler, (account) => `account(${account})`, (account, name) =>
        GenServer.start(system, accountActor(ports, account), undefined, { name }),
      );
      return bank(ports, {
        async move(from, to, amount) {
          // The payer's actor replies before the payee's is asked: an actor that called another from inside its
          // handler would deadlock on opposite transfers exactly as unordered locks do.
          const debit = await (await actorOf(from)).call<BankResult>({ debit: amount });
          if (!debit.accepted || to === undefined) return debit;
          await (await actorOf(to)).call<BankResult>({ credit: amount });
          return debit;
        },
        close: () => system.shutdown(),
      });
    },
  },
  {
    name: 'cas',
    summary: 'reads balance and version, checks, does the work, writes only if the version is unchanged, else tries again; the credit is an atomic add',
    safe: true,
    make: (ports) =>
      bank(ports, {
        async move(from, to, amount, stats) {
          const { store } = ports;
          for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            const { value, version } = await store.read(balanceKey(from));
            if (value < amount) return insufficient(from, value, amount);
            await wait(ports);
            if (await store.compareAndSet(balanceKey(from), version, value - amount)) {
              if (to !== undefined) await store.increment(balanceKey(to), amount);
              return { accepted: true, balance: value - amount };
            }
            stats.conflicts++;
          }
          throw new RacelabError('TIMEOUT', `bank cas lost ${MAX_ATTEMPTS} compare-and-set rounds in a row`);
        },
      }),
  },
  {
    name: 'txn',
    summary: "the read, check, work and both writes inside one serializable store transaction (memory: one at a time; PostgreSQL: SERIALIZABLE, retried; Redis: WATCH/MULTI)",
    safe: true,
    make: (ports) =>
      bank(ports, {
        move: (from, to, amount) =>
          ports.store.transaction(async (tx) => {
            const balance = await tx.get(balanceKey(from));
            if (balance < amount) return insufficient(from, balance, amount);
            await wait(ports);
            await tx.set(balanceKey(from), balance - amount);
            if (to !== undefined) await tx.set(balanceKey(to), (await tx.get(balanceKey(to))) + amount);
            return { accepted: true, balance: balance - amount } as BankResult;
          }),
      }),
  },
  {
    name: 'pg-for-update',
    summary: 'SELECT … FOR UPDATE on both rows (in account order) in a transaction, check, work, UPDATE both, COMMIT: the row locks hold across processes',
    safe: true,
    requires: 'postgres',
    make: (ports) => {
      const pg = storeOf<PostgresStore>('pg-for-update', 'postgres', ports.store);
      return bank(ports, {
        move: (from, to, amount) =>
          pg.transaction(
            async (tx) => {
              const balances = new Map<string, number>();
              for (const a of (to === undefined ? [from] : [from, to]).sort()) balances.set(a, await tx.getForUpdate(balanceKey(a)));
              const balance = balances.get(from) as number;
              if (balance < amount) return insufficient(from, balance, amount);
              await wait(ports);
              await tx.set(balanceKey(from), balance - amount);
              if (to !== undefined) await tx.set(balanceKey(to), (balances.get(to) as number) + amount);
              return { accepted: true, balance: balance - amount } as BankResult;
            },
            { isolation: 'read committed' },
          ),
      });
    },
  },
  {
    name: 'pg-conditional',
    summary: 'does the work, then UPDATE … SET value = value - $1 WHERE value - $1 >= 0: PostgreSQL checks and debits under the row lock; the credit is an atomic add',
    safe: true,
    requires: 'postgres',
    make: (ports) => {
      const pg = storeOf<PostgresStore>('pg-conditional', 'postgres', ports.store);
      return bank(ports, {
        async move(from, to, amount) {
          await wait(ports);
          const left = await pg.addIfAtLeast(balanceKey(from), -amount, 0);
          if (left === undefined) return insufficient(from, await pg.get(balanceKey(from)), amount);
          if (to !== undefined) await pg.increment(balanceKey(to), amount);
          return { accepted: true, balance: left };
        },
      });
    },
  },
  {
    name: 'redis-lua',
    summary: 'does the work, then one Lua script checks the balance, debits and credits: Redis runs a script to completion before any other command',
    safe: true,
    requires: 'redis',
    make: (ports) => {
      const redis = storeOf<RedisStore>('redis-lua', 'redis', ports.store);
      return bank(ports, {
        async move(from, to, amount) {
          await wait(ports);
          const left =
            to === undefined ? await redis.luaAddIfAtLeast(balanceKey(from), -amount, 0) : await redis.luaMoveIfAtLeast(balanceKey(from), balanceKey(to), amount, 0);
          if (left === undefined) return insufficient(from, await redis.get(balanceKey(from)), amount);
          return { accepted: true, balance: left };
        },
      });
    },
  },
];

/**
 * Opens the accounts in a shared store: each is created with its opening balance only if it was never written
 * (a compare-and-set on version 0), so replicas starting at once, or a server restarted on the same store,
 * never reset a balance.
 */
export async function openBankAccounts(store: Store, opening: Readonly<Record<string, number>> = OPENING_BALANCES): Promise<void> {
  for (const [account, balance] of Object.entries(opening)) {
    const { version } = await store.read(balanceKey(account));
    if (version === 0) await store.compareAndSet(balanceKey(account), 0, balance);
  }
}
