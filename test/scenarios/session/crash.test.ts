import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/explore.js';
import { sessionCrashWorkload, startSessionTable, type SessionTableForm } from '../../../src/scenarios/session/crash.js';

/** Opens `sessions` sessions, then ends each twice at once (two tabs logging out); then `after` more Opens. */
async function doubleEndBurst(form: SessionTableForm, sessions: number, after: number) {
  const t = startSessionTable({ form, delayMs: 20, maxRestarts: 3, withinMs: 60_000 });
  try {
    const names = Array.from({ length: sessions }, (_, i) => `user${i}`);
    const opened = await Promise.all(names.map((s) => t.open(s)));
    const ends = await Promise.all(names.flatMap((s) => [t.end(s), t.end(s)]));
    const later = await Promise.all(Array.from({ length: after }, (_, i) => t.open(`late${i}`)));
    return {
      before: opened.filter((a) => a.answered).length,
      during: ends.filter((a) => a.answered).length,
      after: later.filter((a) => a.answered).length,
      crashes: t.crashes(),
      gaveUp: t.gaveUp(),
    };
  } finally {
    await t.close();
  }
}

describe('session: the supervisor-crash form (a double End crashes the session table)', () => {
  it('dfs finds the crash of the vulnerable End at 2 clients', async () => {
    const r = await explore(sessionCrashWorkload({ form: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 1_000_000, seed: 1, timeLimitMs: 120_000 });
    expect(r.firstFailure?.message).toMatch(/^the session table crashed once: a double End removed alice's session twice/);
  }, 180_000);

  it('a burst of double Ends exceeds the restart intensity: the service is down (vulnerable), and stays up (fixed)', async () => {
    const vulnerable = await doubleEndBurst('vulnerable', 6, 4);
    expect(vulnerable.before).toBe(6);
    expect(vulnerable.gaveUp).toBe(true);
    expect(vulnerable.crashes).toBeGreaterThan(3);
    expect(vulnerable.during).toBeLessThan(12);
    expect(vulnerable.after).toBe(0);
    const fixed = await doubleEndBurst('fixed', 6, 4);
    expect(fixed).toEqual({ before: 6, during: 12, after: 4, crashes: 0, gaveUp: false });
  }, 60_000);

  it('refuses a client count it has no plan for', () => {
    expect(() => sessionCrashWorkload({ form: 'fixed', clients: 4 })).toThrow(/4 clients; give 2 or 3/);
  });
});
