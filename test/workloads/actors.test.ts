import { describe, expect, it } from 'vitest';
import { expectNoRace, expectRace, explore, replay } from '../../src/explore/index.js';
import { actorPatterns } from '../../src/scenarios/actors/index.js';
import { actorPatternWorkload } from '../../src/workloads/index.js';

// Every actor pattern of src/scenarios/actors, under the explorer: all its concurrency (processes, sends,
// deliveries, replies, timers) goes through the controlled scheduler, so each run is one interleaving of messages.

// The fixed forms dfs does not exhaust in a test: each explored 8,000 to 40,000 schedules in 20 s without finishing
// (their sleeps, joins and waits for mailbox room conflict with every step). Every other fixed form is proved.
const UNPROVED = new Set(['flooding/bounded-atomic', 'state-machine/state-machine', 'seq-ack/seq-ack']);
describe('explore actor patterns', () => {
  it('knows every pattern', () => {
    expect(actorPatterns.length).toBeGreaterThanOrEqual(6);
  });

  for (const pattern of actorPatterns) {
    describe(pattern.name, () => {
      for (const variant of pattern.vulnerable) {
        it(`finds the race in the vulnerable form ${variant} (pct and random), and its token replays it`, async () => {
          for (const strategy of ['pct', 'random'] as const) {
            const f = await expectRace(actorPatternWorkload(pattern, variant), { strategy, seed: 1, runs: 300 });
            expect(f.kind).toBe('invariant');
            expect(f.message).toContain(`${pattern.name}/${variant}:`);
            expect(f.shrunk.steps).toBeLessThanOrEqual(f.found.steps);
            const again = await replay(actorPatternWorkload(pattern, variant), f.replayToken);
            expect(again.status).toBe('failed');
            expect(again.schedule.trace).toBe(f.shrunk.trace);
          }
        });
      }
      for (const variant of pattern.fixed) {
        const unproved = UNPROVED.has(`${pattern.name}/${variant}`);
        it(`passes the fixed form ${variant} (pct, random, and dfs${unproved ? ', 300 runs' : ': proved'})`, async () => {
          await expectNoRace(actorPatternWorkload(pattern, variant), { strategy: 'pct', seed: 1, runs: 150 });
          await expectNoRace(actorPatternWorkload(pattern, variant), { strategy: 'random', seed: 1, runs: 150 });
          const dfs = await expectNoRace(actorPatternWorkload(pattern, variant), { strategy: 'dfs', seed: 1, runs: unproved ? 300 : 100_000 });
          expect(dfs.runs).toBeGreaterThan(0);
          if (unproved) expect(dfs.stopReason === 'exhausted' || dfs.runs === 300).toBe(true);
          else expect(dfs.stopReason).toBe('exhausted');
        }, 120_000);
      }
    });
  }

  it('partial-order reduction prunes message interleavings and keeps every outcome dfs without it reaches', async () => {
    for (const [name, variant] of [
      ['async-writeback', 'seq-ack'],
      ['supervisor-restart', 'restart-atomic'],
    ] as const) {
      const pattern = actorPatterns.find((p) => p.name === name)!;
      const search = async (por: boolean) => {
        const outcomes = new Set<string>();
        const r = await explore(actorPatternWorkload(pattern, variant), {
          strategy: 'dfs',
          seed: 1,
          por,
          runs: 100_000,
          stopOnFailure: false,
          shrink: false,
          onRun: (_i, rec) => void (rec.status !== 'abandoned' && outcomes.add(`${rec.status} ${rec.failure?.message ?? ''}`)),
        });
        return { runs: r.runs, exhausted: r.dfs?.exhausted, outcomes: [...outcomes].sort() };
      };
      const reduced = await search(true);
      const full = await search(false);
      expect(reduced.exhausted && full.exhausted, name).toBe(true);
      expect(reduced.runs, name).toBeLessThan(full.runs);
      expect(reduced.outcomes, name).toEqual(full.outcomes);
    }
  });

  it('the same seed gives the same runs for an actor pattern', async () => {
    const p = actorPatterns.find((x) => x.name === 'check-then-act')!;
    const runs = async () => {
      const out: string[] = [];
      await explore(actorPatternWorkload(p, 'cas-version'), { strategy: 'random', seed: 8, runs: 50, onRun: (_i, r) => out.push(r.steps.map((s) => s.key).join('.')) });
      return out;
    };
    const a = await runs();
    expect(a).toHaveLength(50);
    expect(await runs()).toEqual(a);
  });

  it('refuses an unknown variant with the list of known ones', () => {
    const p = actorPatterns[0]!;
    expect(() => actorPatternWorkload(p, 'nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_VARIANT' }));
  });
});
