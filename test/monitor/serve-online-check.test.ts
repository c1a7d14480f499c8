/**
 * racelab serve --metrics --check-key (issue 14): the online linearizability check of the served counter's key,
 * its verdicts on racelab_monitor_linearizability_windows_total and in serve's closing line. A burst at the
 * vulnerable counter gives illegal windows; the mutex counter none.
 */
import { describe, expect, it } from 'vitest';
import { runAttack } from '../../src/attack/run.js';
import { exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';

function sample(text: string, verdict: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`racelab_monitor_linearizability_windows_total{verdict="${verdict}"}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

/** Serves the variant with the online check, bursts at it, then scrapes until the checks have caught up. */
async function attacked(variant: string): Promise<{ windows: Record<string, number>; closing: string }> {
  const { child, match, output } = await startCli(
    ['serve', '--variant', variant, '--port', '0', '--delay', '10ms', '--max-concurrency', '100', '--metrics', ':0', '--check-key', 'counter', '--check-window', '8', '--check-budget', '200ms'],
    /on (localhost:\d+)[^]*metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/,
  );
  try {
    expect(output()).toContain('key counter checked online in windows of 8 requests');
    await runAttack({ target: match[1]!, scenario: 'counter', sync: 'parallel', count: 8, rounds: 10, pauseMs: 20 });
    // The checks run off the request path after their windows close: scrape until two scrapes agree.
    let windows: Record<string, number> = {};
    for (let i = 0, previous = ''; i < 50; i++) {
      const text = await (await fetch(match[2]!)).text();
      windows = Object.fromEntries(['ok', 'illegal', 'unknown', 'skipped'].map((v) => [v, sample(text, v)]));
      if (JSON.stringify(windows) === previous) break;
      previous = JSON.stringify(windows);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(0);
    const closing = output().split('\n').find((l) => l.startsWith('Race monitor: ') && l.includes('checked online:')) ?? '';
    return { windows, closing };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('racelab serve --metrics --check-key', () => {
  it('the vulnerable counter: illegal windows on /metrics and in the closing line', async () => {
    const { windows, closing } = await attacked('vulnerable');
    expect(windows.illegal).toBeGreaterThan(0);
    expect(closing).toContain(`${windows.illegal} illegal`);
  }, 60_000);

  it('the mutex counter: windows judged linearizable, none illegal', async () => {
    const { windows, closing } = await attacked('mutex');
    expect(windows.ok).toBeGreaterThan(0);
    expect(windows.illegal).toBe(0);
    expect(closing).toContain(', 0 illegal,');
  }, 60_000);

  it('bad input: one line, exit 2, nothing served', async () => {
    const bad = async (args: string[]) => {
      const run = await runCli(['serve', '--port', '0', ...args]);
      expect(run.stdout).not.toContain('Starting');
      return expectOneLineError(run);
    };
    expect(await bad(['--check-key', 'counter'])).toBe("racelab: --check-key: the online check reports on the race monitor's metrics; add --metrics :9464");
    expect(await bad(['--metrics', ':0', '--check-key', 'nope'])).toMatch(/^racelab: --check-key: the counter keeps its value under key counter, not "nope"/);
    expect(await bad(['--metrics', ':0', '--check-key', 'counter', '--check-budget', '5s'])).toMatch(/^racelab: --check-budget: 5s is too long/);
  }, 60_000);
});
