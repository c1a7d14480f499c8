/**
 * kill -9 of a real consumer process between its effect and its ack, on real NATS JetStream, with the effects in
 * PostgreSQL (spawns the built CLI's hidden consumer-worker: `npm run build` first): 20 kills of the idempotent
 * consumer, each followed by a fresh process and JetStream's redelivery after a 500 ms ack wait.
 */
import { describe, expect, it } from 'vitest';
import { resolveBroker } from '../../src/broker/open.js';
import { runKilledConsumers } from '../../src/scenarios/consumer/kill.js';
import { consumerVariant } from '../../src/scenarios/consumer/variants.js';
import { NATS_URL, PG_URL, serviceAvailable } from '../helpers/services.js';

const up = (await serviceAvailable('PostgreSQL', PG_URL)) && (await serviceAvailable('NATS', NATS_URL));

describe.skipIf(!up)('consumer processes killed with SIGKILL on NATS JetStream', () => {
  const run = (variant: string, kills: number, messages: number) =>
    runKilledConsumers({
      broker: resolveBroker(NATS_URL),
      storeUrl: PG_URL,
      variant: consumerVariant(variant),
      messages,
      keys: ['k1', 'k2'],
      kills,
      seed: 4,
      ackWaitMs: 500,
      windowMs: 0,
      timeoutMs: 120_000,
      prefix: 'rltest',
    });

  it('naive: each process killed between effect and ack leaves its message applied twice, by id', async () => {
    const r = await run('naive', 2, 6);
    expect(r.settled).toBe(true);
    expect(r.killed).toHaveLength(2);
    expect(r.tally.duplicates).toBe(2);
    expect([...r.tally.duplicatedIds].sort()).toEqual([...r.killed].sort());
    expect(r.tally.effectsApplied).toBe(8);
  }, 60_000);

  it('idempotent: exactly once over 20 kills', async () => {
    const r = await run('idempotent', 20, 22);
    expect(r.settled).toBe(true);
    expect(r.killed).toHaveLength(20);
    expect(new Set(r.killed).size).toBe(20);
    expect(r.tally.redeliveries).toBeGreaterThanOrEqual(20);
    expect(r.tally.effectsApplied).toBe(22);
    expect(r.tally.duplicates).toBe(0);
    expect(r.tally.lostEffects).toBe(0);
  }, 120_000);
});
