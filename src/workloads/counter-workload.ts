import { RacelabError } from '../core/errors.js';
import type { Workload } from '../explore/workload.js';
import type { HistoryEvent } from '../history/event.js';
import { MemoryStore } from '../store/memory.js';
import { counterVariant, counterVariants } from '../scenarios/counter/registry.js';
import { COUNTER_KEY } from '../scenarios/counter/variants.js';
import { plural } from '../core/units.js';

export interface CounterWorkloadOptions {
  /** A counter variant that runs on the memory store: vulnerable, mutex, atomic, cas, txn. */
  readonly variant: string;
  /** Concurrent clients, each a task. Default 2. */
  readonly clients?: number;
  /** Increments each client makes, one after another. Default 1. */
  readonly increments?: number;
  /**
   * The variant's read-modify-write window, in virtual milliseconds. Default 0, on purpose: under the explorer
   * every store operation is already a scheduling point, so the window between a client's read and its write
   * exists without any delay, and every interleaving of the store operations is reachable. With the default the
   * lost update's trace is exactly its four store operations:
   * `c1 get counter->0 . c2 get counter->0 . c2 set counter=1 . c1 set counter=1`.
   * A delay of more than 0 costs no real time but adds a step per increment (the moment its sleep ends,
   * `wake +500ms`), and virtual time then decides part of the order, as on a real server: while one client
   * sleeps the others run, so with the seed's 500 ms every client reads before any writes.
   */
  readonly delayMs?: number;
  /**
   * Record every increment (and the final read) as a history and let racelab's linearizability checker decide
   * each run, with the counter model, instead of comparing the final value: the same verdict, found by the
   * checker from the operations alone. Default false.
   */
  readonly linearizability?: boolean;
  /** Add what each store operation returned to the trace (`get counter->0`). Default true. */
  readonly traceValues?: boolean;
}

/** Counter variants the explorer can run: those that need no PostgreSQL or Redis. */
export function explorableCounterVariants(): string[] {
  return Object.values(counterVariants)
    .filter((v) => !v.requires)
    .map((v) => v.name);
}

/**
 * The seed's counter under the explorer: one service (the server) on a MemoryStore driven by the controlled
 * scheduler, N client tasks each making `increments` increments. Invariant: the final value is the number of
 * increments made, i.e. no update was lost.
 */
export function counterWorkload(options: CounterWorkloadOptions): Workload {
  const known = counterVariants[options.variant];
  if (!known || known.requires) {
    throw new RacelabError(
      'UNKNOWN_VARIANT',
      known?.requires
        ? `"${known.name}" needs a real ${known.requires} server, which the explorer cannot schedule; explore one of ${explorableCounterVariants().join(', ')}`
        : `"${options.variant}" is not a counter variant; use one of ${explorableCounterVariants().join(', ')}`,
      { subject: 'variant' },
    );
  }
  const variant = counterVariant(options.variant);
  const clients = options.clients ?? 2;
  const increments = options.increments ?? 1;
  const delayMs = options.delayMs ?? 0;
  if (!Number.isInteger(clients) || clients < 1 || clients > 64) throw new RacelabError('BAD_COUNT', `"${clients}" must be a whole number from 1 to 64`, { subject: 'clients' });
  if (!Number.isInteger(increments) || increments < 1 || increments > 1000) throw new RacelabError('BAD_COUNT', `"${increments}" must be a whole number from 1 to 1000`, { subject: 'increments' });
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RacelabError('BAD_DURATION', `"${delayMs}" must be a duration of 0 or more`, { subject: 'delayMs' });
  const linearizability = options.linearizability === true;
  const clientNames = Array.from({ length: clients }, (_, i) => `c${i + 1}`);
  return {
    name: 'counter',
    params: { variant: variant.name, clients, increments, delay: delayMs, ...(linearizability ? { linearizability: true } : {}) },
    setup(ctx) {
      // What each read returned goes to the trace (`get counter->0`); outside a step (the invariant) notes are ignored.
      const store = new MemoryStore(ctx.scheduler, options.traceValues === false ? undefined : { note: ctx.note });
      const service = variant.make({ store, scheduler: ctx.scheduler, delayMs });
      const expected = clients * increments;
      if (linearizability) {
        // No timestamps: one task runs at a time, so the order events are appended in is their real-time order,
        // which is what the checker uses when a history has no times.
        const history: HistoryEvent[] = [];
        return {
          tasks: Array.from({ length: clients }, (_, i) => [
            `c${i + 1}`,
            async () => {
              for (let k = 0; k < increments; k++) {
                history.push({ type: 'invoke', process: `c${i + 1}`, f: 'increment', value: null });
                await service.increment();
                history.push({ type: 'ok', process: `c${i + 1}`, f: 'increment', value: null });
              }
            },
          ]),
          invariant: async () => {
            // A last client reads the counter once every increment has returned.
            history.push({ type: 'invoke', process: 'reader', f: 'get', value: null });
            history.push({ type: 'ok', process: 'reader', f: 'get', value: await store.get(COUNTER_KEY) });
            return true;
          },
          linearizability: { history: () => history, model: 'counter' },
        };
      }
      // A plain loop and one shared body: setup runs once per explored run.
      const client = async (): Promise<void> => {
        for (let k = 0; k < increments; k++) await service.increment();
      };
      const tasks: Array<readonly [string, () => Promise<void>]> = [];
      for (let i = 0; i < clients; i++) tasks.push([clientNames[i] as string, client]);
      return {
        tasks,
        invariant: async () => {
          const final = await store.get(COUNTER_KEY);
          if (final === expected) return true;
          const lost = expected - final;
          return `final counter = ${final}, expected ${expected} (${lost > 0 ? `${plural(lost, 'update')} lost` : `${-lost} too many`})`;
        },
      };
    },
  };
}
