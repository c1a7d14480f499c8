import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAttack } from '../../src/attack/run.js';
import { formatMicros, type AttackReport, type RoundReport } from '../../src/attack/report.js';
import { renderAttackReport } from '../../src/report/attack-text.js';
import { startCounterServer, type CounterServer } from '../../src/scenarios/counter/server.js';
import { formatMs } from '../../src/core/units.js';
import { runCli } from '../helpers/cli.js';

// Every number a sentence of the attack's text gives is checked against the report the text was rendered from.

// A 500 ms read-modify-write window: the second wave of a burst against a limit of 10 starts ~500 ms after the
// first, and scheduling noise on a loaded two-core machine (tens of ms; a wave may spread over 125 ms) stays inside
// a wave.
const DELAY_MS = 500;

describe('racelab attack: the text says what ran', () => {
  let limited: CounterServer;
  let unlimited: CounterServer;
  beforeAll(async () => {
    limited = await startCounterServer({ variant: 'vulnerable', delayMs: DELAY_MS, maxConcurrency: 10 });
    unlimited = await startCounterServer({ variant: 'vulnerable', delayMs: DELAY_MS, maxConcurrency: 1000 });
  });
  afterAll(async () => {
    await limited?.close(200);
    await unlimited?.close(200);
  });

  /** The waves sentence's paragraph, unwrapped; undefined when the text has none. */
  const wavesParagraph = (text: string): string | undefined =>
    text
      .split('\n\n')
      .find((p) => /handlers in (\d+ )?waves/.test(p))
      ?.replace(/\n/g, ' ');
  const waved = (r: RoundReport): NonNullable<RoundReport['serverWaves']> => {
    expect(r.serverWaves, `round ${r.round}: handler starts not seen as waves`).toBeDefined();
    return r.serverWaves!;
  };
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  /**
   * Attacks until at least `rounds` rounds show waves, at most three times: a stall of the loaded machine inside a
   * wave (over a quarter of the gap between waves) rightly hides them, and the sentence is what is tested here.
   */
  async function attackWithWaves(count: number, rounds: number): Promise<AttackReport> {
    let report: AttackReport | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      report = await runAttack({ target: limited.target, scenario: 'counter', sync: 'last-frame', count, rounds, pauseMs: 0 });
      if (report.rounds.every((r) => r.serverWaves)) break;
    }
    return report!;
  }

  it('20 calls against a server that runs 10 handlers at once: two waves of 10, and the sentence gives their measured numbers', async () => {
    const report = await attackWithWaves(20, 1);
    const round = report.rounds[0]!;
    const w = waved(round);
    expect(w.sizes).toEqual([10, 10]);
    expect(w.intervalsMicros[0]).toBeGreaterThanOrEqual(DELAY_MS * 900);
    const text = wavesParagraph(renderAttackReport(report));
    expect(text).toBe(
      `The server started the burst's 20 handlers in 2 waves of at most 10 (10 + 10); the second began ${formatMicros(w.intervalsMicros[0]!)} after the first, ` +
        `about as long as the first wave's calls took (median ${formatMicros(w.firstWaveLatencyMicros)}), while the client sent every call within ${formatMicros(round.sendSpread!.rangeMicros)}: ` +
        'the server likely runs at most 10 handlers at once (a concurrency limit: a worker pool, `racelab serve --max-concurrency`), so the other 10 calls waited for the first 10 to finish. ' +
        `From the first wave's start to the last wave's is ${formatMicros(w.intervalsMicros[0]!)} of the round's ${formatMicros(round.serverSpread!.rangeMicros)} server spread.`,
    );
    // What the sentence claims, measured: the waves' gap is most of the spread, and the client did not cause it.
    expect(w.intervalsMicros[0]).toBeLessThanOrEqual(round.serverSpread!.rangeMicros);
    expect(round.sendSpread!.rangeMicros).toBeLessThan(w.intervalsMicros[0]! / 2);
  });

  it('over several rounds, each round with waves is listed with its own numbers', async () => {
    const report = await attackWithWaves(25, 2);
    const rounds = report.rounds.filter((r) => r.serverWaves);
    expect(rounds.length, JSON.stringify(report.rounds.map((r) => [r.sendSpread, r.serverSpread]))).toBe(2);
    const text = wavesParagraph(renderAttackReport(report))!;
    expect(text).toMatch(/^In 2 of 2 rounds the server started the burst's handlers in waves of at most 10, /);
    expect(text).toContain(`while the client sent each of those bursts within ${formatMicros(Math.max(...rounds.map((r) => r.sendSpread!.rangeMicros)))}:`);
    for (const r of rounds) {
      const w = waved(r);
      expect(w.sizes).toEqual([10, 10, 5]);
      expect(text).toContain(
        `round ${r.round}: 3 waves (10 + 10 + 5), ${w.intervalsMicros.map(formatMicros).join(', ')} apart, the first wave's calls a median ${formatMicros(w.firstWaveLatencyMicros)}, ` +
          `their starts spanning ${formatMicros(sum(w.intervalsMicros))} of the round's ${formatMicros(r.serverSpread!.rangeMicros)} server spread`,
      );
    }
  });

  it('says nothing of waves when the server runs the whole burst at once, or when the client sent one call at a time', async () => {
    const atOnce = await runAttack({ target: unlimited.target, scenario: 'counter', sync: 'last-frame', count: 20, rounds: 2, pauseMs: 0 });
    expect(atOnce.rounds.map((r) => r.serverWaves)).toEqual([undefined, undefined]);
    expect(wavesParagraph(renderAttackReport(atOnce))).toBeUndefined();
    // One call per answer: the handlers start a window apart, but the client sent them so; no limit shows.
    const sequential = await runAttack({ target: limited.target, scenario: 'counter', sync: 'sequential', count: 3, rounds: 1, pauseMs: 0 });
    expect(sequential.rounds[0]!.serverWaves).toBeUndefined();
    expect(wavesParagraph(renderAttackReport(sequential))).toBeUndefined();
  });

  /** The header and the flood table of a flood's text. */
  function floodNumbers(report: AttackReport, text: string): void {
    const f = report.flood!;
    const header = text.split('\n')[0]!;
    expect(header).toBe(
      `racelab attack: flood of /Counter/GetValue on ${report.target}, as fast as ${f.concurrency} calls in flight allow for ${formatMs(f.durationMs)} over 1 connection: ` +
        `${f.completed} calls made; types from ${report.schemaSource}`,
    );
    expect(f.sent).toBe(f.completed);
    expect(text).toMatch(new RegExp(`calls completed +${f.completed}\\n`));
    // A flood is not a burst: no per-burst count, no rounds.
    expect(header).not.toMatch(/ x\d+|round/);
  }

  it('a flood\'s header gives its rate, in-flight calls, duration, connections and the calls it made', async () => {
    const report = await runAttack({ target: unlimited.target, endpoints: [{ method: 'Counter/GetValue' }], sync: 'parallel', flood: { rate: 'max', durationMs: 300, concurrency: 8 } });
    expect(report.flood).toMatchObject({ rate: 'max', durationMs: 300, concurrency: 8 });
    floodNumbers(report, renderAttackReport(report));
  });

  it('racelab attack --flood prints the same header (the CLI, text and JSON)', async () => {
    const args = ['attack', '--target', unlimited.target, '--call', 'Counter/GetValue', '--flood', '--sync', 'parallel', '--rate', 'max', '--duration', '300ms', '--concurrency', '8', '--seed', '5'];
    const json = await runCli([...args, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as AttackReport;
    floodNumbers(report, renderAttackReport(report));
    const text = await runCli(args);
    expect(text.code, text.stderr).toBe(0);
    const calls = /: (\d+) calls made; /.exec(text.stdout.split('\n')[0]!)?.[1];
    expect(Number(calls)).toBeGreaterThan(0);
    expect(text.stdout).toMatch(new RegExp(`calls completed +${calls}\\n`));
    expect(text.stdout.split('\n')[0]).toContain('as fast as 8 calls in flight allow for 300ms over 1 connection');
  });
});
