import { RacelabError } from '../../core/errors.js';
import { Mutex } from '../../sched/mutex.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { PostgresStore } from '../../store/postgres.js';
import type { RedisStore } from '../../store/redis.js';
import type { Store } from '../../store/store.js';
import { openKeysOnce, storeOf, type ScenarioVariant } from '../impacts/scenario.js';

/*
 * Sessions: a pool of slots (licensed seats, connection slots) and one record per session. Keys in business
 * words: `free(pool)` (slots free) and `session(alice)` (1 while alice's session is open). Open is idempotent:
 * a client that retries, or opens from two tabs, must hold one slot. A race that takes a second slot for the same
 * session leaks it: no End returns it, and enough leaks exhaust the pool for everyone (denial of service).
 */

export const FREE_KEY = 'free(pool)';
export const sessionKey = (session: string): string => `session(${session})`;

export interface SessionPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /** The work between the checks and the writes (creating the session's token, a call to the license server). */
  readonly delayMs: number;
  /** Slots in the pool; default CAPACITY. */
  readonly capacity?: number;
}

export const CAPACITY = 2;

export type OpenResult =
  | { readonly accepted: true; readonly free: number }
  | { readonly accepted: false; readonly reason: 'pool-full' | 'bad-session'; readonly message: string };

export interface SessionStats {
  refused: number;
  conflicts: number;
}

export interface SessionService {
  openSession(session: string): Promise<OpenResult>;
  closeSession(session: string): Promise<{ free: number }>;
  pool(): Promise<{ free: number; capacity: number }>;
  readonly stats: SessionStats;
  /** Stops what the variant started (nothing yet). */
  close(): Promise<void>;
}

/** How a variant opens and closes; validation, stats and reads are shared. */
interface Moves {
  open(session: string, stats: SessionStats): Promise<OpenResult>;
  close(session: string, stats: SessionStats): Promise<void>;
}

export type SessionVariant = ScenarioVariant<SessionPorts, SessionService>;

const wait = (ports: SessionPorts): Promise<void> => sleep(ports.delayMs, ports.scheduler ?? realScheduler);
const full = (session: string, free: number): OpenResult => ({ accepted: false, reason: 'pool-full', message: `no slot for ${session}: the pool has ${free} free` });

function sessions(ports: SessionPorts, moves: Moves): SessionService {
  const capacity = ports.capacity ?? CAPACITY;
  const stats: SessionStats = { refused: 0, conflicts: 0 };
  return {
    async openSession(session) {
      if (session === '') return { accepted: false, reason: 'bad-session', message: 'session: give the session id to open' };
      const r = await moves.open(session, stats);
      if (!r.accepted) stats.refused++;
      return r;
    },
    async closeSession(session) {
      if (session !== '') await moves.close(session, stats);
      return { free: await ports.store.get(FREE_KEY) };
    },
    pool: async () => ({ free: await ports.store.get(FREE_KEY), capacity }),
    stats,
    close: async () => undefined,
  };
}

/** Is the session open? If not, is a slot free? Then the work, then record the session and take a slot. */
async function checkThenOpen(ports: SessionPorts, session: string): Promise<OpenResult> {
  const { store } = ports;
  if ((await store.get(sessionKey(session))) === 1) return { accepted: true, free: await store.get(FREE_KEY) };
  const free = await store.get(FREE_KEY);
  if (free <= 0) return full(session, free);
  await wait(ports);
  await store.set(sessionKey(session), 1);
  return { accepted: true, free: await store.increment(FREE_KEY, -1) };
}

/** Is the session open? Then the work, then mark it closed and give its slot back. */
async function checkThenClose(ports: SessionPorts, session: string): Promise<void> {
  const { store } = ports;
  if ((await store.get(sessionKey(session))) !== 1) return;
  await wait(ports);
  await store.set(sessionKey(session), 0);
  await store.increment(FREE_KEY, 1);
}

/**
 * The session record as a unique claim: only one caller turns it from 0 to 1 (compare-and-set on the version it
 * read); the others see it open and take nothing. Then one slot by `take`; if none is free, the claim is given back.
 */
async function claimThenTake(ports: SessionPorts, session: string, take: () => Promise<number | undefined>): Promise<OpenResult> {
  const { store } = ports;
  await wait(ports);
  const claim = await store.read(sessionKey(session));
  if (claim.value === 1 || !(await store.compareAndSet(sessionKey(session), claim.version, 1))) return { accepted: true, free: await store.get(FREE_KEY) };
  const left = await take();
  if (left === undefined) {
    await store.set(sessionKey(session), 0);
    return full(session, await store.get(FREE_KEY));
  }
  return { accepted: true, free: left };
}

/** Only the caller that turns the record from 1 to 0 gives the slot back: a double close returns one slot. */
async function releaseOnce(ports: SessionPorts, session: string): Promise<void> {
  const { store } = ports;
  await wait(ports);
  const claim = await store.read(sessionKey(session));
  if (claim.value === 1 && (await store.compareAndSet(sessionKey(session), claim.version, 0))) await store.increment(FREE_KEY, 1);
}

const MAX_ATTEMPTS = 10_000;

export const sessionVariants: readonly SessionVariant[] = [
  {
    name: 'vulnerable',
    summary: 'checks the session is not open and a slot is free, does the work, records the session and takes a slot: overlapping opens of one session each take a slot (leaked)',
    safe: false,
    make: (ports) => sessions(ports, { open: (s) => checkThenOpen(ports, s), close: (s) => checkThenClose(ports, s) }),
  },
  {
    name: 'mutex',
    summary: 'an in-process mutex on the pool around the checks and the writes: exact in one process, not across replicas',
    safe: true,
    make: (ports) => {
      const lock = new Mutex('pool', ports.scheduler);
      return sessions(ports, {
        open: (s) => lock.runExclusive(() => checkThenOpen(ports, s)),
        close: (s) => lock.runExclusive(() => checkThenClose(ports, s)),
      });
    },
  },
  {
    name: 'cas',
    summary: 'the session record claimed by compare-and-set (only one caller turns it open), then one slot taken by an optimistic decrement that never goes below zero',
    safe: true,
    make: (ports) =>
      sessions(ports, {
        open: (s, stats) =>
          claimThenTake(ports, s, async () => {
            for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
              const { value, version } = await ports.store.read(FREE_KEY);
              if (value <= 0) return undefined;
              if (await ports.store.compareAndSet(FREE_KEY, version, value - 1)) return value - 1;
              stats.conflicts++;
            }
            throw new RacelabError('TIMEOUT', `session cas lost ${MAX_ATTEMPTS} compare-and-set rounds in a row`);
          }),
        close: (s) => releaseOnce(ports, s),
      }),
  },
  {
    name: 'txn',
    summary: 'the checks and the writes of Open (and of End) in one serializable store transaction',
    safe: true,
    make: (ports) =>
      sessions(ports, {
        open: (s) =>
          ports.store.transaction(async (tx) => {
            const free = await tx.get(FREE_KEY);
            if ((await tx.get(sessionKey(s))) === 1) return { accepted: true, free } as OpenResult;
            if (free <= 0) return full(s, free);
            await wait(ports);
            await tx.set(sessionKey(s), 1);
            await tx.set(FREE_KEY, free - 1);
            return { accepted: true, free: free - 1 } as OpenResult;
          }),
        close: (s) =>
          ports.store.transaction(async (tx) => {
            if ((await tx.get(sessionKey(s))) !== 1) return;
            await wait(ports);
            await tx.set(sessionKey(s), 0);
            await tx.set(FREE_KEY, (await tx.get(FREE_KEY)) + 1);
          }),
      }),
  },
  {
    name: 'pg-conditional',
    summary: 'the session claimed by compare-and-set, then UPDATE … SET value = value - 1 WHERE value - 1 >= 0 on the pool row',
    safe: true,
    requires: 'postgres',
    make: (ports) => {
      const pg = storeOf<PostgresStore>('pg-conditional', 'postgres', ports.store);
      return sessions(ports, { open: (s) => claimThenTake(ports, s, () => pg.addIfAtLeast(FREE_KEY, -1, 0)), close: (s) => releaseOnce(ports, s) });
    },
  },
  {
    name: 'redis-lua',
    summary: 'the session claimed by compare-and-set, then a Lua script that takes a slot only if one is free',
    safe: true,
    requires: 'redis',
    make: (ports) => {
      const redis = storeOf<RedisStore>('redis-lua', 'redis', ports.store);
      return sessions(ports, { open: (s) => claimThenTake(ports, s, () => redis.luaAddIfAtLeast(FREE_KEY, -1, 0)), close: (s) => releaseOnce(ports, s) });
    },
  },
];

/** Fills the pool in a shared store only if it was never written (safe for replicas and restarts). */
export function openPool(store: Store, capacity = CAPACITY): Promise<void> {
  return openKeysOnce(store, { [FREE_KEY]: capacity });
}
