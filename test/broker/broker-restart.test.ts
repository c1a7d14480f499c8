/**
 * A broker killed (SIGKILL) and started again mid-run: a private nats-server of the test's own (the shared one at
 * :4222 is never touched), restarted on its port and store directory while consumers run against it in reconnect
 * mode. Needs /usr/sbin/nats-server (RACELAB_NATS_SERVER elsewhere).
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerNamespace } from '../../src/broker/names.js';
import { startPrivateNatsServer, type PrivateNatsServer } from '../../src/broker/nats-server.js';
import { openBroker } from '../../src/broker/open.js';
import { tcpAnswers } from '../../src/core/tcp.js';
import { runConsumerVariant } from '../../src/scenarios/consumer/run.js';
import { consumerVariant } from '../../src/scenarios/consumer/variants.js';
import { MemoryStore } from '../../src/store/memory.js';

const binary = process.env.RACELAB_NATS_SERVER ?? '/usr/sbin/nats-server';
const present = existsSync(binary);
if (!present) {
  if (process.env.CI === 'true') throw new Error(`${binary} is missing (CI=true: tests that need it fail rather than skip)`);
  console.warn(`skipping broker restart tests: ${binary} is missing`);
}

describe.skipIf(!present)('a private nats-server killed and restarted', { timeout: 40_000 }, () => {
  let server: PrivateNatsServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('answers on a loopback port, stops answering when killed, comes back on the same port and store, and leaves nothing', async () => {
    server = await startPrivateNatsServer({ binary });
    const { port, storeDir } = server;
    expect(server.url).toBe(`nats://127.0.0.1:${port}`);
    expect(await tcpAnswers('127.0.0.1', port)).toBe(true);
    await server.kill();
    expect(await tcpAnswers('127.0.0.1', port)).toBe(false);
    await server.start();
    expect(await tcpAnswers('127.0.0.1', port)).toBe(true);
    await server.restart();
    expect(server.restarts).toBe(1);
    expect(existsSync(storeDir)).toBe(true);
    await server.stop();
    expect(await tcpAnswers('127.0.0.1', port)).toBe(false);
    expect(existsSync(storeDir)).toBe(false);
  });

  it('a server that cannot start is one line naming the binary, and no store directory is left', async () => {
    await expect(startPrivateNatsServer({ binary: '/nonexistent/nats-server' })).rejects.toThrow(/^could not start \/nonexistent\/nats-server on 127\.0\.0\.1:\d+: .*ENOENT[^\n]*$/);
  });

  for (const variant of ['naive', 'idempotent'] as const) {
    it(`${variant}: consumers in reconnect mode survive 3 SIGKILLs of the broker; every message applied${variant === 'idempotent' ? ' exactly once' : ''}`, async () => {
      server = await startPrivateNatsServer({ binary });
      const s = server;
      const broker = await openBroker(s.url, { namespace: brokerNamespace('rltest'), reconnectWithinMs: 10_000 });
      const store = new MemoryStore();
      try {
        const r = await runConsumerVariant({
          broker,
          store,
          variant: consumerVariant(variant),
          messages: 12,
          keys: ['k1', 'k2', 'k3'],
          crashes: 0,
          seed: 4,
          windowMs: 0,
          ackWaitMs: 1000,
          settleTimeoutMs: 30_000,
          restarts: 3,
          restartBroker: () => s.restart(),
        });
        expect(r.settled).toBe(true);
        expect(r.brokerRestarts).toBe(3);
        expect(s.restarts).toBe(3);
        expect(r.tally.lostEffects).toBe(0);
        if (variant === 'idempotent') {
          expect(r.tally.effectsApplied).toBe(12);
          expect(r.tally.duplicates).toBe(0);
        } else {
          expect(r.tally.duplicates).toBe(r.tally.effectsApplied - 12);
        }
        console.log(variant, JSON.stringify({ effects: r.tally.effectsApplied, duplicates: r.tally.duplicates, redeliveries: r.tally.redeliveries, acksLost: r.acksLost }));
      } finally {
        await broker.close();
        await store.close();
      }
    });
  }
});
