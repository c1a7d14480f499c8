import { RacelabError } from '../core/errors.js';
import { currentScheduler, type BlockedWait, type Operation, type Scheduler } from '../sched/scheduler.js';
import {
  ConsumerCrash,
  type Broker,
  type BrokerMessage,
  type ConsumeOptions,
  type Consumer,
  type ConsumerStats,
  type Delivery,
  type DeliveryHandler,
  type QueueSpec,
} from './broker.js';

/** A fault the explorer may inject: the consumer dies before its ack, or the ack wait runs out before it. */
export type MemoryFault = 'crash' | 'ack-timeout';

export interface MemoryBrokerOptions {
  readonly scheduler?: Scheduler;
  /** Hears what each step did (`->m1`), for the explorer's traces: pass the workload's `ctx.note`. */
  readonly note?: (text: string) => void;
}

interface Entry {
  readonly message: BrokerMessage;
  /** Publish order: a redelivered message goes back to its place, ahead of later ones. */
  readonly order: number;
  deliveries: number;
  /** The consumer incarnation holding it, while in flight. */
  holder?: ConsumerState;
  /** The holder called ack() and its ack has not yet reached the broker: the window a fault can hit. */
  ackPending: boolean;
}

interface ConsumerState {
  readonly name: string;
  /** Bumped by every crash: a delivery taken by an older incarnation can no longer be acked. */
  incarnation: number;
  stats: { deliveries: number; redeliveries: number; crashes: number };
  stopped: boolean;
}

class MemoryQueue {
  readonly ready: Entry[] = [];
  readonly inFlight = new Set<Entry>();
  sealed = false;
  published = 0;
  redeliveries = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly spec: QueueSpec) {}

  /** The next message a consumer may take, or undefined. Per key: only a key's oldest message, and only when none of that key is in flight. */
  next(): Entry | undefined {
    if (!this.spec.perKey) return this.ready[0];
    for (const e of this.ready) {
      const key = e.message.key;
      if ([...this.inFlight].some((f) => f.message.key === key)) continue;
      if (this.ready.some((r) => r.message.key === key && r.order < e.order)) continue;
      return e;
    }
    return undefined;
  }

  /** Nothing more will arrive and nothing is left to settle: consumers and fault tasks may end. */
  get drained(): boolean {
    return this.sealed && this.ready.length === 0 && this.inFlight.size === 0;
  }

  requeue(e: Entry): void {
    this.inFlight.delete(e);
    delete e.holder;
    e.ackPending = false;
    const at = this.ready.findIndex((r) => r.order > e.order);
    if (at < 0) this.ready.push(e);
    else this.ready.splice(at, 0, e);
    this.redeliveries++;
  }

  /** Registers a wake for the next change of state; each waiter re-checks what it waits for. */
  wait(scheduler: Scheduler, label: string): Promise<void> {
    const blocked: BlockedWait | undefined = scheduler.block?.(label);
    if (blocked) {
      this.waiters.push(blocked.wake);
      return blocked.promise;
    }
    return scheduler.waitFor(new Promise<void>((resolve) => this.waiters.push(resolve)), label);
  }

  changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * An in-process broker for the explorer. Every step a real broker takes on its own is a scheduling point here:
 * a consumer taking a message (`c1 receive orders->m1`), an ack reaching the broker (`c1 ack m1`), and, through
 * `faults()`, a consumer dying after its effect and before its ack, or its ack wait running out. Those faults
 * are steps of a task of their own, enabled exactly while some consumer has called ack() and the ack has not yet
 * landed; the strategy chooses between the ack and the fault, so the crash-before-ack duplicate is one choice in
 * the schedule, found, shrunk and replayed like any lost update.
 *
 * Consumers are tasks spawned on the scheduler (one loop each, one delivery at a time); they end when their queue
 * is sealed (the producer is done) and every message is acked.
 */
export class MemoryBroker implements Broker {
  readonly kind = 'memory';
  readonly description = 'memory (in this process)';
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly consumers: ConsumerState[] = [];
  private readonly note: (text: string) => void;

  constructor(private readonly options: MemoryBrokerOptions = {}) {
    this.note = options.note ?? (() => undefined);
  }

  private get scheduler(): Scheduler {
    return this.options.scheduler ?? currentScheduler();
  }

  private queue(name: string): MemoryQueue {
    const q = this.queues.get(name);
    if (!q) throw new RacelabError('BAD_OPTION', `queue "${name}" was not declared; call declare({ name: '${name}', keys }) first`);
    return q;
  }

  private point(kind: Operation['kind'], queue: string, label: string): void | Promise<void> {
    return this.scheduler.point({ kind, object: `queue:${queue}`, label });
  }

  async declare(spec: QueueSpec): Promise<void> {
    if (!this.queues.has(spec.name)) this.queues.set(spec.name, new MemoryQueue(spec));
  }

  async publish(queue: string, message: BrokerMessage): Promise<void> {
    const q = this.queue(queue);
    const p = this.point('send', queue, `publish ${message.id}`);
    if (p) await p;
    q.ready.push({ message, order: q.published++, deliveries: 0, ackPending: false });
    q.changed();
  }

  /** The producer is done with `queue`: once its messages are all acked, its consumers and fault tasks end. */
  seal(queue: string): void {
    const q = this.queue(queue);
    q.sealed = true;
    q.changed();
  }

  /** Messages published, and redeliveries made (after crashes, nacks and expired ack waits), per queue. */
  queueStats(queue: string): { published: number; redeliveries: number } {
    const q = this.queue(queue);
    return { published: q.published, redeliveries: q.redeliveries };
  }

  async consume(queue: string, name: string, handler: DeliveryHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    const q = this.queue(queue);
    const state: ConsumerState = { name, incarnation: 0, stats: { deliveries: 0, redeliveries: 0, crashes: 0 }, stopped: false };
    this.consumers.push(state);
    const loop = async (): Promise<void> => {
      for (;;) {
        const entry = await this.take(q, state);
        if (!entry) return;
        try {
          await handler(this.delivery(q, state, entry, options));
        } catch (e) {
          if (e instanceof ConsumerCrash && e.consumer === name) continue; // a fresh incarnation takes over
          throw e;
        }
      }
    };
    // The explorer reports a failed task itself; on the real scheduler the handler's own caller hears of it.
    this.scheduler.spawn(name, loop).catch(() => undefined);
    const stats: ConsumerStats = state.stats;
    return {
      name,
      stats,
      stop: async () => {
        state.stopped = true;
        q.changed();
      },
    };
  }

  /** Waits for a message this consumer may take; undefined once the queue is drained or the consumer stopped. */
  private async take(q: MemoryQueue, state: ConsumerState): Promise<Entry | undefined> {
    const s = this.scheduler;
    for (;;) {
      if (state.stopped || q.drained) return undefined;
      if (!q.next()) {
        await q.wait(s, `${state.name} waits for ${q.spec.name}`);
        continue;
      }
      const p = this.point('deliver', q.spec.name, `receive ${q.spec.name}`);
      if (p) await p;
      const entry = q.next(); // another consumer may have taken it meanwhile
      if (!entry) continue;
      q.ready.splice(q.ready.indexOf(entry), 1);
      q.inFlight.add(entry);
      entry.holder = state;
      entry.deliveries++;
      state.stats.deliveries++;
      if (entry.deliveries > 1) state.stats.redeliveries++;
      this.note(`->${entry.message.id}${entry.deliveries > 1 ? ` (redelivered)` : ''}`);
      return entry;
    }
  }

  private delivery(q: MemoryQueue, state: ConsumerState, entry: Entry, options: ConsumeOptions): Delivery {
    const incarnation = state.incarnation;
    const queue = q.spec.name;
    const settle = async (verb: 'ack' | 'nack'): Promise<void> => {
      const fault = verb === 'ack' ? options.beforeAck?.(entry.message) : undefined;
      if (fault === 'crash') this.crash(q, state);
      else if (fault === 'pause') q.requeue(entry); // held past the ack wait: the broker takes the message back
      if (state.incarnation !== incarnation) throw new ConsumerCrash(state.name, entry.message.id);
      entry.ackPending = verb === 'ack';
      if (entry.ackPending) q.changed(); // a fault task may now choose to strike before this ack lands
      const p = this.point('update', queue, `${verb} ${entry.message.id}`);
      if (p) await p;
      if (state.incarnation !== incarnation) {
        this.note(`->never sent: ${state.name} died first`);
        throw new ConsumerCrash(state.name, entry.message.id);
      }
      if (entry.holder !== state) {
        // The ack wait ran out first: the broker already gave the message to someone else and ignores this ack.
        this.note('->too late');
        return;
      }
      entry.ackPending = false;
      if (verb === 'ack') {
        q.inFlight.delete(entry);
        delete entry.holder;
      } else q.requeue(entry);
      q.changed();
    };
    return { message: entry.message, redelivered: entry.deliveries > 1, ack: () => settle('ack'), nack: () => settle('nack') };
  }

  /** The consumer dies: whatever it holds goes back to the queue, and its next step finds itself dead. */
  private crash(q: MemoryQueue, state: ConsumerState): void {
    state.incarnation++;
    state.stats.crashes++;
    for (const e of [...q.inFlight]) if (e.holder === state) q.requeue(e);
    q.changed();
  }

  /**
   * A task that injects up to `budget` faults of `kind` into `queue`, each a scheduling step enabled while some
   * consumer's ack is pending (its effect done, its ack not yet landed). Spawn it with the consumers; it ends when
   * the queue drains or its budget is spent. The strategy decides whether and when it strikes: a schedule where
   * every ack lands first is one where it did nothing.
   */
  faults(queue: string, kind: MemoryFault, budget: number): void {
    const q = this.queue(queue);
    const s = this.scheduler;
    void s.spawn(kind === 'crash' ? 'crasher' : 'ack-timer', async () => {
      let left = budget;
      while (left > 0) {
        const target = [...q.inFlight].find((e) => e.ackPending);
        if (!target) {
          if (q.drained) return;
          await q.wait(s, `${kind} waits for an ack in flight`);
          continue;
        }
        const holder = target.holder as ConsumerState;
        const p = this.point('update', queue, kind === 'crash' ? `crash ${holder.name} before ack ${target.message.id}` : `ack wait of ${target.message.id} runs out`);
        if (p) await p;
        if (!target.ackPending || target.holder !== holder) continue; // the ack landed first
        left--;
        if (kind === 'crash') this.crash(q, holder);
        else q.requeue(target);
        q.changed();
      }
    });
  }

  createdNames(): readonly string[] {
    return [...this.queues.keys()].map((q) => `queue ${q}`);
  }

  async close(): Promise<void> {
    for (const c of this.consumers) c.stopped = true;
    for (const q of this.queues.values()) q.changed();
  }
}
