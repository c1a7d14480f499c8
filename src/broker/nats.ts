import { AckPolicy, DeliverPolicy, JSONCodec, StorageType, nanos, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import { RacelabError, messageOf } from '../core/errors.js';
import {
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
    const admin = await open(url, `${options.namespace}-admin`, options.connectTimeoutMs ?? 3000);
    try {
      await (await admin.jetstreamManager()).getAccountInfo();
    } catch (e) {
      await admin.close();
      throw new RacelabError('BAD_BROKER', `NATS at ${maskBrokerUrl(url)} has no JetStream (${messageOf(e)}): start nats-server with -js`, { cause: e });
    }
    return new NatsBroker(url, admin, options);
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
    const jsm = await this.admin.jetstreamManager();
    try {
      await jsm.streams.add({ name: stream, subjects: [`${this.options.namespace}.${spec.name}.>`], storage: StorageType.Memory });
    } catch (e) {
      throw refused(`stream "${stream}"`, e);
    }
    // Registered before its consumers exist, so close() deletes the stream (and them) whatever fails next.
    this.queues.set(spec.name, { spec, stream, durables });
    for (const d of durables) {
      try {
        await jsm.consumers.add(stream, {
          durable_name: d.name,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(spec.ackWaitMs ?? 2000),
          max_ack_pending: spec.perKey ? 1 : 1000,
          ...(d.key !== undefined ? { filter_subject: this.subject(spec.name, d.key) } : {}),
        });
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
      await this.admin.jetstream().publish(this.subject(queue, checkKey(message.key)), codec.encode(message), { msgID: message.id });
    } catch (e) {
      throw refused(`a publish to ${this.subject(queue, message.key)}`, e);
    }
  }

  async consume(queue: string, name: string, handler: DeliveryHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    const q = this.queue(queue);
    const stats = { deliveries: 0, redeliveries: 0, crashes: 0 };
    let stopped = false;
    let nc: NatsConnection | undefined;
    let iterators: ConsumerMessages[] = [];
    const ackWaitMs = q.spec.ackWaitMs ?? 2000;

    const handle = async (m: JsMsg): Promise<void> => {
      const message = codec.decode(m.data);
      stats.deliveries++;
      if (m.redelivered) stats.redeliveries++;
      await handler({
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
          if (fault === 'pause') await realDelay(ackWaitMs + 250);
          if (nc?.isClosed()) throw new ConsumerCrash(name, message.id);
          await m.ackAck();
        },
        nack: async () => {
          m.nak();
        },
      });
    };

    // One incarnation: a connection, an iterator per durable, one delivery at a time per durable.
    const incarnation = async (): Promise<void> => {
      nc = await open(this.url, `${this.options.namespace}-${name}`, this.options.connectTimeoutMs ?? 3000);
      const js = nc.jetstream();
      iterators = [];
      for (const d of q.durables) iterators.push(await (await js.consumers.get(q.stream, d.name)).consume({ max_messages: 1, expires: 1000 }));
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
      while (!stopped && !this.closed) {
        try {
          await incarnation();
        } catch (e) {
          if (stopped || this.closed) return;
          throw e;
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

  createdNames(): readonly string[] {
    if (this.options.attach) return [];
    return [...this.queues.values()].map((q) => `stream ${q.stream}`);
  }

  /** Every stream name on the server that starts with `prefix` (a run's namespace): what a leak check lists. */
  async listStreams(prefix: string): Promise<string[]> {
    const jsm = await this.admin.jetstreamManager();
    const names: string[] = [];
    for await (const batch of jsm.streams.names()) names.push(...(Array.isArray(batch) ? batch : [batch]));
    return names.filter((n) => n.startsWith(prefix));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.running].map((r) => r.stop()));
    const jsm = await this.admin.jetstreamManager();
    if (!this.options.attach) for (const q of this.queues.values()) await jsm.streams.delete(q.stream).catch(() => false);
    await this.admin.close();
  }
}
