import { afterEach, describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/explore.js';
import { runAttack } from '../../../src/attack/index.js';
import { startScenarioServer, type ScenarioServer } from '../../../src/scenarios/impacts/server.js';
import { privilegeWorkload } from '../../../src/scenarios/privilege/workload.js';

describe('privilege under the explorer', () => {
  it('finds the admin action that takes effect after the revoke (vulnerable, 2 clients)', async () => {
    const r = await explore(privilegeWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 10_000, seed: 1 });
    expect(r.firstFailure?.message).toMatch(/1 admin action of mallory took effect after the revoke completed/);
    expect(r.firstFailure?.shrunk.trace).toMatch(/t1 get role\(mallory\)->1 . t2 set role\(mallory\)=0 . t2 get actions\(mallory\)->0 . .*t1 incr actions\(mallory\)->1/);
  });
  for (const clients of [2, 3]) {
    it(`proves txn at ${clients} clients`, async () => {
      const r = await explore(privilegeWorkload({ variant: 'txn', clients }), { strategy: 'dfs', runs: 1_000_000, seed: 1 });
      expect(r.firstFailure?.message).toBeUndefined();
      expect(r.dfs?.exhausted).toBe(true);
    });
  }
});

describe('racelab attack --scenario privilege --sync last-frame against racelab serve --scenario privilege', () => {
  let server: ScenarioServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  it('vulnerable: race; txn: no race', async () => {
    for (const variant of ['vulnerable', 'txn']) {
      server = await startScenarioServer({ scenario: 'privilege', variant, delayMs: 60 });
      const report = await runAttack({ target: server.target, scenario: 'privilege', sync: 'last-frame', count: 4, rounds: 3, pauseMs: 0 });
      expect(report.verdict, `${variant}: ${report.warnings.join('\n')}`).toBe(variant === 'vulnerable' ? 'race' : 'no-race');
      await server.close();
      server = undefined;
    }
  }, 60_000);
});
