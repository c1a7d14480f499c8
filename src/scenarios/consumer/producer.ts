import type { BrokerMessage } from '../../broker/broker.js';
import { MemoryBroker } from '../../broker/memory.js';
import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import type { BlockedWait, Scheduler } from '../../sched/scheduler.js';
import { planMessages, readBalances, startConsumers } from './run.js';
import { tally } from './tally.js';
import { consumerVariant } from './variants.js';
import { plural } from '../../core/units.js';

/** The producer-side variants: how an order service records an order and tells the consumers about it. */
export const producerVariants = ['dual-write', 'outbox'] as const;
export type ProducerVariant = (typeof producerVariants)[number];

const orderKey = (key: string): string => `orders:${key}`;
const outboxKey = (id: string): string => `outbox:${id}`;

/**
 * A moment a process can die in, offered to the strategy: the process calls `enter(label)` where a crash would hurt
 * (after a write, before the publish or the mark that should follow it), and a fault task may strike there or not.
 * Resolves true when the process died: it runs no more code.
 */
class CrashWindows {
  private pending: { process: string; label: string; struck: boolean } | undefined;
  private waiters: Array<() => void> = [];
  private done = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly note: (text: string) => void,
  ) {}

  async enter(process: string, label: string): Promise<boolean> {
    const here = { process, label, struck: false };
    this.pending = here;
    this.wake();
    const p = this.scheduler.point({ kind: 'update', object: `process:${process}`, label });
    if (p) await p;
    if (this.pending === here) this.pending = undefined;
    if (here.struck) this.note(`->${process} had died`);
    return here.struck;
  }

  /** Nothing more will enter a window: the fault task ends. */
  close(): void {
    this.done = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** A task that may kill up to `budget` processes, each in a window they are in. */
  spawnFaults(budget: number): void {
    const s = this.scheduler;
    s.spawn('crasher', async () => {
      let left = budget;
      while (left > 0) {
        const target = this.pending;
        if (!target) {
          if (this.done) return;
          const blocked: BlockedWait | undefined = s.block?.('crash waits for a window');
          if (blocked) {
            this.waiters.push(blocked.wake);
            await blocked.promise;
          } else await s.waitFor(new Promise<void>((r) => this.waiters.push(r)), 'crash waits for a window');
          continue;
        }
        const p = s.point({ kind: 'update', object: `process:${target.process}`, label: `crash ${target.process} ${target.label}` });
        if (p) await p;
        if (this.pending !== target) continue; // it got through first
        target.struck = true;
        this.pending = undefined;
        left--;
      }
    }).catch(() => undefined);
  }
}

export interface ProducerWorkloadOptions {
  readonly variant: ProducerVariant;
  /** Orders placed. Default 2. */
  readonly messages?: number;
  /** Producer or relay processes the explorer may kill in a window. Default 1. */
  readonly crashes?: number;
}

/**
 * The producer side under the explorer: an order service records each order in the store and publishes a message
 * that an idempotent consumer applies. `dual-write` writes the order, then publishes: a producer killed between the
 * two leaves an order no message will ever tell anyone about (a lost effect). `outbox` writes the order and an
 * outbox row in one transaction; a relay publishes the pending rows and marks them sent, and a relay killed between
 * its publish and its mark is started again and publishes that row again, which the idempotent consumer skips.
 * Invariant: every recorded order is applied by the consumer exactly once.
 */
export function producerWorkload(options: ProducerWorkloadOptions): Workload {
  const messages = options.messages ?? 2;
  const crashes = options.crashes ?? 1;
  const keys = ['k1'];
  const plan = planMessages(messages, keys);
  const consumer = consumerVariant('idempotent');
  return {
    name: 'consumer',
    params: { variant: options.variant, messages, crashes },
    async setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note });
      const broker = new MemoryBroker({ scheduler: ctx.scheduler, note: ctx.note });
      const windows = new CrashWindows(ctx.scheduler, ctx.note);
      const queue = 'orders';
      await broker.declare({ name: queue, keys });
      const side = await startConsumers(broker, store, consumer, queue, { consumers: 1, context: { pause: async () => undefined } });
      if (crashes > 0) windows.spawnFaults(crashes);
      const recorded: BrokerMessage[] = [];

      const dualWrite = async (): Promise<void> => {
        for (const m of plan) {
          await store.increment(orderKey(m.key));
          recorded.push(m);
          if (await windows.enter('producer', `before publish ${m.id}`)) break; // died: its requests are gone
          await broker.publish(queue, m);
        }
      };

      const outbox = async (): Promise<void> => {
        for (const m of plan) {
          await store.transaction(async (tx) => {
            await tx.set(orderKey(m.key), (await tx.get(orderKey(m.key))) + 1);
            await tx.set(outboxKey(m.id), 1);
          });
          recorded.push(m);
          if (await windows.enter('producer', `after commit ${m.id}`)) break;
        }
      };

      /** Publishes every pending outbox row, then marks it sent; started again (as a supervisor would) when killed. */
      const relay = async (): Promise<void> => {
        for (let attempt = 0; attempt <= crashes; attempt++) {
          let died = false;
          for (const m of plan) {
            if ((await store.get(outboxKey(m.id))) !== 1) continue;
            await broker.publish(queue, m);
            if (await windows.enter('relay', `before marking ${m.id} sent`)) {
              died = true;
              break;
            }
            await store.set(outboxKey(m.id), 2);
          }
          if (!died) return;
        }
      };

      return {
        tasks: [
          [
            'producer',
            async () => {
              if (options.variant === 'dual-write') await dualWrite();
              else {
                await outbox();
                await relay(); // the relay's pass after the orders: what it finds pending is what it sends
              }
              windows.close();
              broker.seal(queue);
            },
          ],
        ],
        invariant: async () => {
          const stats = side.consumers.map((c) => c.stats);
          const t = tally(recorded, side.applications, await readBalances(store, keys), {
            redeliveries: stats.reduce((s, c) => s + c.redeliveries, 0),
            crashes: 0,
          });
          const bad: string[] = [];
          if (t.lostEffects) bad.push(`${plural(t.lostEffects, 'recorded order')} never published, never applied`);
          if (t.duplicates) bad.push(`${plural(t.duplicates, 'order')} applied twice (${t.duplicatedIds.join(', ')})`);
          return bad.length === 0 || `${options.variant}: ${bad.join(', ')} (${plural(t.published, 'order')} recorded, ${t.effectsApplied} applied)`;
        },
      };
    },
  };
}
