/**
 * kill -9 of a real consumer process between its effect and its ack, on real RabbitMQ, with the effects in
 * PostgreSQL (spawns the built CLI's hidden consumer-worker: `npm run build` first). Slow by nature: each kill
 * costs a process start (1 to 4 s on a loaded machine). NATS has its own file (kill-processes-nats.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { resolveBroker } from '../../src/broker/open.js';
import { runKilledConsumers } from '../../src/scenarios/consumer/kill.js';
import { consumerVariant } from '../../src/scenarios/consumer/variants.js';
import { AMQP_URL, PG_URL, serviceAvailable } from '../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', PG_URL);
const targets = [{ kind: 'rabbitmq', url: AMQP_URL, up: await serviceAvailable('RabbitMQ', AMQP_URL), kills: 20 }] as const;

for (const { kind, url, up, kills } of targets) {
  describe.skipIf(!up || !pgUp)(`consumer processes killed with SIGKILL on ${kind}`, () => {
    const run = (variant: string, kills: number, messages: number) =>
      runKilledConsumers({
        broker: resolveBroker(url),
        storeUrl: PG_URL,
        variant: consumerVariant(variant),
        messages,
        keys: ['k1', 'k2'],
        kills,
        seed: 4,
        ackWaitMs: 1000,
        windowMs: 0,
        timeoutMs: 240_000,
        prefix: 'rltest',
      });

    it('naive: each process killed between effect and ack leaves its message applied twice, by id', async () => {
      const r = await run('naive', 2, 6);
      expect(r.settled).toBe(true);
      expect(r.killed).toHaveLength(2);
      expect(r.tally.crashes).toBe(2);
      expect(r.tally.duplicates).toBe(2);
      expect([...r.tally.duplicatedIds].sort()).toEqual([...r.killed].sort());
      expect(r.tally.effectsApplied).toBe(8);
    }, 120_000);

    it(`idempotent: exactly once over ${kills} kills`, async () => {
      const r = await run('idempotent', kills, kills + 2);
      expect(r.settled).toBe(true);
      expect(r.killed).toHaveLength(kills);
      expect(r.tally.redeliveries).toBeGreaterThanOrEqual(kills);
      expect(r.tally.effectsApplied).toBe(kills + 2);
      expect(r.tally.duplicates).toBe(0);
      expect(r.tally.lostEffects).toBe(0);
    }, 300_000);
  });
}
