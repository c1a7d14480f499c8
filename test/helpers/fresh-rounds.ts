import { expect, it } from 'vitest';
import { runAttack } from '../../src/attack/index.js';
import { startScenarioServer, type ScenarioServer } from '../../src/scenarios/impacts/server.js';

/**
 * The tests of a scenario whose built-in attack opens a resource of its own per round (coupon: a code issued good
 * for 5; inventory: a SKU added with 5 in stock) by its setup call: every round can race, none finds the resource
 * used up by an earlier round or an earlier attack. Bursts of 8 against 5; 150 ms between check and write, wide
 * enough that a burst overlaps on a loaded machine. `server` holds the server the caller's afterEach closes.
 */
export function freshRoundTests(scenario: string, variants: ReadonlyArray<{ readonly name: string; readonly safe: boolean }>, unit: string, server: { current?: ScenarioServer }): void {
  for (const v of variants) {
    it(`${v.name}: ${v.safe ? 'no race in any round, and every round tested' : `race (${unit}) in more than one round`}`, async () => {
      server.current = await startScenarioServer({ scenario, variant: v.name, delayMs: 150 });
      const report = await runAttack({ target: server.current.target, scenario, sync: 'last-frame', count: 8, rounds: 3, pauseMs: 0 });
      expect(report.rounds.map((r) => r.nothingAccepted ?? false), report.warnings.join('\n')).toEqual([false, false, false]);
      expect(report.verdict, report.warnings.join('\n')).toBe(v.safe ? 'no-race' : 'race');
      if (v.safe) expect(report.rounds.map((r) => [r.verdict, r.ok])).toEqual([['ok', 5], ['ok', 5], ['ok', 5]]);
      else {
        expect(report.racesFound).toBeGreaterThan(1);
        expect(report.rounds.filter((r) => r.verdict === 'race').every((r) => r.ok > 5)).toBe(true);
      }
    }, 60_000);
  }
  it('a second attack on the same server still tests every round (a fresh resource per round and run)', async () => {
    server.current = await startScenarioServer({ scenario, variant: 'mutex', delayMs: 20 });
    for (const attack of [1, 2]) {
      const report = await runAttack({ target: server.current.target, scenario, sync: 'parallel', count: 8, rounds: 2, pauseMs: 0 });
      expect(report.rounds.map((r) => [r.verdict, r.ok, r.nothingAccepted ?? false]), `attack ${attack}`).toEqual([['ok', 5, false], ['ok', 5, false]]);
      expect(report.verdict).toBe('no-race');
    }
  }, 60_000);
}
