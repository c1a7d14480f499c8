/**
 * The SIGKILL-a-consumer-process suite, for one real broker (spawns the built CLI's hidden consumer-worker:
 * `npm run build` first); effects in PostgreSQL. One test file per broker, so each runs on its own and in budget.
 */
import { describe, expect, it } from 'vitest';
import { resolveBroker } from '../../src/broker/open.js';
import { runKilledConsumers } from '../../src/scenarios/consumer/kill.js';
import { consumerVariant } from '../../src/scenarios/consumer/variants.js';
import { PG_URL, serviceAvailable } from './services.js';

export async function killedConsumerSuite(o: { readonly name: string; readonly url: string; readonly kills: number; readonly ackWaitMs: number }): Promise<void> {
  const up = (await serviceAvailable('PostgreSQL', PG_URL)) && (await serviceAvailable(o.name, o.url));
  describe.skipIf(!up)(`consumer processes killed with SIGKILL on ${o.name}`, () => {
    const run = (variant: string, kills: number, messages: number) =>
      runKilledConsumers({
        broker: resolveBroker(o.url),
        storeUrl: PG_URL,
        variant: consumerVariant(variant),
        messages,
        keys: ['k1', 'k2'],
        kills,
        seed: 4,
        ackWaitMs: o.ackWaitMs,
        windowMs: 0,
        timeoutMs: 120_000,
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
    }, 60_000);

    it(`idempotent: exactly once over ${o.kills} kills`, async () => {
      const r = await run('idempotent', o.kills, o.kills + 2);
      expect(r.settled).toBe(true);
      expect(r.killed).toHaveLength(o.kills);
      expect(new Set(r.killed).size).toBe(o.kills);
      expect(r.tally.redeliveries).toBeGreaterThanOrEqual(o.kills);
      expect(r.tally.effectsApplied).toBe(o.kills + 2);
      expect(r.tally.duplicates).toBe(0);
      expect(r.tally.lostEffects).toBe(0);
    }, 120_000);
  });
}
