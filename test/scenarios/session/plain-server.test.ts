import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttack } from '../../../src/attack/index.js';
import { pause, refuse, startPlainServer, type PlainServer } from '../../helpers/plain-scenario-server.js';

/** A pool of 10 slots and a Set of open sessions. Vulnerable: check, await (token), record and take. Fixed: no await between. */
function startPlainSessions(fixed: boolean): Promise<PlainServer> {
  let free = 10;
  const open = new Set<string>();
  return startPlainServer('session.proto', 'racelab.session.v1.Sessions', {
    Open: async (r: { session: string }) => {
      if (fixed) await pause();
      if (open.has(r.session)) return { free };
      if (free <= 0) throw refuse(grpc.status.RESOURCE_EXHAUSTED, 'pool full');
      if (!fixed) await pause();
      open.add(r.session);
      return { free: --free };
    },
    End: async (r: { session: string }) => {
      if (open.delete(r.session)) free++;
      return { free };
    },
    Pool: async () => ({ free, capacity: 10 }),
  });
}

describe('racelab attack --scenario session against a plain grpc-js session pool (types through reflection)', () => {
  let server: PlainServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  for (const fixed of [false, true]) {
    it(fixed ? 'check and take with no await between: no race, one slot per round' : 'vulnerable: race (slots leaked), as against racelab serve', async () => {
      server = await startPlainSessions(fixed);
      const report = await runAttack({ target: server.target, scenario: 'session', sync: 'last-frame', count: 4, rounds: 2, pauseMs: 0 });
      expect(report.schemaSource).toMatch(/^server reflection/);
      expect(report.verdict, report.warnings.join('\n')).toBe(fixed ? 'no-race' : 'race');
      expect(report.totals.ok).toBe(8);
    }, 60_000);
  }
});
