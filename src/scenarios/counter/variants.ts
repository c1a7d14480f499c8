import { RacelabError } from '../../core/errors.js';
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
}

/** What the handlers did besides their job: retries and conflicts are part of a fix's cost. */
export interface CounterStats {
  conflicts: number;
}

export interface CounterService {
  increment(): Promise<void>;
  getValue(): Promise<number>;
  readonly stats: CounterStats;
}

export interface CounterVariant {
  readonly name: string;
  /** One sentence: how this variant updates the counter and why it is (or is not) safe. */
  readonly summary: string;
  readonly safe: boolean;
  make(ports: CounterPorts): CounterService;
}

function base(ports: CounterPorts, increment: (stats: CounterStats) => Promise<void>): CounterService {
  const stats: CounterStats = { conflicts: 0 };
  return { increment: () => increment(stats), getValue: () => ports.store.get(COUNTER_KEY), stats };
}

/** The seed's read-modify-write with a window in the middle. */
async function readWaitWrite({ store, scheduler, delayMs }: CounterPorts): Promise<void> {
  const value = await store.get(COUNTER_KEY);
  await sleep(delayMs, scheduler ?? realScheduler);
  await store.set(COUNTER_KEY, value + 1);
}

export const counterVariants: Record<string, CounterVariant> = {
  vulnerable: {
    name: 'vulnerable',
    summary: 'reads the counter, waits, writes read+1: calls that overlap read the same value and overwrite each other',
    safe: false,
    make: (ports) => base(ports, () => readWaitWrite(ports)),
  },
  mutex: {
    name: 'mutex',
    summary: 'the seed\'s fix: an in-process async mutex around the whole read-wait-write, so updates run one at a time',
    safe: true,
    make: (ports) => {
      const mutex = new Mutex(`${COUNTER_KEY}.mutex`, ports.scheduler);
      return base(ports, () => mutex.runExclusive(() => readWaitWrite(ports)));
    },
  },
  atomic: {
    name: 'atomic',
    summary: 'does the work, then one atomic increment in the store: there is no read to go stale',
    safe: true,
    make: (ports) =>
      base(ports, async () => {
        await sleep(ports.delayMs, ports.scheduler ?? realScheduler);
        await ports.store.increment(COUNTER_KEY);
      }),
  },
  cas: {
    name: 'cas',
    summary: 'reads value and version, waits, writes only if the version is unchanged, else retries (optimistic)',
    safe: true,
    make: (ports) =>
      base(ports, async (stats) => {
        for (;;) {
          const { value, version } = await ports.store.read(COUNTER_KEY);
          await sleep(ports.delayMs, ports.scheduler ?? realScheduler);
          if (await ports.store.compareAndSet(COUNTER_KEY, version, value + 1)) return;
          stats.conflicts++;
        }
      }),
  },
  txn: {
    name: 'txn',
    summary: 'the read-wait-write inside one serializable store transaction',
    safe: true,
    make: (ports) =>
      base(ports, () =>
        ports.store.transaction(async (tx) => {
          const value = await tx.get(COUNTER_KEY);
          await sleep(ports.delayMs, ports.scheduler ?? realScheduler);
          await tx.set(COUNTER_KEY, value + 1);
        }),
      ),
  },
};

export function counterVariant(name: string): CounterVariant {
  const v = counterVariants[name];
  if (!v) {
    throw new RacelabError('UNKNOWN_VARIANT', `--variant: "${name}" is not a counter variant; use one of ${Object.keys(counterVariants).join(', ')}`);
  }
  return v;
}
