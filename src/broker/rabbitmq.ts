import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
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

export interface RabbitBrokerOptions {
  /** Carried by every exchange and queue name (see brokerNamespace). */
  readonly namespace: string;
  readonly connectTimeoutMs?: number;
  /** Use the exchange and queues another process declared under this namespace: declare() creates nothing, close() deletes nothing. */
  readonly attach?: boolean;
}

/** Ten minutes unused: far past any run's own pauses. */
const QUEUE_EXPIRES_MS = 600_000;

function refused(what: string, e: unknown): RacelabError {
  return new RacelabError('BAD_BROKER', `RabbitMQ refused ${what}: ${messageOf(e)}`, { cause: e });
}

/** Connects to RabbitMQ; a server that is down is UNREACHABLE, refused credentials or vhost BAD_BROKER, each one line. */
export async function openAmqp(url: string, timeoutMs: number): Promise<ChannelModel> {
  try {
    const model = await connect(url, { timeout: timeoutMs });
    model.on('error', () => undefined); // a dropped connection is reported through the operation that meets it
    return model;
  } catch (e) {
    const text = messageOf(e);
    if (/ACCESS_REFUSED|403|authentication|PLAIN login refused/i.test(text)) {
      throw new RacelabError('BAD_BROKER', `RabbitMQ at ${maskBrokerUrl(url)} refused the credentials: give a user and password it accepts`, { cause: e });
    }
    if (/NOT_ALLOWED|vhost/i.test(text)) throw new RacelabError('BAD_BROKER', `RabbitMQ at ${maskBrokerUrl(url)} refused the virtual host: ${text}`, { cause: e });
    const code = (e as { code?: string }).code;
    throw new RacelabError('UNREACHABLE', `RabbitMQ at ${maskBrokerUrl(url)} is not reachable (${code ?? text}): start rabbitmq-server there, or give the URL of one`, { cause: e });
  }
}

interface RabbitQueue {
  readonly spec: QueueSpec;
  readonly exchange: string;
  /** One queue for the group, or one per key with single active consumer. */
  readonly queues: readonly string[];
}

/**
 * RabbitMQ: a queue is a direct exchange routing each message by its key. Competing consumers share one queue
 * bound to every key; per key, each key has a queue of its own declared with single active consumer, so one
 * consumer at a time takes its messages, with prefetch 1, in order. Each consumer instance has a connection of its
 * own: a crash drops it, and RabbitMQ requeues what it held at once, marked redelivered.
 */
export class RabbitBroker implements Broker {
  readonly kind = 'rabbitmq';
  readonly description: string;
  private readonly queues = new Map<string, RabbitQueue>();
  private readonly running = new Set<{ stop(): Promise<void> }>();
  private closed = false;
  private publisher: ConfirmChannel | undefined;

  private constructor(
    private readonly url: string,
    private readonly admin: ChannelModel,
    private readonly options: RabbitBrokerOptions,
  ) {
    this.description = `RabbitMQ at ${maskBrokerUrl(url)}`;
  }

  static async open(url: string, options: RabbitBrokerOptions): Promise<RabbitBroker> {
    return new RabbitBroker(url, await openAmqp(url, options.connectTimeoutMs ?? 3000), options);
  }

  /**
   * A channel for one declaration: RabbitMQ closes a channel on any refusal, so each gets a fresh one and a refusal
   * is that operation's one-line error, not a dead channel for the next.
   */
  private async onChannel<T>(what: string, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await this.admin.createChannel();
    ch.on('error', () => undefined);
    try {
      return await fn(ch);
    } catch (e) {
      throw refused(what, e);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async declare(spec: QueueSpec): Promise<void> {
    const exchange = `${this.options.namespace}-${spec.name}`;
    const names = spec.perKey ? spec.keys.map((k) => `${exchange}-${checkKey(k)}`) : [exchange];
    // Registered first, so close() removes whatever part of it got made.
    this.queues.set(spec.name, { spec, exchange, queues: names });
    if (this.options.attach) return;
    await this.onChannel(`exchange "${exchange}"`, (ch) => ch.assertExchange(exchange, 'direct', { durable: false }));
    for (const [i, queue] of names.entries()) {
      await this.onChannel(`queue "${queue}"`, async (ch) => {
        // x-expires: a safety net for a run killed before its cleanup (kill -9): RabbitMQ drops the queue once it
        // has gone unused that long. A live run keeps it in use; close() deletes it at once.
        const args = { 'x-expires': QUEUE_EXPIRES_MS, ...(spec.perKey ? { 'x-single-active-consumer': true } : {}) };
        await ch.assertQueue(queue, { durable: false, arguments: args });
        for (const key of spec.perKey ? [spec.keys[i] as string] : spec.keys) await ch.bindQueue(queue, exchange, key);
      });
    }
  }

  private queue(name: string): RabbitQueue {
    const q = this.queues.get(name);
    if (!q) throw new RacelabError('BAD_OPTION', `queue "${name}" was not declared`);
    return q;
  }

  async publish(queue: string, message: BrokerMessage): Promise<void> {
    const q = this.queue(queue);
    try {
      this.publisher ??= await this.admin.createConfirmChannel();
      this.publisher.publish(q.exchange, checkKey(message.key), Buffer.from(JSON.stringify(message)), { messageId: message.id, contentType: 'application/json' });
      await this.publisher.waitForConfirms();
    } catch (e) {
      this.publisher = undefined;
      throw refused(`a publish to exchange "${q.exchange}"`, e);
    }
  }

  async consume(queue: string, name: string, handler: DeliveryHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    const q = this.queue(queue);
    const stats = { deliveries: 0, redeliveries: 0, crashes: 0 };
    let stopped = false;
    let model: ChannelModel | undefined;
    const ackWaitMs = q.spec.ackWaitMs ?? 2000;
    let restart: () => void = () => undefined;

    // One incarnation: a connection and a channel with prefetch 1 per consumer; deliveries handled one at a time.
    const incarnation = async (): Promise<void> => {
      const conn = await openAmqp(this.url, this.options.connectTimeoutMs ?? 3000);
      model = conn;
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.prefetch(1, false);
      let chain = Promise.resolve();
      let dead = false;
      const ended = new Promise<void>((resolve) => {
        restart = resolve;
        conn.on('close', () => resolve());
      });
      const handle = async (m: ConsumeMessage): Promise<void> => {
        if (dead) return;
        const message = JSON.parse(m.content.toString()) as BrokerMessage;
        stats.deliveries++;
        if (m.fields.redelivered) stats.redeliveries++;
        try {
          await handler({
            message,
            redelivered: m.fields.redelivered,
            ack: async () => {
              const fault = options.beforeAck?.(message);
              if (fault === 'crash') {
                // As kill -9 would: the connection drops with the message unacked; RabbitMQ requeues it at once.
                dead = true;
                stats.crashes++;
                await conn.close().catch(() => undefined);
                throw new ConsumerCrash(name, message.id);
              }
              if (fault === 'pause') await realDelay(ackWaitMs + 250);
              if (dead) throw new ConsumerCrash(name, message.id);
              ch.ack(m);
            },
            nack: async () => {
              ch.nack(m, false, true);
            },
          });
        } catch (e) {
          if (!(e instanceof ConsumerCrash)) throw e;
          restart();
        }
      };
      // stop() may have come while this incarnation was connecting, before there was a connection to close or an
      // incarnation to end: it would then consume on for ever.
      if (stopped || this.closed) restart();
      else {
        for (const queueName of q.queues) {
          await ch.consume(queueName, (m) => {
            if (!m) return restart(); // the server cancelled the consumer (queue deleted)
            chain = chain.then(() => handle(m)).catch(() => restart());
          });
        }
      }
      await ended;
      await chain.catch(() => undefined);
      await conn.close().catch(() => undefined);
    };

    const loop = (async () => {
      while (!stopped && !this.closed) {
        try {
          await incarnation();
        } catch (e) {
          if (stopped || this.closed) return;
          throw e;
        }
      }
    })();
    const running = {
      stop: async () => {
        stopped = true;
        restart();
        await model?.close().catch(() => undefined);
        await loop.catch(() => undefined);
      },
    };
    this.running.add(running);
    loop.catch(() => undefined);
    return { name, stats, stop: running.stop };
  }

  createdNames(): readonly string[] {
    if (this.options.attach) return [];
    return [...this.queues.values()].flatMap((q) => [`exchange ${q.exchange}`, ...q.queues.map((n) => `queue ${n}`)]);
  }

  /**
   * Which of `names` (as createdNames gives them: `exchange X`, `queue Y`) still exist on the server, each asked
   * with a passive declare: what a leak check asks, also about names another process created.
   */
  async leftBehind(names: readonly string[]): Promise<string[]> {
    const left: string[] = [];
    for (const entry of names) {
      const [what, name] = entry.split(' ', 2) as [string, string];
      const ch = await this.admin.createChannel();
      ch.on('error', () => undefined);
      try {
        if (what === 'exchange') await ch.checkExchange(name);
        else await ch.checkQueue(name);
        left.push(entry);
        await ch.close();
      } catch {
        // 404 NOT_FOUND (which closes the channel): it is gone
      }
    }
    return left;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.running].map((r) => r.stop()));
    for (const q of this.options.attach ? [] : this.queues.values()) {
      for (const queue of q.queues) await this.onChannel(`deleting queue ${queue}`, (ch) => ch.deleteQueue(queue)).catch(() => undefined);
      await this.onChannel(`deleting exchange ${q.exchange}`, (ch) => ch.deleteExchange(q.exchange)).catch(() => undefined);
    }
    await this.admin.close().catch(() => undefined);
  }
}
