import { describe, expect, it } from 'vitest';
import type { ExploreReport, ReplayReport } from '../../src/workloads/run-explore.js';
import { runCli } from '../helpers/cli.js';

// An actor pattern's run ends with the actor system shutting down after the workload has its result. The minimal
// schedule a report prints ends at the workload's last step; the shutdown's steps follow apart, numbered as they
// ran, and the replay token (which holds every step) still replays the failure.

/** The numbered lines under `minimal schedule:` (or a replay's header), up to the first line that is not one. */
function numberedSteps(text: string, after: RegExp): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => after.test(l));
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!/^\s+\d+\s{2}/.test(l)) break;
    out.push(l.slice(2));
  }
  return out;
}

const oneLine = (l: string): string => l.trim().replace(/\s{2,}/g, ' ');

describe('explore: the minimal schedule ends where the workload had its result', () => {
  for (const pattern of ['counter-cast', 'check-then-act']) {
    it(`actors ${pattern}: the shutdown's steps are set apart, the list ends at the reply that carries the failing value`, async () => {
      const args = ['explore', '--scenario', 'actors', '--pattern', pattern, '--seed', '1'];
      const json = await runCli([...args, '--json']);
      expect(json.code, json.stderr).toBe(1);
      const report = JSON.parse(json.stdout) as ExploreReport;
      const shrunk = report.firstFailure!.shrunk;
      expect(shrunk.windDownSteps).toBe(2);
      const result = shrunk.steps - shrunk.windDownSteps;
      const text = await runCli(args);
      expect(text.code, text.stderr).toBe(1);
      const listed = numberedSteps(text.stdout, /^minimal schedule: /);
      expect(listed).toEqual(shrunk.traceLines.slice(0, result));
      // The last step listed is the driver taking the counter's reply, and that reply carries the observed count.
      const observed = /observed (\d+)/.exec(report.firstFailure!.message)?.[1];
      expect(oneLine(listed.at(-1)!)).toMatch(new RegExp(`^${result} driver deliver reply to external#1 from counter`));
      expect(listed.some((l) => new RegExp(`counter reply ${observed} to external#1`).test(oneLine(l)))).toBe(true);
      expect(text.stdout).toContain(
        `\n  after the workload had its result, 2 steps winding the run down (the run is checked after them): ${shrunk.traceLines.slice(result).map(oneLine).join(' . ')}\n`,
      );
      expect(shrunk.traceLines.slice(result).map(oneLine).join(' . ')).toMatch(/ driver wake \(actor system shutdown\)( @\S+)?$/);
      expect(text.stdout).toContain(`\ntrace: ${shrunk.traceToResult} (then the wind-down above)\n`);
      expect(shrunk.traceToResult).toMatch(/driver deliver reply to external#1 from counter$/);

      // The token holds every step, wind-down included: the replay fails the same way and prints the same split.
      const replayJson = await runCli(['replay', report.firstFailure!.replayToken, '--json']);
      const replayed = JSON.parse(replayJson.stdout) as ReplayReport;
      expect(replayed.status).toBe('failed');
      expect(replayed.failure?.message).toBe(report.firstFailure!.message);
      expect([replayed.steps, replayed.windDownSteps, replayed.traceLines]).toEqual([shrunk.steps, 2, shrunk.traceLines]);
      const replayText = await runCli(['replay', report.firstFailure!.replayToken]);
      expect(numberedSteps(replayText.stdout, /^replay /)).toEqual(shrunk.traceLines.slice(0, result));
    });
  }

  it('a workload without a wind-down prints every step in the list, as before', async () => {
    const json = await runCli(['explore', '--seed', '1', '--json']);
    const shrunk = (JSON.parse(json.stdout) as ExploreReport).firstFailure!.shrunk;
    expect(shrunk.windDownSteps).toBe(0);
    expect(shrunk.traceToResult).toBeUndefined();
    const text = await runCli(['explore', '--seed', '1']);
    expect(numberedSteps(text.stdout, /^minimal schedule: /)).toEqual(shrunk.traceLines);
    expect(text.stdout).not.toContain('winding the run down');
    expect(text.stdout).toContain(`\ntrace: ${shrunk.trace}\n`);
  });
});
