/**
 * The consumer scenario's verdicts on real NATS JetStream and real RabbitMQ: consumers killed between effect and
 * ack (their connection dropped with the message unacked, as kill -9 leaves it), two consumers of one key, and
 * the fixes; and nothing left on the broker afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { brokerNamespace } from '../../src/broker/names.js';
import type { NatsBroker } from '../../src/broker/nats.js';
import { openBroker } from '../../src/broker/open.js';
import type { RabbitBroker } from '../../src/broker/rabbitmq.js';
import { runConsumerVariant } from '../../src/scenarios/consumer/run.js';
import { consumerVariant } from '../../src/scenarios/consumer/variants.js';
import { MemoryStore } from '../../src/store/memory.js';
import { AMQP_URL, NATS_URL, serviceAvailable } from '../helpers/services.js';

const brokers = [
  { kind: 'nats', url: NATS_URL, up: await serviceAvailable('NATS', NATS_URL) },
  { kind: 'rabbitmq', url: AMQP_URL, up: await serviceAvailable('RabbitMQ', AMQP_URL) },
] as const;

/** What of `broker`'s creations is still on the server, asked over a connection of its own. */
async function leftBehind(kind: 'nats' | 'rabbitmq', url: string, namespace: string, created: readonly string[]): Promise<string[]> {
  const checker = await openBroker(url, { namespace: brokerNamespace('rltest-check') });
  try {
    if (kind === 'nats') return await (checker as NatsBroker).listStreams(namespace);
    return await (checker as RabbitBroker).leftBehind(created);
  } finally {
    await checker.close();
  }
}

for (const { kind, url, up } of brokers) {
  describe.skipIf(!up)(`consumer scenario on ${kind}`, { timeout: 120_000 }, () => {
    const opened: Array<{ broker: Broker; namespace: string }> = [];
    const open = async (): Promise<Broker> => {
      const namespace = brokerNamespace('rltest');
      const broker = await openBroker(url, { namespace });
      opened.push({ broker, namespace });
      return broker;
    };
    afterAll(async () => {
      for (const { broker, namespace } of opened) {
        const created = broker.createdNames();
        await broker.close();
        expect(created.length).toBeGreaterThan(0);
        expect(await leftBehind(kind, url, namespace, created)).toEqual([]);
      }
    });

    const run = async (variant: string, o: { messages: number; keys: string[]; crashes: number; seed?: number }) =>
      runConsumerVariant({
        broker: await open(),
        store: new MemoryStore(),
        variant: consumerVariant(variant),
        messages: o.messages,
        keys: o.keys,
        crashes: o.crashes,
        seed: o.seed ?? 7,
        windowMs: 10,
        ackWaitMs: 1000,
        settleTimeoutMs: 30_000,
      });

    it('naive: a consumer killed between effect and ack applies that message twice, named and counted', async () => {
      const { tally, settled } = await run('naive', { messages: 12, keys: ['k1', 'k2'], crashes: 3 });
      expect(settled).toBe(true);
      expect(tally.crashes).toBe(3);
      expect(tally.redeliveries).toBeGreaterThanOrEqual(3);
      expect(tally.duplicates).toBe(3);
      expect(tally.effectsApplied).toBe(15);
      expect(tally.duplicatedIds).toHaveLength(3);
      for (const id of tally.duplicatedIds) expect(id).toMatch(/^m\d+$/);
      expect(tally.lostEffects).toBe(0);
    });

    it('idempotent: each message applied exactly once over 20 kills between effect and ack', async () => {
      const { tally, settled } = await run('idempotent', { messages: 30, keys: ['k1', 'k2', 'k3'], crashes: 20 });
      expect(settled).toBe(true);
      expect(tally.crashes).toBe(20);
      expect(tally.redeliveries).toBeGreaterThanOrEqual(20);
      expect(tally.effectsApplied).toBe(30);
      expect(tally.duplicates).toBe(0);
      expect(tally.lostEffects).toBe(0);
      expect(tally.lostUpdates).toBe(0);
    });

    it('concurrent: two consumers of one key lose updates; per-key-ordering loses none and keeps order', async () => {
      const concurrent = await run('concurrent', { messages: 20, keys: ['k1'], crashes: 0 });
      expect(concurrent.settled).toBe(true);
      expect(concurrent.tally.lostUpdates).toBeGreaterThan(0);
      const perKey = await run('per-key-ordering', { messages: 20, keys: ['k1'], crashes: 0 });
      expect(perKey.settled).toBe(true);
      // What per-key ordering claims: no update lost, none out of order, every message applied. It does not claim
      // exactly once: a delivery the broker makes again (seen once in CI on RabbitMQ: 21 effects for 20) is applied
      // again, and only a redelivery can do that.
      expect(perKey.tally.lostEffects).toBe(0);
      expect(perKey.tally.effectsApplied).toBe(20 + perKey.tally.duplicates);
      expect(perKey.tally.duplicates).toBeLessThanOrEqual(perKey.tally.redeliveries);
      expect(perKey.tally.lostUpdates).toBe(0);
      expect(perKey.tally.outOfOrder).toBe(0);
    });

    it('a consumer stopped at once, while it is still connecting, stops and takes nothing (a Ctrl+C right after publishing once hung here)', async () => {
      const broker = await open();
      await broker.declare({ name: 'q', keys: ['k'], perKey: false, ackWaitMs: 1000 });
      await broker.publish('q', { id: 'm1', key: 'k', seq: 1, amount: 1 });
      const delivered: string[] = [];
      const consumer = await broker.consume('q', 'c1', async (d) => {
        delivered.push(d.message.id);
        await d.ack();
      });
      const stopped = consumer.stop().then(() => 'stopped');
      expect(await Promise.race([stopped, new Promise((r) => setTimeout(() => r('still running after 5 s'), 5000))])).toBe('stopped');
      await new Promise((r) => setTimeout(r, 300));
      expect(delivered).toEqual([]);
    });

    it('a broker that refuses a name, or is down, is one line with a code', async () => {
      const refused = await openBroker(url, { namespace: kind === 'nats' ? 'rl.bad' : 'amq.rltest' });
      await expect(refused.declare({ name: 'q', keys: ['k1'] })).rejects.toMatchObject({ code: 'BAD_BROKER', message: expect.stringMatching(/refused/) });
      await refused.close();
      const down = kind === 'nats' ? 'nats://127.0.0.1:1' : 'amqp://guest:guest@127.0.0.1:1';
      await expect(openBroker(down, { namespace: 'rltest-down', connectTimeoutMs: 1000 })).rejects.toMatchObject({ code: 'UNREACHABLE' });
      if (kind === 'rabbitmq') {
        const wrong = url.replace(/\/\/[^@]*@/, '//guest:wrong@');
        await expect(openBroker(wrong, { namespace: 'rltest-cred' })).rejects.toMatchObject({ code: 'BAD_BROKER', message: expect.stringMatching(/refused the credentials/) });
      }
    });
  });
}
