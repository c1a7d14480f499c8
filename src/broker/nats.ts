import { AckPolicy, DeliverPolicy, JSONCodec, StorageType, nanos, type ConnectionOptions, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import { RacelabError, messageOf } from '../core/errors.js';
import {
  AckLost,
  ConsumerCrash,
  type Broker,
  type BrokerMessage,
  type ConsumeOptions,
  type Consumer,
  type DeliveryHandler,
  type QueueSpec,
} from './broker.js';
import { checkKey, maskBrokerUrl, realDelay } from './names.js';
import { openNats as open } from './nats-connect.js';

const codec = JSONCodec<BrokerMessage>();

export interface NatsBrokerOptions {
  /** Carried by every stream and consumer name (see brokerNamespace). */
  readonly namespace: string;
  readonly connectTimeoutMs?: number;
  /**
   * Use streams and consumers another process declared under this namespace: declare() only learns their names,
   * close() deletes nothing (a consumer process a demo starts, and may kill -9, attaches this way).
   */
  readonly attach?: boolean;
  /**
   * Survive a broker that goes away for at most this long (a restart): connections reconnect, streams are on
   * file storage (so their messages and consumers come back with the server), an ack that gets no answer is
   * AckLost (the consumer goes on; the broker redelivers if it lost the ack), and admin calls (declare, publish,
   * close) are retried. Unset: one connection attempt, memory storage, and a broker that goes away fails the run.
   */
  readonly reconnectWithinMs?: number;
}

/** What a broker that is restarting answers: worth another try while reconnectWithinMs lasts. */
function transient(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  if (code && ['TIMEOUT', 'DISCONNECT', 'CONNECTION_CLOSED', 'CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', '503', '408'].includes(code)) return true;
  return /timeout|temporarily unavailable|no responders|disconnect|connection closed|not reachable/i.test(messageOf(e));
}

/** The client options of reconnect mode: a retry every 100 ms (not the client's 2 s), for as long as allowed. */
function reconnecting(withinMs: number): Partial<ConnectionOptions> {
  return { reconnect: true, reconnectTimeWait: 100, reconnectJitter: 20, maxReconnectAttempts: Math.max(1, Math.ceil(withinMs / 100)), pingInterval: 1000 };
}

/** JetStream's answer to a bad request, as one line. */
function refused(what: string, e: unknown): RacelabError {
  return new RacelabError('BAD_BROKER', `NATS JetStream refused ${what}: ${messageOf(e)}`, { cause: e });
}

interface NatsQueue {
  readonly spec: QueueSpec;
  readonly stream: string;
  /** One durable pull consumer for the group, or one per key (filtered on the key's subject, max_ack_pending 1). */
  readonly durables: ReadonlyArray<{ readonly name: string; readonly key?: string }>;
}

/**
 * NATS JetStream: a queue is a stream (memory storage) on `<namespace>.<queue>.<key>`, consumed through durable
 * pull consumers with explicit acks. Competing consumers share one durable; per key, each key has a durable of its
 * own filtered on its subject with max_ack_pending 1, so a key's next message is not delivered before its previous
 * one is acked. Each consumer instance has a connection of its own: a crash drops it, and JetStream redelivers
 * what it held once the ack wait runs out.
 */
export class NatsBroker implements Broker {
  readonly kind = 'nats';
  readonly description: string;
  private readonly queues = new Map<string, NatsQueue>();
  private readonly running = new Set<{ stop(): Promise<void> }>();
  private closed = false;

  private constructor(
    private readonly url: string,
    private readonly admin: NatsConnection,
    private readonly options: NatsBrokerOptions,
  ) {
    this.description = `NATS JetStream at ${maskBrokerUrl(url)}`;
  }

  static async open(url: string, options: NatsBrokerOptions): Promise<NatsBroker> {
    const extra = options.reconnectWithinMs !== undefined ? reconnecting(options.reconnectWithinMs) : {};
    const admin = await open(url, `${options.namespace}-admin`, options.connectTimeoutMs ?? 3000, extra);
    try {
      await (await admin.jetstreamManager()).getAccountInfo();
    } catch (e) {
      await admin.close();
      throw new RacelabError('BAD_BROKER', `NATS at ${maskBrokerUrl(url)} has no JetStream (${messageOf(e)}): start nats-server with -js`, { cause: e });
    }
    return new NatsBroker(url, admin, options);
  }

  /**
   * Runs an admin call; in reconnect mode a transient failure (the broker restarting) is tried again until
   * reconnectWithinMs has passed since the first failure. Refusals are never retried.
   */
  private async admin_<T>(call: () => Promise<T>): Promise<T> {
    const within = this.options.reconnectWithinMs;
    let firstFailure: number | undefined;
    for (;;) {
      try {
        return await call();
      } catch (e) {
        if (within === undefined || this.admin.isClosed() || !transient(e)) throw e;
        firstFailure ??= Date.now();
        if (Date.now() - firstFailure > within) throw e;
        await realDelay(100);
      }
    }
  }

  private connectOptions(): Partial<ConnectionOptions> {
    return this.options.reconnectWithinMs !== undefined ? reconnecting(this.options.reconnectWithinMs) : {};
  }

  /**
   * Reconnect mode: JetStream API calls time out after 1 s (not the client's 5 s) and are tried again. A request
   * that reaches a restarted server before its JetStream API is up gets no answer at all, and 5 s is too long to
   * learn that.
   */
  private jsOptions(): { timeout?: number } {
    return this.options.reconnectWithinMs !== undefined ? { timeout: 1000 } : {};
  }

  private subject(queue: string, key: string): string {
    return `${this.options.namespace}.${queue}.${key}`;
  }

  async declare(spec: QueueSpec): Promise<void> {
    const stream = `${this.options.namespace}-${spec.name}`;
    const durables: NatsQueue['durables'] = spec.perKey ? spec.keys.map((key) => ({ name: `${spec.name}-${checkKey(key)}`, key })) : [{ name: spec.name }];
    if (this.options.attach) {
      this.queues.set(spec.name, { spec, stream, durables });
      return;
    }
    const jsm = await this.admin_(() => this.admin.jetstreamManager(this.jsOptions()));
    const storage = this.options.reconnectWithinMs !== undefined ? StorageType.File : StorageType.Memory;
    try {
      await this.admin_(() => jsm.streams.add({ name: stream, subjects: [`${this.options.namespace}.${spec.name}.>`], storage }));
    } catch (e) {
      throw refused(`stream "${stream}"`, e);
    }
    // Registered before its consumers exist, so close() deletes the stream (and them) whatever fails next.
    this.queues.set(spec.name, { spec, stream, durables });
    for (const d of durables) {
      try {
        await this.admin_(() => jsm.consumers.add(stream, {
          durable_name: d.name,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(spec.ackWaitMs ?? 2000),
          max_ack_pending: spec.perKey ? 1 : 1000,
          ...(d.key !== undefined ? { filter_subject: this.subject(spec.name, d.key) } : {}),
        }));
      } catch (e) {
        throw refused(`consumer "${d.name}" on stream "${stream}"`, e);
      }
    }
  }

  private queue(name: string): NatsQueue {
    const q = this.queues.get(name);
    if (!q) throw new RacelabError('BAD_OPTION', `queue "${name}" was not declared`);
    return q;
  }

  async publish(queue: string, message: BrokerMessage): Promise<void> {
    this.queue(queue);
    try {
      // msgID: JetStream drops a second publish of one id within its window, so a retried publish is not a duplicate.
      const subject = this.subject(queue, checkKey(message.key));
      await this.admin_(() => this.admin.jetstream(this.jsOptions()).publish(subject, codec.encode(message), { msgID: message.id }));
    } catch (e) {
      throw refused(`a publish to ${this.subject(queue, message.key)}`, e);
    }
  }

  async consume(queue: string, name: string, handler: DeliveryHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    const q = this.queue(queue);
    const stats = { deliveries: 0, redeliveries: 0, crashes: 0, acksLost: 0 };
    const within = this.options.reconnectWithinMs;
    let stopped = false;
    let nc: NatsConnection | undefined;
    let iterators: ConsumerMessages[] = [];
    const ackWaitMs = q.spec.ackWaitMs ?? 2000;

    const handle = async (m: JsMsg): Promise<void> => {
      const message = codec.decode(m.data);
      stats.deliveries++;
      if (m.redelivered) stats.redeliveries++;
      try {
        await deliver(m, message);
      } catch (e) {
        if (!(e instanceof AckLost)) throw e;
      }
    };

    const deliver = (m: JsMsg, message: BrokerMessage): Promise<void> =>
      handler({
        message,
        redelivered: m.redelivered,
        ack: async () => {
          const fault = options.beforeAck?.(message);
          if (fault === 'crash') {
            // As kill -9 would: the connection drops with the message unacked; JetStream redelivers after ack_wait.
            stats.crashes++;
            await nc?.close();
            throw new ConsumerCrash(name, message.id);
          }
          // JetStream looks for expired acks on a timer of about one ack wait, so a hold of one ack wait is often
          // acked before the redelivery; two ack waits make the redelivery happen first.
          if (fault === 'pause') await realDelay(2 * ackWaitMs + 250);
          if (nc?.isClosed()) throw new ConsumerCrash(name, message.id);
          if (within === undefined) {
            await m.ackAck();
            return;
          }
          // The broker may be restarting: an ack with no answer is not a crash; the broker redelivers if it lost it.
          let answered: boolean;
          try {
            answered = await m.ackAck({ timeout: Math.max(500, Math.min(ackWaitMs, 2000)) });
          } catch (e) {
            if (!transient(e)) throw e;
            stats.acksLost++;
            throw new AckLost(name, message.id, messageOf(e));
          }
          if (!answered) {
            stats.acksLost++;
            throw new AckLost(name, message.id, 'the broker answered that it did not take it');
          }
        },
        nack: async () => {
          m.nak();
        },
      });

    // One incarnation: a connection, an iterator per durable, one delivery at a time per durable.
    const incarnation = async (): Promise<void> => {
      nc = await open(this.url, `${this.options.namespace}-${name}`, this.options.connectTimeoutMs ?? 3000, this.connectOptions());
      const js = nc.jetstream(this.jsOptions());
      iterators = [];
      for (const d of q.durables) iterators.push(await (await js.consumers.get(q.stream, d.name)).consume({ max_messages: 1, expires: 1000 }));
      // stop() may have come while this incarnation was connecting, before it had a connection or iterators to
      // stop: the iterators would then run on for ever.
      if (stopped || this.closed) for (const it of iterators) it.stop();
      const crashed = await Promise.all(
        iterators.map(async (it) => {
          try {
            for await (const m of it) await handle(m);
            return false;
          } catch (e) {
            if (e instanceof ConsumerCrash) return true;
            throw e;
          }
        }),
      );
      if (!crashed.some(Boolean)) await nc.close();
    };

    const loop = (async () => {
      let failingSince: number | undefined;
      while (!stopped && !this.closed) {
        try {
          await incarnation();
          failingSince = undefined;
        } catch (e) {
          if (stopped || this.closed) return;
          // Reconnect mode: the broker is restarting (the connection gave up, the durable is not back yet); come
          // back as a fresh incarnation, for as long as reconnectWithinMs allows.
          failingSince ??= Date.now();
          if (within === undefined || Date.now() - failingSince > within) throw e;
          await realDelay(100);
        } finally {
          for (const it of iterators) it.stop();
          if (nc && !nc.isClosed()) await nc.close();
        }
      }
    })();
    const running = {
      stop: async () => {
        stopped = true;
        for (const it of iterators) it.stop();
        if (nc && !nc.isClosed()) await nc.close();
        await loop.catch(() => undefined);
      },
    };
    this.running.add(running);
    loop.catch(() => undefined); // its failure surfaces through stop(); a consumer never throws into nothing
    return { name, stats, stop: running.stop };
  }

  async outstanding(queue: string): Promise<number> {
    const q = this.queue(queue);
    const jsm = await this.admin_(() => this.admin.jetstreamManager(this.jsOptions()));
    let n = 0;
    for (const d of q.durables) {
      const info = await this.admin_(() => jsm.consumers.info(q.stream, d.name));
      n += info.num_pending + info.num_ack_pending;
    }
    return n;
  }

  createdNames(): readonly string[] {
    if (this.options.attach) return [];
    return [...this.queues.values()].map((q) => `stream ${q.stream}`);
  }

  /** Every stream name on the server that starts with `prefix` (a run's namespace): what a leak check lists. */
  async listStreams(prefix: string): Promise<string[]> {
    const jsm = await this.admin_(() => this.admin.jetstreamManager(this.jsOptions()));
    const names: string[] = [];
    for await (const batch of jsm.streams.names()) names.push(...(Array.isArray(batch) ? batch : [batch]));
    return names.filter((n) => n.startsWith(prefix));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.running].map((r) => r.stop()));
    const jsm = await this.admin_(() => this.admin.jetstreamManager(this.jsOptions()));
    if (!this.options.attach) for (const q of this.queues.values()) await this.admin_(() => jsm.streams.delete(q.stream)).catch(() => false);
    await this.admin.close();
  }
}
