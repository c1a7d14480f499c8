import { describe, expect, it } from 'vitest';
import { renderActorDemo } from '../../../src/report/index.js';
import { runActorDemo, type ActorDemoReport } from '../../../src/scenarios/actors/index.js';
import { expectOneLineError, runCli } from '../../helpers/cli.js';

describe('runActorDemo', () => {
  it('runs the chosen patterns, vulnerable and fixed, and explains each from its own numbers', async () => {
    const progress: string[] = [];
    const report = await runActorDemo({ patterns: ['check-then-act', 'state-machine'], seed: 3, onProgress: (l) => progress.push(l) });
    expect(report.kind).toBe('actor-demo');
    expect(report.settings).toEqual({ seed: 3, senders: null, messages: null, patterns: ['check-then-act', 'state-machine'] });
    expect(report.runs.map((r) => `${r.pattern}/${r.variant}/${r.form}`)).toEqual([
      'check-then-act/get-then-set/vulnerable',
      'check-then-act/agent-get-then-update/vulnerable',
      'check-then-act/atomic-increment/fixed',
      'check-then-act/cas-version/fixed',
      'check-then-act/agent-update/fixed',
      'state-machine/check-then-set-status/vulnerable',
      'state-machine/state-machine/fixed',
    ]);
    expect(report.summary).toEqual({ vulnerable: 3, vulnerableShowingRace: 3, fixed: 4, fixedHolding: 4 });
    expect(progress).toHaveLength(7);
    const racy = report.runs[0]!;
    expect(racy.explanation).toContain(`the count ended at ${racy.observed}: ${racy.lostEffects} updates lost`);
    const sm = report.runs[6]!;
    expect(sm.explanation).toContain(`rejected ${sm.details?.transitionsRejected} events`);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);

    const text = renderActorDemo(report);
    expect(text).toContain('racelab demo actors');
    expect(text).toMatch(/== check-then-act: stale state across messages/);
    expect(text).toMatch(/invariant\s+BROKEN\s+BROKEN\s+holds\s+holds\s+holds/);
    expect(text).toMatch(new RegExp(`lost effects\\s+${racy.lostEffects}\\s`));
    expect(text).toContain('3 of 3 vulnerable variants broke their invariant in this run');
  });

  it('--senders/--messages override every pattern; --variant picks variants', async () => {
    const report = await runActorDemo({ patterns: ['counter-cast'], variants: ['counter', 'seed-send'], senders: 3, messages: 7 });
    expect(report.runs.map((r) => r.variant)).toEqual(['seed-send', 'counter']);
    expect(report.runs.map((r) => r.expected)).toEqual([21, 21]);
    expect(report.explanation.join(' ')).toContain("its Counter lost 0 of 21 increments and never handled two at once");
  });

  it('rejects unknown names before running anything', async () => {
    await expect(runActorDemo({ patterns: ['counter-cast', 'bogus'] })).rejects.toMatchObject({ code: 'UNKNOWN_SCENARIO' });
    await expect(runActorDemo({ patterns: ['counter-cast'], variants: ['get-then-set'] })).rejects.toThrow(
      /--variant: "get-then-set" is not a variant of pattern counter-cast; use one of seed-send/,
    );
  });
});

describe('racelab demo actors (CLI)', () => {
  it('--json prints the report; every pattern runs, vulnerable and fixed', async () => {
    const run = await runCli(['demo', 'actors', '--json', '--seed', '42'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ActorDemoReport;
    expect(report.settings.seed).toBe(42);
    expect(report.settings.patterns).toHaveLength(9);
    expect(report.runs.length).toBeGreaterThanOrEqual(29);
    expect(report.summary.fixedHolding).toBe(report.summary.fixed);
    expect(report.summary.vulnerableShowingRace).toBe(report.summary.vulnerable);
    expect(run.stderr).toBe(''); // no progress lines in --json mode
  });

  it('prints tables and explanations, with progress on stderr and the fresh seed in the title', async () => {
    const run = await runCli(['demo', 'actors', '--pattern', 'flooding,seq-ack'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^racelab demo actors: .*\(seed \d+\)/);
    expect(run.stdout).toContain('== flooding:');
    expect(run.stdout).toContain('== seq-ack:');
    expect(run.stdout).toMatch(/mailboxHighWater/);
    expect(run.stderr).toMatch(/flooding check-then-redeem: expected \d+, observed \d+, RACE/);
  });

  it('bad options: one line, exit 2', async () => {
    for (const [args, message] of [
      [['--pattern', 'nope'], /--pattern: "nope" is not an actor pattern/],
      [['--pattern', ','], /--pattern: give at least one pattern name/],
      [['--variant', 'nope'], /--variant: "nope" is not a variant/],
      [['--seed', 'abc'], /--seed: "abc" must be a whole number/],
      [['--senders', '0'], /--senders: "0" must be a whole number from 1 to 64/],
      [['--messages', '1e9'], /--messages: "1e9" must be a whole number/],
    ] as const) {
      const run = await runCli(['demo', 'actors', ...args]);
      expect(expectOneLineError(run)).toMatch(message);
    }
  });
});
