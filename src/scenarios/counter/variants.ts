import { Mutex } from '../../sched/mutex.js';
import { realScheduler, sleep, type Scheduler } from '../../sched/scheduler.js';
import type { Store } from '../../store/store.js';

export const COUNTER_KEY = 'counter';

/** The ports a counter variant is written against: the same code runs in every host. */
export interface CounterPorts {
  readonly store: Store;
  readonly scheduler?: Scheduler;
  /**
   * Work between reading the counter and writing it back, the seed's `time.sleep(0.5)`. In Node it must be an
   * `await` (a Node handler that never yields cannot interleave with another), as real code awaiting a
   * database or a downstream call does.
   */
  readonly delayMs: number;
  /** Settings of the distributed-lock variants (`redis-lock`, `redis-lock-fencing`); ignored by the others. */
  readonly lock?: CounterLockOptions;
}

/**
 * A lock with a time to live, and the fault that makes it unsafe: a holder that stops (a GC pause, a stalled
 * VM) for longer than the TTL still believes it holds the lock when it resumes.
 */
export interface CounterLockOptions {
  /** How long the lock lives unless released; default max(1s, 4 x delay). */
  readonly ttlMs?: number;
  /** The simulated pause of a holder between its read and its write. */
  readonly holderPauseMs?: number;
  /** Every Nth lock holding in a server pauses (0 = never). */
  readonly holderPauseEvery?: number;
}

/** What the handlers did besides their job: retries and conflicts are part of a fix's cost. */
export interface CounterStats {
  conflicts: number;
  /** Whole attempts repeated after the store refused them (serialization failure, fenced write). */
  retries?: number;
  /** Lock acquisitions that found the lock (pg-for-update: the counter's row lock) taken and had to wait. */
  lockWaits?: number;
  /** Releases that found the lock no longer this holder's: it had expired while held. */
  lockExpiries?: number;
  /** Reads or writes the store refused because a newer fencing token had touched the key. */
  fencedRejections?: number;
  /** Simulated holder pauses injected (see CounterLockOptions). */
  holderPauses?: number;
}

/**
 * A variant's handlers. `store`, when given, is the store this one call goes through: a view of the service's
 * own store for one request (the race monitor's `monitoredStore(store, monitor, request)`), so that a service
 * built once, whose state is shared between requests (a mutex), can still report each request's reads and writes
 * without an async context. The variants that need a specific store (`requires`) always use their own.
 */
export interface CounterService {
  increment(store?: Store): Promise<void>;
  getValue(store?: Store): Promise<number>;
  readonly stats: CounterStats;
}

export interface CounterVariant {
  readonly name: string;
  /** One sentence: how this variant updates the counter and why it is (or is not) safe. */
  readonly summary: string;
  readonly safe: boolean;
  /** The store this variant needs, when it uses operations only that store has. */
  readonly requires?: 'postgres' | 'redis';
  make(ports: CounterPorts): CounterService;
}

function base(ports: CounterPorts, increment: (stats: CounterStats, store: Store) => Promise<void>): CounterService {
  const stats: CounterStats = { conflicts: 0 };
  return { increment: (store) => increment(stats, store ?? ports.store), getValue: (store) => (store ?? ports.store).get(COUNTER_KEY), stats };
}

/** The seed's read-modify-write with a window in the middle. */
async function readWaitWrite(store: Store, { scheduler, delayMs }: CounterPorts): Promise<void> {
  const value = await store.get(COUNTER_KEY);
  await sleep(delayMs, scheduler ?? realScheduler);
  await store.set(COUNTER_KEY, value + 1);
}

/** The variants that run on any store, the embedded memory one included (registry.ts lists every variant). */
export const memoryCounterVariants: Readonly<Record<string, CounterVariant>> = {
  vulnerable: {
    name: 'vulnerable',
    summary: 'reads the counter, waits, writes read+1: calls that overlap read the same value and overwrite each other',
    safe: false,
    make: (ports) => base(ports, (_, store) => readWaitWrite(store, ports)),
  },
  mutex: {
    name: 'mutex',
    summary: 'the seed\'s fix: an in-process async mutex around the whole read-wait-write, so updates run one at a time',
    safe: true,
    make: (ports) => {
      const mutex = new Mutex(`${COUNTER_KEY}.mutex`, ports.scheduler);
      return base(ports, (_, store) => mutex.runExclusive(() => readWaitWrite(store, ports)));
    },
  },
  atomic: {
    name: 'atomic',
    summary: 'does the work, then one atomic increment in the store: there is no read to go stale',
    safe: true,
    make: (ports) =>
      base(ports, async (_, store) => {
        await sleep(ports.delayMs, ports.scheduler ?? realScheduler);
        await store.increment(COUNTER_KEY);
      }),
  },
  cas: {
    name: 'cas',
    summary: 'reads value and version, waits, writes only if the version is unchanged, else retries (optimistic)',
    safe: true,
    make: (ports) =>
      base(ports, async (stats, store) => {
        for (;;) {
          const { value, version } = await store.read(COUNTER_KEY);
          await sleep(ports.delayMs, ports.scheduler ?? realScheduler);
          if (await store.compareAndSet(COUNTER_KEY, version, value + 1)) return;
          stats.conflicts++;
        }
      }),
  },
  txn: {
    name: 'txn',
    summary: 'the read-wait-write inside one serializable store transaction',
    safe: true,
    make: (ports) =>
      base(ports, (_, store) =>
        store.transaction(async (tx) => {
          const value = await tx.get(COUNTER_KEY);
          await sleep(ports.delayMs, ports.scheduler ?? realScheduler);
          await tx.set(COUNTER_KEY, value + 1);
        }),
      ),
  },
};
