import { openBroker } from '../../broker/open.js';
import { openStore } from '../../store/open.js';
import { consumerVariant } from './variants.js';

export interface ConsumerWorkerOptions {
  /** A nats:// or amqp:// URL. */
  readonly broker: string;
  /** The namespace the parent declared the queue under. */
  readonly namespace: string;
  readonly variant: string;
  readonly keys: readonly string[];
  readonly ackWaitMs: number;
  /** A postgres:// or redis:// URL with its namespace: the effects must outlive this process. */
  readonly store: string;
  readonly windowMs: number;
  readonly name: string;
  /** Message ids to stop at between effect and ack (printing `window <id>`), for the parent to kill -9 this process there. */
  readonly hold: readonly string[];
  /**
   * A standby: with the store and the broker open, wait for this before consuming; it gives the ids to hold
   * (replacing `hold`), or undefined to exit without consuming. A supervisor keeps one ready so a kill costs no
   * process start.
   */
  readonly go?: Promise<readonly string[] | undefined>;
  /** One line per event: `ready`, `delivered <id> <0|1>`, `applied <id> <key> <seq>`, `window <id>`, `acked <id>`. */
  readonly write: (line: string) => void;
  /** Resolves when the parent says stop (it closes this process's stdin). */
  readonly stopped: Promise<void>;
}

/**
 * One consumer as a process of its own, for kill -9 between effect and ack: it attaches to the queue its parent
 * declared, applies each delivery's effect to a shared store, and reports every step on a line, so the parent
 * counts effects across the processes it kills and restarts. At a held message it stops after the effect and
 * before the ack and says so; the parent's SIGKILL lands exactly there, and the broker sees what it sees when a
 * consumer dies: a connection gone with a message unacked.
 */
export async function runConsumerWorker(o: ConsumerWorkerOptions): Promise<void> {
  const variant = consumerVariant(o.variant);
  const store = await openStore(o.store, { poolSize: 2 });
  const broker = await openBroker(o.broker, { namespace: o.namespace, attach: true });
  try {
    await broker.declare({ name: variant.name, keys: o.keys, perKey: variant.perKey, ackWaitMs: o.ackWaitMs });
    let holdIds = o.hold;
    if (o.go) {
      o.write('standby');
      const armed = await o.go;
      if (armed === undefined) return;
      holdIds = armed;
    }
    const hold = new Set(holdIds);
    const pause = (): Promise<void> => (o.windowMs > 0 ? new Promise((r) => setTimeout(r, o.windowMs)) : Promise.resolve());
    const consumer = await broker.consume(variant.name, o.name, async (d) => {
      const m = d.message;
      o.write(`delivered ${m.id} ${d.redelivered ? 1 : 0}`);
      if (await variant.apply(store, d, { pause })) o.write(`applied ${m.id} ${m.key} ${m.seq}`);
      if (hold.has(m.id)) {
        o.write(`window ${m.id}`);
        await new Promise<never>(() => undefined); // the parent kills this process here
      }
      await d.ack();
      o.write(`acked ${m.id}`);
    });
    o.write('ready');
    await o.stopped;
    await consumer.stop();
  } finally {
    await broker.close();
    await store.close();
  }
}
