import type { Broker, BrokerMessage, ConsumeOptions, Consumer } from '../../broker/broker.js';
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
  options: { readonly consumers: number; readonly context: EffectContext; readonly consume?: ConsumeOptions },
): Promise<ConsumerSide> {
  const side: ConsumerSide = { applications: [], acked: new Set(), consumers: [] };
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
          } catch (e) {
            side.error ??= e;
            throw e;
          }
          await d.ack();
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
  /** Consumers that hold an ack past the ack wait (the broker redelivers meanwhile). */
  readonly pauses?: number;
  readonly seed: number;
  /** Real milliseconds between a read-modify-write's read and its write. */
  readonly windowMs: number;
  readonly ackWaitMs: number;
  /** Give up waiting for every message to be acked after this long. */
  readonly settleTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** Called once the queue is declared (its names exist on the broker) and the messages are published. */
  readonly onPublished?: () => void;
}

export interface ConsumerRunResult {
  readonly tally: ConsumerTally;
  /** Every message was acked before the settle timeout (or the signal). */
  readonly settled: boolean;
}

/**
 * One run of a variant on a real broker (or the memory broker on the real scheduler): declare the queue, start the
 * consumers with the seeded fault plan, publish, wait until every message is acked, and tally.
 */
export async function runConsumerVariant(o: ConsumerRunOptions): Promise<ConsumerRunResult> {
  const queue = o.variant.name;
  const random = Random.seeded(o.seed);
  const messages = planMessages(o.messages, o.keys);
  const crashes = Math.min(o.crashes ?? o.variant.crashes, messages.length);
  const pauses = Math.min(o.pauses ?? 0, messages.length - crashes);
  // Distinct messages, chosen by the seed: the first delivery of each crashes (or pauses) its consumer at the ack.
  const order = random.shuffle(messages.map((m) => m.id));
  const crashAt = new Set(order.slice(0, crashes));
  const pauseAt = new Set(order.slice(crashes, crashes + pauses));
  const struck = new Set<string>();
  await o.broker.declare({ name: queue, keys: o.keys, perKey: o.variant.perKey, ackWaitMs: o.ackWaitMs });
  // Published before any consumer starts: a backlog, as after a deploy or an outage, so the consumers are busy
  // at once and side by side (published one by one into idle consumers, the messages would rarely overlap).
  for (const m of messages) {
    if (o.signal?.aborted) break;
    await o.broker.publish(queue, m);
  }
  o.onPublished?.();
  const side = await startConsumers(o.broker, o.store, o.variant, queue, {
    consumers: o.consumers ?? o.variant.consumers,
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
  while (side.acked.size < messages.length && side.error === undefined && Date.now() < deadline && !o.signal?.aborted) await new Promise((r) => setTimeout(r, 20));
  if (side.error !== undefined) {
    for (const c of side.consumers) await c.stop();
    throw side.error;
  }
  const settled = side.acked.size === messages.length;
  // A paused ack lands after the broker redelivered; give a late duplicate the time to show.
  if (settled && pauses > 0) await new Promise((r) => setTimeout(r, Math.min(o.ackWaitMs, 1000)));
  for (const c of side.consumers) await c.stop();
  const stats = side.consumers.map((c) => c.stats);
  const result = tally(messages, side.applications, await readBalances(o.store, o.keys), {
    redeliveries: stats.reduce((s, c) => s + c.redeliveries, 0),
    crashes: stats.reduce((s, c) => s + c.crashes, 0),
  });
  return { tally: result, settled };
}

export function checkSizes(messages: number, keys: number, consumers: number | undefined): void {
  if (!Number.isInteger(messages) || messages < 1 || messages > 100_000) throw new RacelabError('BAD_COUNT', `--messages: "${messages}" must be a whole number from 1 to 100000`);
  if (!Number.isInteger(keys) || keys < 1 || keys > 64) throw new RacelabError('BAD_COUNT', `--keys: "${keys}" must be a whole number from 1 to 64`);
  if (consumers !== undefined && (!Number.isInteger(consumers) || consumers < 1 || consumers > 16)) throw new RacelabError('BAD_COUNT', `--consumers: "${consumers}" must be a whole number from 1 to 16`);
}
