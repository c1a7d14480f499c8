import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttack } from '../../../src/attack/index.js';
import { pause, refuse, startPlainServer, type PlainServer } from '../../helpers/plain-scenario-server.js';

/**
 * Orders and used keys in Maps. Vulnerable: has the key been seen? await (the work), charge, record the key.
 * Fixed: the await first, then the check, the charge and the record with none between.
 */
function startPlainCheckout(fixed: boolean): Promise<PlainServer> {
  const charges = new Map<string, number>();
  const used = new Set<string>();
  return startPlainServer('checkout.proto', 'racelab.checkout.v1.Orders', {
    Checkout: async (r: { order: string; idempotency_key: string }) => {
      if (!r.order || !r.idempotency_key) throw refuse(grpc.status.INVALID_ARGUMENT, 'an order and a key');
      if (fixed) await pause();
      if (used.has(r.idempotency_key)) return { charges: charges.get(r.order) ?? 0, replayed: true };
      if (!fixed) await pause();
      const n = (charges.get(r.order) ?? 0) + 1;
      charges.set(r.order, n);
      used.add(r.idempotency_key);
      return { charges: n, replayed: false };
    },
    Charges: async (r: { order: string }) => ({ charges: charges.get(r.order) ?? 0, charged: (charges.get(r.order) ?? 0) * 30, price: 30 }),
  });
}

describe('racelab attack --scenario checkout against a plain grpc-js checkout (types through reflection)', () => {
  let server: PlainServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  for (const fixed of [false, true]) {
    it(fixed ? 'check, charge and record with no await between: no race' : 'vulnerable: race, as against racelab serve', async () => {
      server = await startPlainCheckout(fixed);
      const report = await runAttack({ target: server.target, scenario: 'checkout', sync: 'last-frame', count: 8, rounds: 2, pauseMs: 0 });
      expect(report.schemaSource).toMatch(/^server reflection/);
      expect(report.verdict, report.warnings.join('\n')).toBe(fixed ? 'no-race' : 'race');
      expect(report.totals.ok).toBe(16);
    }, 60_000);
  }
});
