import { MemoryBroker } from '../../broker/memory.js';
import { RacelabError } from '../../core/errors.js';
import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import { producerVariants, producerWorkload, type ProducerVariant } from './producer.js';
import { checkSizes, planMessages, readBalances, startConsumers } from './run.js';
import { tally, violations } from './tally.js';
import { consumerVariant } from './variants.js';

export interface ConsumerWorkloadOptions {
  readonly variant: string;
  /** Messages published. Default 2: dfs stays small and every lesson shows. */
  readonly messages?: number;
  /** Keys the messages spread over. Default 1 (one order, one balance: where the races meet). */
  readonly keys?: number;
  /** Consumers of the queue; default the variant's (1 for naive / idempotent, 2 for concurrent / per-key-ordering). */
  readonly consumers?: number;
  /** Most consumer crashes between effect and ack the explorer may place; default the variant's (1 or 0). */
  readonly crashes?: number;
  /** Most ack waits the explorer may let run out before an ack lands; default 0. */
  readonly ackTimeouts?: number;
}

/**
 * The consumer scenario under the explorer: the memory broker and the memory store on the controlled scheduler.
 * A producer task publishes the messages and seals the queue; the consumers are the broker's tasks; the faults
 * (a consumer killed between effect and ack, an ack wait running out) are steps of fault tasks the strategy may
 * schedule in the window between an effect and its ack, or not at all. The invariant is the variant's promise:
 * no duplicate and no lost effect for naive and idempotent, no lost update and no out-of-order application for
 * concurrent and per-key-ordering.
 */
export function consumerWorkload(options: ConsumerWorkloadOptions): Workload {
  if ((producerVariants as readonly string[]).includes(options.variant)) {
    for (const [name, v] of [
      ['keys', options.keys],
      ['consumers', options.consumers],
      ['ackTimeouts', options.ackTimeouts],
    ] as const) {
      if (v !== undefined) {
        throw new RacelabError('BAD_OPTION', `does not apply to variant ${options.variant} (the producer side: one key, one idempotent consumer); it takes \`messages\` and \`crashes\``, { subject: name });
      }
    }
    checkSizes(options.messages ?? 2, 1, undefined);
    if (options.crashes !== undefined && (!Number.isInteger(options.crashes) || options.crashes < 0 || options.crashes > 100)) {
      throw new RacelabError('BAD_COUNT', `"${options.crashes}" must be a whole number from 0 to 100`, { subject: 'crashes' });
    }
    return producerWorkload({ variant: options.variant as ProducerVariant, messages: options.messages, crashes: options.crashes });
  }
  const variant = consumerVariant(options.variant);
  const messages = options.messages ?? 2;
  const keyCount = options.keys ?? 1;
  checkSizes(messages, keyCount, options.consumers);
  const consumers = options.consumers ?? variant.consumers;
  const crashes = options.crashes ?? variant.crashes;
  const ackTimeouts = options.ackTimeouts ?? 0;
  for (const [name, n] of [
    ['crashes', crashes],
    ['ackTimeouts', ackTimeouts],
  ] as const) {
    if (!Number.isInteger(n) || n < 0 || n > 100) throw new RacelabError('BAD_COUNT', `"${n}" must be a whole number from 0 to 100`, { subject: name });
  }
  const keys = Array.from({ length: keyCount }, (_, i) => `k${i + 1}`);
  const plan = planMessages(messages, keys);
  return {
    name: 'consumer',
    params: { variant: variant.name, messages, keys: keyCount, consumers, crashes, ...(ackTimeouts ? { ackTimeouts } : {}) },
    async setup(ctx) {
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note });
      const broker = new MemoryBroker({ scheduler: ctx.scheduler, note: ctx.note });
      const queue = 'orders';
      await broker.declare({ name: queue, keys, perKey: variant.perKey });
      const side = await startConsumers(broker, store, variant, queue, { consumers, context: { pause: async () => undefined } });
      if (crashes > 0) broker.faults(queue, 'crash', crashes);
      if (ackTimeouts > 0) broker.faults(queue, 'ack-timeout', ackTimeouts);
      return {
        tasks: [
          [
            'producer',
            async () => {
              for (const m of plan) await broker.publish(queue, m);
              broker.seal(queue);
            },
          ],
        ],
        invariant: async () => {
          const stats = side.consumers.map((c) => c.stats);
          const t = tally(plan, side.applications, await readBalances(store, keys), {
            redeliveries: stats.reduce((s, c) => s + c.redeliveries, 0),
            crashes: stats.reduce((s, c) => s + c.crashes, 0),
          });
          const bad = violations(variant, t);
          return bad.length === 0 || `${variant.name}: ${bad.join(', ')} (${t.published} published, ${t.effectsApplied} effects applied, ${t.redeliveries} redeliveries)`;
        },
      };
    },
  };
}
