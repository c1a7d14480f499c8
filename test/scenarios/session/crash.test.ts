import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/explore.js';
import { measureDoubleEndBurst, sessionCrashWorkload } from '../../../src/scenarios/session/crash.js';

describe('session: the supervisor-crash form (a double End crashes the session table)', () => {
  it('dfs finds the crash of the vulnerable End at 2 clients', async () => {
    const r = await explore(sessionCrashWorkload({ form: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 1_000_000, seed: 1, timeLimitMs: 120_000 });
    expect(r.firstFailure?.message).toMatch(/^the session table crashed once: a double End removed alice's session twice/);
  }, 180_000);

  it('a burst of double Ends exceeds the restart intensity: the service is down (vulnerable), and stays up (fixed)', async () => {
    const vulnerable = await measureDoubleEndBurst('vulnerable', 20);
    expect(vulnerable.before).toEqual({ calls: 6, answered: 6 });
    expect(vulnerable.gaveUp).toBe(true);
    expect(vulnerable.crashes).toBeGreaterThan(3);
    expect(vulnerable.during.answered).toBeLessThan(12);
    expect(vulnerable.after).toEqual({ calls: 4, answered: 0 });
    const fixed = await measureDoubleEndBurst('fixed', 20);
    expect(fixed).toEqual({ form: 'fixed', before: { calls: 6, answered: 6 }, during: { calls: 12, answered: 12 }, after: { calls: 4, answered: 4 }, crashes: 0, gaveUp: false });
  }, 60_000);

  it('refuses a client count it has no plan for', () => {
    expect(() => sessionCrashWorkload({ form: 'fixed', clients: 4 })).toThrow(/4 clients; give 2 or 3/);
  });
});
