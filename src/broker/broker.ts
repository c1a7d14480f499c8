/**
 * The Broker port: at-least-once messaging between a producer and a group of competing consumers, as NATS
 * JetStream and RabbitMQ give it. A message is delivered to one consumer of its queue at a time; it stays with the
 * broker until that consumer acks it, and comes back (redelivered) when the consumer nacks it, crashes, or lets
 * the ack wait run out. Adapters: memory (for the explorer: every delivery, ack, crash and expiry is a scheduling
 * point), NATS JetStream and RabbitMQ.
 */
export interface BrokerMessage {
  /** Stable across redeliveries: what an idempotent consumer remembers. */
  readonly id: string;
  /** The entity the message is about (an order, an account): the unit of per-key ordering. */
  readonly key: string;
  /** The producer's order among messages of one key, from 1: how out-of-order applications are counted. */
  readonly seq: number;
  /** The payload: an amount the consumer adds to the key's balance. */
  readonly amount: number;
}

export interface Delivery {
  readonly message: BrokerMessage;
  /** The broker says it delivered this message before (to this consumer or another). */
  readonly redelivered: boolean;
  /** Settles the message: the broker forgets it. Throws ConsumerCrash when the consumer died before the ack went out. */
  ack(): Promise<void>;
  /** Hands the message back for redelivery. */
  nack(): Promise<void>;
}

export interface QueueSpec {
  /** The queue's name in the scenario; the adapter makes the broker's names from it and the run's namespace. */
  readonly name: string;
  /**
   * Messages of one key go to one consumer at a time, in order: a JetStream subject and consumer (max_ack_pending
   * 1) per key, a RabbitMQ queue per key with single active consumer and prefetch 1, in memory at most one message
   * of a key in flight. Default: any consumer takes the next message.
   */
  readonly perKey?: boolean;
  /** The keys messages will carry (per-key queues are made for them up front). */
  readonly keys: readonly string[];
  /** How long the broker waits for an ack before it redelivers (JetStream ack_wait). Default 2 s. */
  readonly ackWaitMs?: number;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface ConsumerStats {
  readonly deliveries: number;
  readonly redeliveries: number;
  /** Times this consumer died between taking a message and acking it, and came back. */
  readonly crashes: number;
  /** Acks that went out and got no answer (AckLost): the broker may redeliver those messages. */
  readonly acksLost?: number;
}

export interface Consumer {
  readonly name: string;
  readonly stats: ConsumerStats;
  /** Stops taking messages; what is in flight is left unacked (the broker redelivers it). */
  stop(): Promise<void>;
}

export interface ConsumeOptions {
  /**
   * Called when a handler calls ack, before the ack goes out: returning `crash` kills the consumer there (its
   * connection drops, the message stays unacked, ack() throws ConsumerCrash), `pause` holds the ack past the
   * queue's ack wait. The fault plan of a demo; the explorer's memory broker makes the same choice a scheduling step.
   */
  readonly beforeAck?: (message: BrokerMessage) => 'crash' | 'pause' | undefined;
}

export interface Broker {
  /** `memory`, `nats` or `rabbitmq`. */
  readonly kind: string;
  /** Safe to print (no password). */
  readonly description: string;
  /** Creates the queue's streams, consumers, exchanges and queues, under names of this broker's own. */
  declare(queue: QueueSpec): Promise<void>;
  publish(queue: string, message: BrokerMessage): Promise<void>;
  /** Starts a consumer of `queue`; `handler` runs for one delivery at a time. */
  consume(queue: string, name: string, handler: DeliveryHandler, options?: ConsumeOptions): Promise<Consumer>;
  /**
   * Messages of `queue` the broker still holds (not yet delivered, or delivered and not acked), as the server
   * counts them. Where an adapter has it, a run is settled only when this is 0: an ack the consumer saw land can
   * still be lost by a broker that is killed before it stored it.
   */
  outstanding?(queue: string): Promise<number>;
  /** The names this broker created on the server (streams, queues, exchanges), for reports and leak checks. */
  createdNames(): readonly string[];
  /** Stops every consumer and deletes everything this broker created. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Thrown out of ack() when the consumer died before its ack reached the broker: the handler must not catch it (a
 * dead process runs no more code). The adapter's consumer loop catches it and comes back as a fresh consumer.
 */
export class ConsumerCrash extends Error {
  override readonly name = 'ConsumerCrash';
  constructor(readonly consumer: string, readonly messageId: string) {
    super(`consumer ${consumer} crashed before acking ${messageId}`);
  }
}

/**
 * Thrown out of ack() when the ack went out but no answer came back (the broker restarted, the connection
 * dropped): the broker may have taken it or not. The consumer is alive and goes on with its next message; if the
 * ack was lost the broker redelivers the message.
 */
export class AckLost extends Error {
  override readonly name = 'AckLost';
  constructor(readonly consumer: string, readonly messageId: string, reason: string) {
    super(`consumer ${consumer}: the ack of ${messageId} got no answer (${reason})`);
  }
}
