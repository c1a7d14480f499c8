import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkVerbose } from '../../../src/check/checker.js';
import { explore } from '../../../src/explore/explore.js';
import { parseHistoryJsonl } from '../../../src/history/jsonl.js';
import { runAttack } from '../../../src/attack/index.js';
import { startScenarioServer, type ScenarioServer } from '../../../src/scenarios/impacts/server.js';
import { privilegeVariants } from '../../../src/scenarios/privilege/variants.js';
import { privilegeWorkload } from '../../../src/scenarios/privilege/workload.js';
import { tempDir } from '../../helpers/tmp.js';

describe('privilege under the explorer', () => {
  it('finds the admin action that takes effect after the revoke (vulnerable, 2 clients)', async () => {
    const r = await explore(privilegeWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 10_000, seed: 1 });
    expect(r.firstFailure?.message).toMatch(/1 admin action of mallory took effect after the revoke completed/);
    expect(r.firstFailure?.shrunk.trace).toMatch(/t1 get role\(mallory\)->1 . t2 set role\(mallory\)=0 . t2 get actions\(mallory\)->0 . .*t1 incr actions\(mallory\)->1/);
  });
  for (const v of privilegeVariants.filter((x) => x.safe)) {
    for (const clients of [2, 3]) {
      it(`proves ${v.name} at ${clients} clients`, async () => {
        const r = await explore(privilegeWorkload({ variant: v.name, clients }), { strategy: 'dfs', runs: 1_000_000, seed: 1 });
        expect(r.firstFailure?.message).toBeUndefined();
        expect(r.dfs?.exhausted).toBe(true);
      });
    }
  }
});

describe('racelab attack --scenario privilege --sync last-frame against racelab serve --scenario privilege', () => {
  let server: ScenarioServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  for (const v of privilegeVariants) {
    it(`${v.name}: ${v.safe ? 'no race' : 'race (admin actions after revoke)'}`, async () => {
      server = await startScenarioServer({ scenario: 'privilege', variant: v.name, delayMs: 60 });
      const report = await runAttack({ target: server.target, scenario: 'privilege', sync: 'last-frame', count: 4, rounds: 3, pauseMs: 0 });
      expect(report.verdict, `${v.name}: ${report.warnings.join('\n')}`).toBe(v.safe ? 'no-race' : 'race');
    }, 60_000);
  }

  it('records a history racelab check --model privilege finds illegal for vulnerable, naming the admin action, and ok for the fixes', async () => {
    const dir = tempDir('racelab-privilege-');
    for (const variant of ['vulnerable', 'mutex', 'epoch', 'txn']) {
      server = await startScenarioServer({ scenario: 'privilege', variant, delayMs: 60 });
      const file = join(dir, `${variant}.jsonl`);
      try {
        await runAttack({ target: server.target, scenario: 'privilege', sync: 'last-frame', count: 4, rounds: 2, pauseMs: 0, record: file });
        const r = checkVerbose(parseHistoryJsonl(await readFile(file, 'utf8')), 'privilege', { budgetMs: 10_000 });
        expect(r.verdict, `${variant}: ${r.explanation.join(' ')}`).toBe(variant === 'vulnerable' ? 'illegal' : 'ok');
        if (variant === 'vulnerable') expect(r.explanation.join(' ')).toMatch(/The response that cannot be explained is admin action of mallory → \d+ actions?|revoke mallory → \d+ actions? before it/);
      } finally {
        await rm(file, { force: true });
        await server.close();
        server = undefined;
      }
    }
  }, 90_000);
});
