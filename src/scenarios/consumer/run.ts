import { AckLost, type Broker, type BrokerMessage, type ConsumeOptions, type Consumer } from '../../broker/broker.js';
import { RacelabError } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import type { Store } from '../../store/store.js';
import { tally, type Application, type ConsumerTally } from './tally.js';
import { balanceKey, type ConsumerVariant, type EffectContext } from './variants.js';

/** The messages a run publishes: `count` of them, keys round-robin, numbered per key, amount 1 each. */
export function planMessages(count: number, keys: readonly string[]): BrokerMessage[] {
  const seqs = new Map<string, number>();
  return Array.from({ length: count }, (_, i) => {
    const key = keys[i % keys.length] as string;
    const seq = (seqs.get(key) ?? 0) + 1;
    seqs.set(key, seq);
    return { id: `m${i + 1}`, key, seq, amount: 1 };
  });
}

export interface ConsumerSide {
  readonly applications: Application[];
  /** Ids whose ack landed. */
  readonly acked: Set<string>;
  /** Ids whose ack went out and got no answer (AckLost): the broker may or may not have taken it. */
  readonly ackLost: Set<string>;
  readonly consumers: Consumer[];
  /** The first error a handler threw (a store gone mid-run): the run stops and reports it. */
  error?: unknown;
}

/**
 * Starts the variant's consumers on `queue`: each delivery is applied to the store, recorded, then acked. The
 * record comes after the effect and before the ack, which is where a crash leaves a message applied and unacked.
 */
export async function startConsumers(
  broker: Broker,
  store: Store,
  variant: ConsumerVariant,
  queue: string,
  options: {
    readonly consumers: number;
    readonly context: EffectContext;
    readonly consume?: ConsumeOptions;
    /** Runs after each recorded effect, before its ack, with the number of effects so far (a broker restart). */
    readonly afterEffect?: (applied: number) => Promise<void>;
  },
): Promise<ConsumerSide> {
  const side: ConsumerSide = { applications: [], acked: new Set(), ackLost: new Set(), consumers: [] };
  for (let i = 1; i <= options.consumers; i++) {
    const name = `c${i}`;
    side.consumers.push(
      await broker.consume(
        queue,
        name,
        async (d) => {
          const m = d.message;
          try {
            if (await variant.apply(store, d, options.context)) {
              side.applications.push({ id: m.id, key: m.key, seq: m.seq, amount: m.amount, consumer: name, redelivered: d.redelivered });
            }
            await options.afterEffect?.(side.applications.length);
          } catch (e) {
            side.error ??= e;
            throw e;
          }
          try {
            await d.ack();
          } catch (e) {
            if (e instanceof AckLost) side.ackLost.add(m.id);
            throw e;
          }
          side.acked.add(m.id);
        },
        options.consume,
      ),
    );
  }
  return side;
}

/** The final balance of every key, read from the store. */
export async function readBalances(store: Store, keys: readonly string[]): Promise<Map<string, number>> {
  const balances = new Map<string, number>();
  for (const key of keys) balances.set(key, await store.get(balanceKey(key)));
  return balances;
}

export interface ConsumerRunOptions {
  readonly broker: Broker;
  readonly store: Store;
  readonly variant: ConsumerVariant;
  readonly messages: number;
  readonly keys: readonly string[];
  readonly consumers?: number;
  /** Consumers killed between effect and ack, each on the first delivery of a message the seed picks. */
  readonly crashes?: number;
  /**
   * Consumers that hold an ack past the ack wait: the broker redelivers the message meanwhile, to the other
   * consumer (a run with pauses has at least two).
   */
  readonly pauses?: number;
  /**
   * Broker restarts mid-run: `restartBroker` is called (and awaited) between an effect and its ack, each time the
   * effects applied pass another 1/(restarts+1) of the messages. The broker must survive it (NATS with
   * reconnectWithinMs).
   */
  readonly restarts?: number;
  readonly restartBroker?: () => Promise<void>;
  readonly seed: number;
  /** Real milliseconds between a read-modify-write's read and its write. */
  readonly windowMs: number;
  readonly ackWaitMs: number;
  /** Give up waiting for every message to be acked after this long. */
  readonly settleTimeoutMs: number;
  readonly signal?: AbortSignal;
  /**
   * Called once the queue is declared (its names exist on the broker) and the messages are published, with the
   * number published (fewer than asked if the signal came meanwhile).
   */
  readonly onPublished?: (published: number) => void;
}

export interface ConsumerRunResult {
  readonly tally: ConsumerTally;
  /** Every message was acked before the settle timeout (or the signal), and the broker holds none of them. */
  readonly settled: boolean;
  /** Consumers the run had (pauses make it at least two). */
  readonly consumers: number;
  readonly brokerRestarts: number;
  /** Acks that got no answer (the broker was restarting). */
  readonly acksLost: number;
}

/**
 * One run of a variant on a real broker (or the memory broker on the real scheduler): declare the queue, start the
 * consumers with the seeded fault plan, publish, wait until every message is acked, and tally.
 */
export async function runConsumerVariant(o: ConsumerRunOptions): Promise<ConsumerRunResult> {
  const queue = o.variant.name;
  const random = Random.seeded(o.seed);
  const planned = planMessages(o.messages, o.keys);
  const crashes = Math.min(o.crashes ?? o.variant.crashes, planned.length);
  const pauses = Math.min(o.pauses ?? 0, planned.length - crashes);
  // Distinct messages, chosen by the seed: the first delivery of each crashes (or pauses) its consumer at the ack.
  const order = random.shuffle(planned.map((m) => m.id));
  const crashAt = new Set(order.slice(0, crashes));
  const pauseAt = new Set(order.slice(crashes, crashes + pauses));
  const struck = new Set<string>();
  await o.broker.declare({ name: queue, keys: o.keys, perKey: o.variant.perKey, ackWaitMs: o.ackWaitMs });
  // Published before any consumer starts: a backlog, as after a deploy or an outage, so the consumers are busy
  // at once and side by side (published one by one into idle consumers, the messages would rarely overlap).
  let sent = 0;
  for (const m of planned) {
    if (o.signal?.aborted) break;
    await o.broker.publish(queue, m);
    sent++;
  }
  // Stopped while publishing: the run is about the messages that went out, not the ones planned.
  const messages = planned.slice(0, sent);
  o.onPublished?.(sent);
  const consumers = o.consumers ?? (pauses > 0 ? Math.max(2, o.variant.consumers) : o.variant.consumers);
  const restarts = o.restartBroker ? Math.min(o.restarts ?? 0, messages.length) : 0;
  let restarted = 0;
  let restarting: Promise<void> | undefined;
  // Between an effect and its ack, in the consumer that crossed the threshold: the other consumers run on, and meet
  // the broker gone. One restart at a time; a consumer that arrives during one waits for it.
  const afterEffect = async (applied: number): Promise<void> => {
    while (restarted < restarts && applied >= Math.ceil(((restarted + 1) * messages.length) / (restarts + 1))) {
      restarting ??= (o.restartBroker as () => Promise<void>)().finally(() => {
        restarted++;
        restarting = undefined;
      });
      await restarting;
    }
  };
  const side = await startConsumers(o.broker, o.store, o.variant, queue, {
    consumers,
    ...(restarts > 0 ? { afterEffect } : {}),
    context: { pause: () => (o.windowMs > 0 ? new Promise((r) => setTimeout(r, o.windowMs)) : Promise.resolve()) },
    consume: {
      beforeAck: (m) => {
        if (struck.has(m.id)) return undefined;
        if (crashAt.has(m.id) || pauseAt.has(m.id)) struck.add(m.id);
        return crashAt.has(m.id) ? 'crash' : pauseAt.has(m.id) ? 'pause' : undefined;
      },
    },
  });
  const deadline = Date.now() + o.settleTimeoutMs;
  let settled = false;
  let askedBroker = 0;
  try {
    while (side.error === undefined && Date.now() < deadline && !o.signal?.aborted) {
      // Every message acked, or its ack unanswered; then the broker's own count, since a broker killed mid-run may
      // have lost acks it answered (it redelivers those) and may have taken acks it did not answer.
      const local = messages.every((m) => side.acked.has(m.id) || side.ackLost.has(m.id));
      const askBroker = o.broker.outstanding !== undefined && (restarts > 0 || side.ackLost.size > 0);
      if (local && restarted === restarts && !askBroker && side.acked.size === messages.length) {
        settled = true;
        break;
      }
      if (local && restarted === restarts && askBroker && Date.now() - askedBroker > 200) {
        askedBroker = Date.now();
        if ((await o.broker.outstanding?.(queue)) === 0) {
          settled = true;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    side.error ??= e;
  }
  if (side.error !== undefined) {
    for (const c of side.consumers) await c.stop();
    throw side.error;
  }
  // A paused ack lands after the broker redelivered; give a late duplicate the time to show.
  if (settled && pauses > 0) await new Promise((r) => setTimeout(r, Math.min(o.ackWaitMs, 1000)));
  for (const c of side.consumers) await c.stop();
  const stats = side.consumers.map((c) => c.stats);
  const result = tally(messages, side.applications, await readBalances(o.store, o.keys), {
    redeliveries: stats.reduce((s, c) => s + c.redeliveries, 0),
    crashes: stats.reduce((s, c) => s + c.crashes, 0),
    pauses: [...pauseAt].filter((id) => struck.has(id)).length,
    brokerRestarts: restarted,
  });
  return { tally: result, settled, consumers, brokerRestarts: restarted, acksLost: stats.reduce((s, c) => s + (c.acksLost ?? 0), 0) };
}

export function checkSizes(messages: number, keys: number, consumers: number | undefined): void {
  if (!Number.isInteger(messages) || messages < 1 || messages > 100_000) throw new RacelabError('BAD_COUNT', `"${messages}" must be a whole number from 1 to 100000`, { subject: 'messages' });
  if (!Number.isInteger(keys) || keys < 1 || keys > 64) throw new RacelabError('BAD_COUNT', `"${keys}" must be a whole number from 1 to 64`, { subject: 'keys' });
  if (consumers !== undefined && (!Number.isInteger(consumers) || consumers < 1 || consumers > 16)) throw new RacelabError('BAD_COUNT', `"${consumers}" must be a whole number from 1 to 16`, { subject: 'consumers' });
}
