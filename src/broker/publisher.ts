import { RacelabError, messageOf } from '../core/errors.js';
import { maskBrokerUrl } from './names.js';
import type { ResolvedBroker } from './open.js';

/**
 * Raw publishing to a broker the user runs (what `racelab publish` bursts at): connections opened up front, each a
 * lane that publishes a batch of message bodies in one go (NATS: every publish buffered, then one flush; RabbitMQ:
 * a confirm channel, every publish written, then the confirms awaited), and an inbox for replies. Nothing here
 * declares the user's streams or queues; the only thing it creates on a broker is the RabbitMQ reply queue, named
 * after the run and deleted by close().
 */
export interface OutgoingMessage {
  /** Unique in the run: the NATS `Racelab-Id` header and msgID, the AMQP message id. */
  readonly id: string;
  readonly body: Uint8Array;
}

export interface LaneResult {
  readonly ok: number;
  readonly failed: number;
  /** RabbitMQ: published with `mandatory` and returned because no queue was bound to take them. */
  readonly unroutable: number;
  /** The first error of each kind, with how many messages it hit. */
  readonly errors: ReadonlyArray<{ readonly message: string; readonly count: number }>;
}

export interface PublishLane {
  /** Publishes the batch: every message leaves before the first await, then the lane waits for the broker's word. */
  send(batch: readonly OutgoingMessage[]): Promise<LaneResult>;
}

export interface Reply {
  /** The reply's body: parsed JSON when it is JSON, else its text. */
  readonly body: unknown;
  /** The message it answers, when the service copied racelab's id (NATS header, AMQP correlation id). */
  readonly inReplyTo?: string;
  /** Milliseconds after the inbox opened. */
  readonly atMs: number;
}

export interface PublisherOptions {
  readonly broker: ResolvedBroker;
  /** NATS subject, or RabbitMQ routing key (the queue's name, with the default exchange). */
  readonly subject: string;
  /** RabbitMQ: the exchange to publish to; '' (the default exchange) routes by queue name. */
  readonly exchange?: string;
  /** NATS: publish through JetStream (each message acked by the stream that captures the subject). */
  readonly jetstream?: boolean;
  /** The run's namespace: the reply subject / queue carries it. */
  readonly namespace: string;
  readonly connectTimeoutMs?: number;
}

export interface Publisher {
  readonly description: string;
  /** Opens `n` connections (each a lane), all connected before this resolves. */
  lanes(n: number): Promise<PublishLane[]>;
  /**
   * Starts collecting replies. `subject` (NATS only) listens there; otherwise the run's own reply address (a NATS
   * subject under the namespace, a RabbitMQ queue named after the run) is made and set as every message's reply-to.
   */
  inbox(subject?: string): Promise<{ readonly address: string; readonly replies: readonly Reply[] }>;
  /** What this run made on the broker (deleted by close()). */
  createdNames(): readonly string[];
  /** Which of createdNames() the broker still has (a leak check). */
  leftBehind(): Promise<string[]>;
  close(): Promise<void>;
}

/** What NATS accepts as a subject to publish to: dot-separated tokens, no wildcards, no whitespace. */
export function checkNatsSubject(subject: string): string {
  if (!subject || /[\s*>]/.test(subject) || subject.split('.').some((t) => t === '')) {
    throw new RacelabError('BAD_BROKER', `subject "${subject}": NATS publishes to dot-separated tokens without spaces or wildcards (* >), e.g. orders.created`);
  }
  return subject;
}

function tally(): { ok: number; failed: number; unroutable: number; errors: Map<string, number> } {
  return { ok: 0, failed: 0, unroutable: 0, errors: new Map() };
}

function laneResult(t: ReturnType<typeof tally>): LaneResult {
  return { ok: t.ok, failed: t.failed, unroutable: t.unroutable, errors: [...t.errors].map(([message, count]) => ({ message, count })) };
}

function parseBody(data: Uint8Array): unknown {
  const text = Buffer.from(data).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function openPublisher(o: PublisherOptions): Promise<Publisher> {
  if (o.broker.kind === 'memory' || o.broker.url === undefined) {
    throw new RacelabError('BAD_BROKER', 'publish needs a real broker: nats, rabbitmq, a nats:// or an amqp:// URL');
  }
  return o.broker.kind === 'nats' ? openNatsPublisher(o.broker.url, o) : openRabbitPublisher(o.broker.url, o);
}

async function openNatsPublisher(url: string, o: PublisherOptions): Promise<Publisher> {
  const { headers } = await import('nats');
  const { openNats } = await import('./nats-connect.js');
  const subject = checkNatsSubject(o.subject);
  const timeout = o.connectTimeoutMs ?? 3000;
  const admin = await openNats(url, `${o.namespace}-publish`, timeout);
  const connections = [admin];
  if (o.jetstream) {
    // Before the burst: a subject no stream captures is one line now, not N failed publishes.
    try {
      await (await admin.jetstreamManager()).streams.find(subject);
    } catch (e) {
      await admin.close();
      throw new RacelabError('BAD_BROKER', `NATS JetStream at ${maskBrokerUrl(url)} has no stream for subject "${subject}" (${messageOf(e)}): add one, or publish without JetStream`, { cause: e });
    }
  }
  let replyTo: string | undefined;
  return {
    description: `NATS${o.jetstream ? ' JetStream' : ''} at ${maskBrokerUrl(url)}, subject ${subject}`,
    async lanes(n) {
      const opened = await Promise.all(Array.from({ length: n }, (_, i) => (i === 0 ? Promise.resolve(admin) : openNats(url, `${o.namespace}-lane${i}`, timeout))));
      for (const c of opened) if (!connections.includes(c)) connections.push(c);
      return opened.map((nc) => ({
        async send(batch) {
          const t = tally();
          const fail = (e: unknown, count = 1): void => {
            t.failed += count;
            const m = messageOf(e);
            t.errors.set(m, (t.errors.get(m) ?? 0) + count);
          };
          if (o.jetstream) {
            const js = nc.jetstream();
            const acks = batch.map((m) => {
              const h = headers();
              h.set('Racelab-Id', m.id);
              return js.publish(subject, m.body, { msgID: m.id, headers: h });
            });
            for (const r of await Promise.allSettled(acks)) {
              if (r.status === 'fulfilled') t.ok++;
              else fail(r.reason);
            }
            return laneResult(t);
          }
          for (const m of batch) {
            const h = headers();
            h.set('Racelab-Id', m.id);
            try {
              nc.publish(subject, m.body, { headers: h, ...(replyTo ? { reply: replyTo } : {}) });
              t.ok++;
            } catch (e) {
              fail(e);
            }
          }
          try {
            await nc.flush();
          } catch (e) {
            // The connection died with the batch in its buffer: none of it is known to have left.
            fail(e, t.ok);
            t.ok = 0;
          }
          return laneResult(t);
        },
      }));
    },
    async inbox(listenOn) {
      const address = listenOn !== undefined ? checkNatsSubject(listenOn) : `${o.namespace}.replies`;
      const replies: Reply[] = [];
      const t0 = performance.now();
      admin.subscribe(address, {
        callback: (err, msg) => {
          if (err) return;
          const inReplyTo = msg.headers?.get('Racelab-Id');
          replies.push({ body: parseBody(msg.data), ...(inReplyTo ? { inReplyTo } : {}), atMs: performance.now() - t0 });
        },
      });
      await admin.flush();
      replyTo = address;
      return { address, replies };
    },
    createdNames: () => [],
    leftBehind: async () => [],
    async close() {
      await Promise.all(connections.map((c) => (c.isClosed() ? Promise.resolve() : c.drain().catch(() => c.close()))));
    },
  };
}

async function openRabbitPublisher(url: string, o: PublisherOptions): Promise<Publisher> {
  const { openAmqp } = await import('./rabbitmq.js');
  const exchange = o.exchange ?? '';
  if (!o.subject || Buffer.byteLength(o.subject) > 255) {
    throw new RacelabError('BAD_BROKER', `routing key "${o.subject}": RabbitMQ takes 1 to 255 bytes`);
  }
  const timeout = o.connectTimeoutMs ?? 3000;
  const open = (): Promise<import('amqplib').ChannelModel> => openAmqp(url, timeout);
  const admin = await open();
  const models = [admin];
  const created: string[] = [];
  // A throwaway channel per question: RabbitMQ closes a channel on any refusal.
  const ask = async <T>(fn: (ch: import('amqplib').Channel) => Promise<T>): Promise<T> => {
    const ch = await admin.createChannel();
    ch.on('error', () => undefined);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  };
  if (exchange !== '') {
    try {
      await ask((ch) => ch.checkExchange(exchange));
    } catch (e) {
      await admin.close().catch(() => undefined);
      throw new RacelabError('BAD_BROKER', `RabbitMQ at ${maskBrokerUrl(url)} has no exchange "${exchange}" (${messageOf(e)}): declare it, or publish to a queue by name with the default exchange`, { cause: e });
    }
  }
  let replyTo: string | undefined;
  return {
    description: `RabbitMQ at ${maskBrokerUrl(url)}, ${exchange === '' ? 'default exchange' : `exchange ${exchange}`}, routing key ${o.subject}`,
    async lanes(n) {
      const opened = await Promise.all(Array.from({ length: n }, (_, i) => (i === 0 ? Promise.resolve(admin) : open())));
      for (const m of opened) if (!models.includes(m)) models.push(m);
      return Promise.all(
        opened.map(async (model) => {
          let ch = await model.createConfirmChannel();
          ch.on('error', () => undefined);
          let returned = 0;
          const onReturn = (): void => {
            returned++;
          };
          ch.on('return', onReturn);
          return {
            async send(batch: readonly OutgoingMessage[]): Promise<LaneResult> {
              const t = tally();
              returned = 0;
              const confirms = batch.map(
                (m) =>
                  new Promise<void>((resolve, reject) => {
                    ch.publish(exchange, o.subject, Buffer.from(m.body), { messageId: m.id, correlationId: m.id, contentType: 'application/json', mandatory: true, ...(replyTo ? { replyTo } : {}) }, (err) =>
                      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
                    );
                  }),
              );
              const settled = await Promise.allSettled(confirms);
              for (const r of settled) {
                if (r.status === 'fulfilled') t.ok++;
                else {
                  t.failed++;
                  const msg = messageOf(r.reason);
                  t.errors.set(msg, (t.errors.get(msg) ?? 0) + 1);
                }
              }
              // A returned message is confirmed too (after its basic.return): counted as unroutable, not as taken.
              t.unroutable = returned;
              t.ok -= Math.min(t.ok, returned);
              if (t.failed > 0) {
                // The channel is likely closed by the refusal: the next batch gets a fresh one.
                ch = await model.createConfirmChannel();
                ch.on('error', () => undefined);
                ch.on('return', onReturn);
              }
              return laneResult(t);
            },
          };
        }),
      );
    },
    async inbox(listenOn) {
      if (listenOn !== undefined) {
        throw new RacelabError('BAD_OPTION', 'a fixed reply subject is for NATS; on RabbitMQ racelab makes a reply queue of its own and sets it as reply-to');
      }
      const address = `${o.namespace}-replies`;
      const replies: Reply[] = [];
      const t0 = performance.now();
      const ch = await admin.createChannel();
      ch.on('error', () => undefined);
      // x-expires: gone within ten minutes unused even if this process is killed before close().
      await ch.assertQueue(address, { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-expires': 600_000 } });
      created.push(`queue ${address}`);
      await ch.consume(
        address,
        (m) => {
          if (!m) return;
          const inReplyTo = typeof m.properties.correlationId === 'string' ? m.properties.correlationId : undefined;
          replies.push({ body: parseBody(m.content), ...(inReplyTo ? { inReplyTo } : {}), atMs: performance.now() - t0 });
        },
        { noAck: true },
      );
      replyTo = address;
      return { address, replies };
    },
    createdNames: () => [...created],
    async leftBehind() {
      const left: string[] = [];
      for (const entry of created) {
        const name = entry.slice('queue '.length);
        const checker = await open();
        const ch = await checker.createChannel();
        ch.on('error', () => undefined);
        try {
          await ch.checkQueue(name);
          left.push(entry);
        } catch (e) {
          // NOT_FOUND: gone; RESOURCE_LOCKED: still there, exclusive to a connection still open
          if (/RESOURCE_LOCKED/.test(messageOf(e))) left.push(entry);
        }
        await checker.close().catch(() => undefined);
      }
      return left;
    },
    async close() {
      for (const entry of created) await ask((ch) => ch.deleteQueue(entry.slice('queue '.length))).catch(() => undefined);
      for (const m of models) await m.close().catch(() => undefined);
    },
  };
}
