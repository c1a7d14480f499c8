import { RacelabError } from '../../core/errors.js';
import type { BrokerMessage, Delivery } from '../../broker/broker.js';
import type { Store } from '../../store/store.js';

/**
 * The consumer scenario's application code, written once against the Broker and Store ports, as a payment
 * service would write it: take a message, add its amount to the key's balance in the store, ack. The variants
 * differ only in how they apply the effect and how the queue is laid out.
 */
export interface ConsumerVariant {
  readonly name: string;
  readonly summary: string;
  /** Which side of the lesson it is on. */
  readonly form: 'vulnerable' | 'fixed';
  /** What the variant is about, and so which numbers its verdict rests on. */
  readonly checks: ReadonlyArray<'duplicates' | 'lostUpdates' | 'outOfOrder' | 'lostEffects'>;
  /** Consumers of the one queue it runs (the default; a workload may override). */
  readonly consumers: number;
  /** Route messages of one key to one consumer at a time, in order. */
  readonly perKey: boolean;
  /** Faults the lesson needs by default: consumers killed between effect and ack. */
  readonly crashes: number;
  /**
   * Applies the delivery's effect and reports whether it did (an idempotent consumer skips a message it has
   * seen). It does not ack: the caller records the effect, then acks, so a crash between them is visible.
   */
  apply(store: Store, delivery: Delivery, context: EffectContext): Promise<boolean>;
}

export interface EffectContext {
  /** Waits between a read and its write (real time on real brokers, virtual under the explorer; 0 = none). */
  pause(): Promise<void>;
}

export const balanceKey = (key: string): string => `balance:${key}`;
export const processedKey = (id: string): string => `processed:${id}`;

/** Read, then write read + amount: two statements, as an ORM's load-modify-save makes them. */
async function readModifyWrite(store: Store, m: BrokerMessage, context: EffectContext): Promise<boolean> {
  const balance = await store.get(balanceKey(m.key));
  await context.pause();
  await store.set(balanceKey(m.key), balance + m.amount);
  return true;
}

export const consumerVariants: readonly ConsumerVariant[] = [
  {
    name: 'naive',
    summary: 'apply the effect (an atomic increment), then ack: a consumer that dies between the two gets the message again',
    form: 'vulnerable',
    checks: ['duplicates', 'lostEffects'],
    consumers: 1,
    perKey: false,
    crashes: 1,
    apply: async (store, d) => {
      await store.increment(balanceKey(d.message.key), d.message.amount);
      return true;
    },
  },
  {
    name: 'idempotent',
    summary: 'one transaction applies the effect and stores the message id; a redelivered id is skipped',
    form: 'fixed',
    checks: ['duplicates', 'lostEffects', 'lostUpdates'],
    consumers: 1,
    perKey: false,
    crashes: 1,
    apply: (store, d) =>
      store.transaction(async (tx) => {
        if ((await tx.get(processedKey(d.message.id))) !== 0) return false;
        await tx.set(balanceKey(d.message.key), (await tx.get(balanceKey(d.message.key))) + d.message.amount);
        await tx.set(processedKey(d.message.id), 1);
        return true;
      }),
  },
  {
    name: 'concurrent',
    summary: 'two consumers share the queue and each does read-modify-write on the key: both read before either writes',
    form: 'vulnerable',
    checks: ['lostUpdates', 'outOfOrder'],
    consumers: 2,
    perKey: false,
    crashes: 0,
    apply: (store, d, context) => readModifyWrite(store, d.message, context),
  },
  {
    name: 'per-key-ordering',
    summary: "the same read-modify-write, but a key's messages go to one consumer at a time, in order",
    form: 'fixed',
    checks: ['lostUpdates', 'outOfOrder'],
    consumers: 2,
    perKey: true,
    crashes: 0,
    apply: (store, d, context) => readModifyWrite(store, d.message, context),
  },
];

export function consumerVariant(name: string): ConsumerVariant {
  const v = consumerVariants.find((x) => x.name === name);
  if (!v) {
    throw new RacelabError(
      'UNKNOWN_VARIANT',
      `"${name}" is not a consumer variant; use one of ${consumerVariants.map((x) => x.name).join(', ')} (explore also takes dual-write and outbox, the producer side)`,
      { subject: 'variant' },
    );
  }
  return v;
}
