import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/explore.js';
import { sessionCrashWorkload } from '../../../src/scenarios/session/crash.js';
import { impactScenario } from '../../../src/scenarios/impacts/registry.js';
import { runReplay } from '../../../src/workloads/run-explore.js';

describe('session: the supervisor-crash form (a double End crashes the session table)', () => {
  it('dfs finds the crash of the vulnerable End at 2 clients', async () => {
    const r = await explore(sessionCrashWorkload({ form: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 1_000_000, seed: 1, timeLimitMs: 120_000 });
    expect(r.firstFailure?.message).toMatch(/^the session table crashed once: a double End removed alice's session twice/);
  }, 180_000);

  it('is the session scenario\'s crash-vulnerable variant to explore, and its replay token replays (racelab replay)', async () => {
    const r = await explore(impactScenario('session').workload({ variant: 'crash-vulnerable', clients: 2 }), { strategy: 'dfs', runs: 1_000_000, seed: 1, timeLimitMs: 120_000 });
    expect(r.firstFailure?.message).toMatch(/^the session table crashed once/);
    const replayed = await runReplay(r.firstFailure!.replayToken);
    expect(replayed).toMatchObject({ scenario: 'session', params: { variant: 'crash-vulnerable', clients: '2' }, status: 'failed' });
  }, 180_000);

  for (const clients of [2, 3]) {
    it(`dfs proves the fixed End at ${clients} clients: the table never crashes, whichever End comes first`, async () => {
      const firstEnd = new Set<string>();
      const r = await explore(sessionCrashWorkload({ form: 'fixed', clients }), {
        strategy: 'dfs',
        runs: 1_000_000,
        seed: 1,
        onRun: (_run, record) => {
          const first = record.steps.find((s) => /^send call \{op: end, session: alice\} to sessions/.test(s.label));
          if (record.status === 'passed' && first) firstEnd.add(first.taskName);
        },
      });
      expect(r.firstFailure?.message).toBeUndefined();
      expect(r.dfs?.exhausted).toBe(true);
      expect([...firstEnd].sort()).toEqual(clients === 2 ? ['t1', 't2'] : ['t1', 't2', 't3']);
    }, 180_000);
  }

  it('refuses a client count it has no plan for', () => {
    expect(() => sessionCrashWorkload({ form: 'fixed', clients: 4 })).toThrow(/4 clients; give 2 or 3/);
  });
});
