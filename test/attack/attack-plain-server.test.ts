import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAttack, type AttackOptions } from '../../src/attack/index.js';
import type { SyncMode } from '../../src/burst/sync-policy.js';
import { startPlainCounter, type PlainCounter } from '../helpers/plain-counter.js';

const MODES: SyncMode[] = ['sequential', 'parallel', 'connections', 'processes', 'last-frame'];

// The same verdicts as against racelab's own server, on a server racelab did not write: types reached through
// server reflection (grpc-js names the seed's package-less service ".Counter") and through the seed's .proto.
describe('racelab attack against a plain grpc-js server built from the seed\'s proto', () => {
  let vulnerable: PlainCounter;
  let mutex: PlainCounter;
  beforeAll(async () => {
    vulnerable = await startPlainCounter({ variant: 'vulnerable', delayMs: 100 });
    mutex = await startPlainCounter({ variant: 'mutex', delayMs: 10 });
  });
  afterAll(async () => {
    await vulnerable?.close();
    await mutex?.close();
  });

  const attack = (server: PlainCounter, sync: SyncMode, viaProto: boolean, extra: Partial<AttackOptions> = {}): ReturnType<typeof runAttack> =>
    runAttack({ target: server.target, scenario: 'counter', sync, count: 4, rounds: 1, ...(viaProto ? { proto: [server.protoFile] } : {}), ...extra });

  for (const via of ['reflection', 'proto file'] as const) {
    describe(`types via ${via}`, () => {
      it.each(MODES)(`--sync %s: vulnerable races unless sequential; mutex never`, async (sync) => {
        const v = await attack(vulnerable, sync, via === 'proto file');
        // The burst's 4 calls came over as many TCP connections as the mode promises.
        const peers = new Set(vulnerable.incrementPeers().slice(-4));
        expect(peers.size).toBe(sync === 'connections' || sync === 'processes' ? 4 : 1);
        expect(v.schemaSource).toMatch(via === 'proto file' ? /^proto file / : /^server reflection \(v1\)/);
        expect(v.verdict, v.warnings.join('\n')).toBe(sync === 'sequential' ? 'no-race' : 'race');
        const m = await attack(mutex, sync, via === 'proto file');
        expect(m.verdict, m.warnings.join('\n')).toBe('no-race');
        expect(m.rounds[0]).toMatchObject({ ok: 4, lost: 0, extra: 0 });
        // No racelab trailer here: no server-side spread, and the report does not invent one.
        expect(v.serverSpread).toBeUndefined();
      });
    });
  }

  it('falls back to grpc.reflection.v1alpha when v1 is not served', async () => {
    const old = await startPlainCounter({ variant: 'vulnerable', delayMs: 100, reflection: 'v1alpha' });
    try {
      const report = await attack(old, 'parallel', false);
      expect(report.schemaSource).toBe(`server reflection (v1alpha) at ${old.target}`);
      expect(report.verdict, report.warnings.join('\n')).toBe('race');
    } finally {
      await old.close();
    }
  });

  it('says to pass --proto when the server has no reflection', async () => {
    const none = await startPlainCounter({ variant: 'vulnerable', delayMs: 1, reflection: 'none' });
    try {
      await expect(attack(none, 'parallel', false)).rejects.toThrow(/does not answer server reflection .*pass the service's \.proto file with `proto`/);
      expect((await attack(none, 'parallel', true, { rounds: 1 })).verdict).not.toBe('unchecked');
    } finally {
      await none.close();
    }
  });

  it('works over mutual TLS (a CA and a client certificate) in every concurrent mode', async () => {
    const { join } = await import('node:path');
    const { TLS_DIR } = await import('../helpers/plain-counter.js');
    const secure = await startPlainCounter({ variant: 'vulnerable', delayMs: 100, tls: { requireClientCert: true } });
    try {
      const tls = { ca: join(TLS_DIR, 'ca.pem'), cert: join(TLS_DIR, 'client.pem'), key: join(TLS_DIR, 'client.key') };
      for (const sync of ['parallel', 'connections', 'processes', 'last-frame'] as SyncMode[]) {
        const report = await attack(secure, sync, false, { tls });
        expect(report.verdict, report.warnings.join('\n')).toBe('race');
      }
    } finally {
      await secure.close();
    }
  });
});
