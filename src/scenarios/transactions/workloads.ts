import { setTimeout as delay } from 'node:timers/promises';
import type { Random } from '../../core/random.js';
import type { MicroOp, Workload } from '../../txn/types.js';
import type { Database, Session } from './database.js';

/**
 * The transactions racelab runs on a real database, each written twice over: as the application code a
 * developer would write (SQL in a BEGIN … COMMIT), and as the micro-ops it records for the checker. Values
 * recorded are unique per key (a list element, a register value, or a row's `tag`, a write id every UPDATE
 * sets), which is what lets the checker name who read from whom. Balances and on-call flags stay business
 * data; the invariant each workload states is checked on them separately.
 */
export type TxnWorkloadName = 'list-append' | 'rw-register' | 'transfer' | 'deposit' | 'doctors';
export const TXN_WORKLOAD_NAMES: readonly TxnWorkloadName[] = ['list-append', 'rw-register', 'transfer', 'deposit', 'doctors'];

/**
 * How the seed-shaped cases defend themselves: `none` is the seed's advice taken literally (a transaction at
 * the chosen level), `for-update` locks the rows it reads, `conditional` updates only if the row still holds
 * what was read (and retries otherwise), `retry` runs again after the database refuses a transaction.
 */
export type TxnFix = 'none' | 'for-update' | 'conditional' | 'retry';
export const TXN_FIXES: readonly TxnFix[] = ['none', 'for-update', 'conditional', 'retry'];

/** One planned transaction: what is invoked, and the code that runs it inside BEGIN … COMMIT. */
export interface PlannedTxn {
  readonly invoke: readonly MicroOp[];
  /**
   * Runs the statements; returns the micro-ops with reads filled in. Throws TxnAborted (or a Conflict) to roll
   * back. When the code decides not to write (no money, the other doctor is off call), the result lists only
   * what it did, and the recorder rewrites the invocation to match.
   */
  run(s: Session): Promise<MicroOp[]>;
  /** The logical operation, for a retry after the database refused this attempt. */
  readonly retry?: () => PlannedTxn;
}

export interface InvariantResult {
  readonly name: string;
  readonly violations: number;
  readonly words: string;
}

export interface WorkloadInstance {
  readonly checkAs: Workload;
  setup(s: Session): Promise<void>;
  /** The client's next transaction, or undefined when this client has no more work. */
  next(client: number): Promise<PlannedTxn | undefined>;
  /** After an attempt: committed or not (for invariants that count what committed). */
  settled?(txn: PlannedTxn, committed: boolean | 'unknown'): void;
  invariant?(s: Session): Promise<InvariantResult>;
}

/** The application refused to write (a conditional update matched no row): roll back, record `fail`. */
export class Conflict extends Error {}

const KEYS_ACTIVE = 8;
const APPENDS_PER_KEY = 32;
/** Between reading and writing, the application does its work: long enough for another transaction to interleave. */
const APP_WORK_MS = 2;

export interface WorkloadContext {
  readonly db: Database;
  readonly table: string;
  readonly rng: Random;
  readonly fix: TxnFix;
  readonly clients: number;
}

function keyRotation(rng: Random): () => { key: number; value: number } {
  let nextKey = 0;
  const active: number[] = [];
  const count = new Map<number, number>();
  return () => {
    while (active.length < KEYS_ACTIVE) active.push(nextKey++);
    const key = active[rng.int(active.length)]!;
    const value = (count.get(key) ?? 0) + 1;
    count.set(key, value);
    if (value >= APPENDS_PER_KEY) active.splice(active.indexOf(key), 1);
    return { key, value };
  };
}

function listAppend(ctx: WorkloadContext): WorkloadInstance {
  const { db, table, rng } = ctx;
  const pick = keyRotation(rng);
  return {
    checkAs: 'list-append',
    setup: async (s) => void (await s.execute(`CREATE TABLE ${table} (k INT PRIMARY KEY, v ${db.sql.textType})`)),
    next: async () => {
      const invoke: MicroOp[] = [];
      for (let n = 1 + rng.int(4); n > 0; n--) {
        const { key, value } = pick();
        invoke.push(rng.next() < 0.5 ? { f: 'r', key, value: null } : { f: 'append', key, value });
      }
      return {
        invoke,
        run: async (s) => {
          const out: MicroOp[] = [];
          for (const m of invoke) {
            if (m.f === 'append') {
              await s.execute(db.sql.appendUpsert(table), [m.key, String(m.value)]);
              out.push(m);
            } else {
              const rows = await s.query<{ v: string | null }>(`SELECT v FROM ${table} WHERE k = $1`, [m.key]);
              const text = rows[0]?.v ?? '';
              out.push({ f: 'r', key: m.key, value: text === '' ? [] : text.split(',').map(Number) });
            }
          }
          return out;
        },
      };
    },
  };
}

function rwRegister(ctx: WorkloadContext): WorkloadInstance {
  const { db, table, rng } = ctx;
  const pick = keyRotation(rng);
  return {
    checkAs: 'rw-register',
    setup: async (s) => void (await s.execute(`CREATE TABLE ${table} (k INT PRIMARY KEY, v INT)`)),
    next: async () => {
      const invoke: MicroOp[] = [];
      for (let n = 1 + rng.int(4); n > 0; n--) {
        const { key, value } = pick();
        invoke.push(rng.next() < 0.5 ? { f: 'r', key, value: null } : { f: 'w', key, value });
      }
      return {
        invoke,
        run: async (s) => {
          const out: MicroOp[] = [];
          for (const m of invoke) {
            if (m.f === 'w') {
              await s.execute(db.sql.setUpsert(table), [m.key, m.value]);
              out.push(m);
            } else {
              const rows = await s.query<{ v: number | null }>(`SELECT v FROM ${table} WHERE k = $1`, [m.key]);
              out.push({ f: 'r', key: m.key, value: rows[0]?.v ?? null });
            }
          }
          return out;
        },
      };
    },
  };
}

/** Accounts with a balance and a write id (`tag`); every transaction that changes a row sets a fresh tag. */
function accountsTable(ctx: WorkloadContext, accounts: number, balance: number) {
  const { table } = ctx;
  return {
    setup: async (s: Session) => {
      await s.execute(`CREATE TABLE ${table} (k INT PRIMARY KEY, balance INT NOT NULL, tag INT NULL)`);
      const rows = Array.from({ length: accounts }, (_, i) => `(${i}, ${balance}, NULL)`).join(', ');
      await s.execute(`INSERT INTO ${table} (k, balance, tag) VALUES ${rows}`);
    },
  };
}

const lock = (fix: TxnFix): string => (fix === 'for-update' ? ' FOR UPDATE' : '');

/**
 * The seed's case: read a balance, then write balance + amount, inside a transaction. Lost updates show as two
 * committed transactions that read the same tag and both wrote; the money check counts what went missing.
 */
function deposit(ctx: WorkloadContext): WorkloadInstance {
  const { table, fix } = ctx;
  const accounts = 1;
  const base = accountsTable(ctx, accounts, 0);
  let tag = 0;
  let committed = 0;
  let unknown = 0;
  const amount = 1;
  const attempt = (key: number): PlannedTxn => {
    const newTag = ++tag;
    return {
      invoke: [{ f: 'r', key, value: null }, { f: 'w', key, value: newTag }],
      run: async (s) => {
        // The application code, as the seed's advice would have it written.
        const [row] = await s.query<{ balance: number; tag: number | null }>(`SELECT balance, tag FROM ${table} WHERE k = $1${lock(fix)}`, [key]);
        await delay(APP_WORK_MS);
        const read = row!.tag ?? null;
        if (fix === 'conditional') {
          const changed = await s.execute(`UPDATE ${table} SET balance = $1, tag = $2 WHERE k = $3 AND ${read === null ? 'tag IS NULL' : `tag = ${Number(read)}`}`, [row!.balance + amount, newTag, key]);
          if (changed === 0) throw new Conflict(`account ${key} changed since it was read`);
        } else {
          await s.execute(`UPDATE ${table} SET balance = $1, tag = $2 WHERE k = $3`, [row!.balance + amount, newTag, key]);
        }
        return [{ f: 'r', key, value: read }, { f: 'w', key, value: newTag }];
      },
      ...(fix === 'retry' || fix === 'conditional' ? { retry: () => attempt(key) } : {}),
    };
  };
  return {
    checkAs: 'rw-register',
    ...base,
    next: async (client) => attempt(client % accounts),
    settled: (_, ok) => {
      if (ok === true) committed++;
      else if (ok === 'unknown') unknown++;
    },
    invariant: async (s) => {
      const [row] = await s.query<{ total: number | string }>(`SELECT SUM(balance) AS total FROM ${table}`);
      const total = Number(row!.total);
      const lost = committed * amount - total;
      return {
        name: 'every committed deposit is in the balance',
        violations: Math.max(0, lost - unknown * amount),
        words: `${committed} deposits of ${amount} committed${unknown ? ` (and ${unknown} with unknown outcome)` : ''}; the balance is ${total}${lost > unknown * amount ? `: ${lost - unknown * amount} deposits were lost` : ''}`,
      };
    },
  };
}

/** Money moves between accounts: read both balances, write both. The total must not change. */
function transfer(ctx: WorkloadContext): WorkloadInstance {
  const { table, rng, fix } = ctx;
  const accounts = 5;
  const start = 100;
  const base = accountsTable(ctx, accounts, start);
  let tag = 0;
  const attempt = (from: number, to: number, amount: number): PlannedTxn => {
    const tags = [++tag, ++tag] as const;
    return {
      invoke: [{ f: 'r', key: from, value: null }, { f: 'r', key: to, value: null }, { f: 'w', key: from, value: tags[0] }, { f: 'w', key: to, value: tags[1] }],
      run: async (s) => {
        const [a] = await s.query<{ balance: number; tag: number | null }>(`SELECT balance, tag FROM ${table} WHERE k = $1${lock(fix)}`, [from]);
        const [b] = await s.query<{ balance: number; tag: number | null }>(`SELECT balance, tag FROM ${table} WHERE k = $1${lock(fix)}`, [to]);
        await delay(APP_WORK_MS);
        const reads: MicroOp[] = [{ f: 'r', key: from, value: a!.tag ?? null }, { f: 'r', key: to, value: b!.tag ?? null }];
        if (a!.balance < amount) return reads; // not enough money: nothing to write
        await s.execute(`UPDATE ${table} SET balance = $1, tag = $2 WHERE k = $3`, [a!.balance - amount, tags[0], from]);
        await s.execute(`UPDATE ${table} SET balance = $1, tag = $2 WHERE k = $3`, [b!.balance + amount, tags[1], to]);
        return [...reads, { f: 'w', key: from, value: tags[0] }, { f: 'w', key: to, value: tags[1] }];
      },
      ...(fix === 'retry' ? { retry: () => attempt(from, to, amount) } : {}),
    };
  };
  return {
    checkAs: 'rw-register',
    ...base,
    next: async () => {
      const from = rng.int(accounts);
      const to = (from + 1 + rng.int(accounts - 1)) % accounts;
      return attempt(from, to, 1 + rng.int(5));
    },
    invariant: async (s) => {
      const [row] = await s.query<{ total: number | string }>(`SELECT SUM(balance) AS total FROM ${table}`);
      const total = Number(row!.total);
      return { name: 'transfers keep the total', violations: total === accounts * start ? 0 : 1, words: `the accounts hold ${total} in total; they started with ${accounts * start}` };
    },
  };
}

/**
 * Write skew (Berenson et al.'s doctors): at least one of two doctors must stay on call. Each doctor's
 * transaction reads both rows and goes off call if the other is still on. Both pairs start a round together
 * (a barrier), as two doctors pressing the button at the same moment.
 */
function doctors(ctx: WorkloadContext): WorkloadInstance {
  const { table, fix, clients } = ctx;
  const pairs = Math.max(1, Math.floor(clients / 2));
  const roundsPerPair = 400;
  const round = new Array<number>(pairs * 2).fill(0);
  const barriers = new Map<string, { arrived: number; release: () => void; wait: Promise<void> }>();
  let tag = 0;
  const rowsOf = (pair: number, r: number): [number, number] => {
    const slot = pair * roundsPerPair + r;
    return [slot * 2, slot * 2 + 1];
  };
  const barrier = (pair: number, r: number): Promise<void> => {
    const id = `${pair}:${r}`;
    let b = barriers.get(id);
    if (!b) {
      let release!: () => void;
      const wait = new Promise<void>((res) => (release = res));
      b = { arrived: 0, release, wait };
      barriers.set(id, b);
    }
    b.arrived++;
    if (b.arrived === 2) {
      b.release();
      barriers.delete(id);
    }
    // A partner that stopped early must not hold this doctor forever.
    return Promise.race([b.wait, delay(200)]);
  };
  const attempt = (me: number, other: number): PlannedTxn => {
    const newTag = ++tag;
    return {
      invoke: [{ f: 'r', key: me, value: null }, { f: 'r', key: other, value: null }, { f: 'w', key: me, value: newTag }],
      run: async (s) => {
        const rows = await s.query<{ k: number; on_call: number | boolean; tag: number | null }>(`SELECT k, on_call, tag FROM ${table} WHERE k IN ($1, $2) ORDER BY k${lock(fix)}`, [Math.min(me, other), Math.max(me, other)]);
        await delay(APP_WORK_MS);
        const mine = rows.find((r) => Number(r.k) === me)!;
        const theirs = rows.find((r) => Number(r.k) === other)!;
        const reads: MicroOp[] = [{ f: 'r', key: me, value: mine.tag ?? null }, { f: 'r', key: other, value: theirs.tag ?? null }];
        if (!(Boolean(Number(mine.on_call)) && Boolean(Number(theirs.on_call)))) return reads;
        await s.execute(`UPDATE ${table} SET on_call = ${ctx.db.kind === 'postgres' ? 'false' : '0'}, tag = $1 WHERE k = $2`, [newTag, me]);
        return [...reads, { f: 'w', key: me, value: newTag }];
      },
      ...(fix === 'retry' ? { retry: () => attempt(me, other) } : {}),
    };
  };
  return {
    checkAs: 'rw-register',
    setup: async (s) => {
      const bool = ctx.db.kind === 'postgres' ? 'BOOLEAN' : 'TINYINT';
      await s.execute(`CREATE TABLE ${table} (k INT PRIMARY KEY, on_call ${bool} NOT NULL, tag INT NULL)`);
      const all = pairs * roundsPerPair * 2;
      for (let from = 0; from < all; from += 1000) {
        const rows = Array.from({ length: Math.min(1000, all - from) }, (_, i) => `(${from + i}, ${ctx.db.kind === 'postgres' ? 'true' : '1'}, NULL)`).join(', ');
        await s.execute(`INSERT INTO ${table} (k, on_call, tag) VALUES ${rows}`);
      }
    },
    next: async (client) => {
      const pair = Math.floor(client / 2);
      if (pair >= pairs) return undefined;
      const r = round[client]!++;
      if (r >= roundsPerPair) return undefined;
      await barrier(pair, r);
      const [a, b] = rowsOf(pair, r);
      return client % 2 === 0 ? attempt(a, b) : attempt(b, a);
    },
    invariant: async (s) => {
      const rows = await s.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} a JOIN ${table} b ON b.k = a.k + 1 WHERE a.k % 2 = 0 AND ${ctx.db.kind === 'postgres' ? 'NOT a.on_call AND NOT b.on_call' : 'a.on_call = 0 AND b.on_call = 0'}`);
      const n = Number(rows[0]!.n);
      return { name: 'one doctor of each pair stays on call', violations: n, words: n === 0 ? 'every shift kept a doctor on call' : `${n} shifts were left with no doctor on call` };
    },
  };
}

export function makeWorkload(name: TxnWorkloadName, ctx: WorkloadContext): WorkloadInstance {
  switch (name) {
    case 'list-append':
      return listAppend(ctx);
    case 'rw-register':
      return rwRegister(ctx);
    case 'transfer':
      return transfer(ctx);
    case 'deposit':
      return deposit(ctx);
    case 'doctors':
      return doctors(ctx);
  }
}
