import { describe, expect, it } from 'vitest';
import type { ExploreReport, ReplayReport } from '../../src/workloads/index.js';
import { expectOneLineError, runCli } from '../helpers/cli.js';

describe('racelab explore / racelab replay', () => {
  it('finds the lost update (exit 1), prints the minimal trace and a replay command that reproduces it (exit 1)', async () => {
    const run = await runCli(['explore', '--scenario', 'counter', '--variant', 'vulnerable', '--strategy', 'dfs', '--seed', '3']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('RACE FOUND in run');
    expect(run.stdout).toContain('final counter = 1, expected 2 (1 update lost)');
    expect(run.stdout).toContain('trace: c1 get counter->0 . c2 get counter->0 . c2 set counter=1 . c1 set counter=1');
    const token = /replay: racelab replay (rl1\/\S+)/.exec(run.stdout)?.[1];
    expect(token).toBeDefined();
    expect(token).toContain('/dfs/3/');
    const again = await runCli(['replay', token!]);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toContain('FAILS (invariant): final counter = 1, expected 2 (1 update lost)');
    expect(again.stdout).toContain('trace: c1 get counter->0 . c2 get counter->0 . c2 set counter=1 . c1 set counter=1');
    const json = await runCli(['replay', token!, '--json']);
    const report = JSON.parse(json.stdout) as ReplayReport;
    expect(report).toMatchObject({ kind: 'replay', scenario: 'counter', status: 'failed', steps: 4, preemptions: 1, seed: 3 });
  });

  it('proves a fix with dfs (exit 0) and reports explored and pruned schedules as JSON', async () => {
    const run = await runCli(['explore', '--variant', 'mutex', '--strategy', 'dfs', '--clients', '3', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as ExploreReport;
    expect(r).toMatchObject({ kind: 'explore', scenario: 'counter', verdict: 'proved', strategy: 'dfs', failures: 0, stopReason: 'exhausted' });
    expect(r.params).toEqual({ variant: 'mutex', clients: '3', increments: '1', delay: '0' });
    expect(r.schedulesExplored).toBe(r.runs);
    expect(r.prunedByPor).toBeGreaterThan(0);
    const text = await runCli(['explore', '--variant', 'mutex', '--strategy', 'dfs', '--clients', '3']);
    expect(text.stdout).toMatch(/NO FAILING SCHEDULE EXISTS: dfs explored every schedule and none fails \(\d+ schedules explored, \d+ transitions pruned by partial-order reduction/);
  });

  it('pct and random without a failure exit 0 and say it is evidence, not proof; the same seed prints the same runs', async () => {
    const args = ['explore', '--variant', 'cas', '--clients', '3', '--strategy', 'pct', '--runs', '300', '--seed', '12', '--depth', '2', '--json'];
    const a = await runCli(args);
    expect(a.code, a.stderr).toBe(0);
    const ra = JSON.parse(a.stdout) as ExploreReport;
    expect(ra).toMatchObject({ verdict: 'none-found', runs: 300, seed: 12, depth: 2, stopReason: 'runs' });
    const rb = JSON.parse((await runCli(args)).stdout) as ExploreReport;
    expect({ ...rb, elapsedMs: 0, runsPerSecond: 0 }).toEqual({ ...ra, elapsedMs: 0, runsPerSecond: 0 });
    const text = await runCli(['explore', '--variant', 'atomic', '--strategy', 'random', '--runs', '50', '--seed', '1']);
    expect(text.stdout).toContain('that is evidence, not proof: --strategy dfs explores every schedule');
  });

  it('finds the depth-3 bug with pct, and an actor pattern race, each with a token that replays', async () => {
    const deep = await runCli(['explore', '--scenario', 'depth3', '--strategy', 'pct', '--seed', '1', '--runs', '2000']);
    expect(deep.code, deep.stderr).toBe(1);
    expect(deep.stdout).toContain('all three clients read counter = 0 before any of them wrote it');
    const actors = await runCli(['explore', '--scenario', 'actors', '--pattern', 'check-then-act', '--variant', 'get-then-set', '--strategy', 'random', '--seed', '4', '--json']);
    expect(actors.code, actors.stderr).toBe(1);
    const r = JSON.parse(actors.stdout) as ExploreReport;
    expect(r.params).toEqual({ pattern: 'check-then-act', variant: 'get-then-set' });
    const again = await runCli(['replay', r.firstFailure!.replayToken]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('FAILS (invariant): check-then-act/get-then-set: expected 2 increments, observed 1');
    const fixed = await runCli(['explore', '--scenario', 'actors', '--pattern', 'check-then-act', '--variant', 'atomic-increment', '--strategy', 'dfs', '--seed', '1']);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(fixed.stdout).toContain('NO FAILING SCHEDULE EXISTS');
  });

  it('bad input: one line, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['explore', '--scenario', 'nope'], /--scenario: "nope" is not an explore scenario; use one of counter, depth3, actors/],
      [['explore', '--strategy', 'bfs'], /'--strategy <name>' argument 'bfs' is invalid. Allowed choices are portfolio, random, pct, pos, dfs/],
      [['explore', '--variant', 'redis-incr'], /needs a real redis server, which the explorer cannot schedule/],
      [['explore', '--variant', 'wat'], /--variant: "wat" is not a counter variant; use one of vulnerable, mutex, atomic, cas, txn/],
      [['explore', '--runs', '0'], /--runs: "0" must be a whole number from 1/],
      [['explore', '--seed', '-4'], /--seed: "-4" must be a whole number from 0 to 4294967295/],
      [['explore', '--strategy', 'dfs', '--depth', '3'], /--depth applies to --strategy pct only/],
      [['explore', '--work', '3'], /--work does not apply to --scenario counter/],
      [['explore', '--delay', 'soon'], /--delay: "soon" is not a duration/],
      [['explore', '--scenario', 'actors'], /--scenario actors needs --pattern NAME; patterns: /],
      [['explore', '--scenario', 'actors', '--pattern', 'nope'], /--pattern: "nope" is not an actor pattern/],
      [['explore', '--scenario', 'actors', '--pattern', 'check-then-act', '--variant', 'nope'], /"nope" is not a variant/],
      [['replay', 'nonsense'], /replay token: "nonsense" is not a racelab replay token/],
      [['replay', 'rl1/counter/clients=2,delay=0,increments=1,variant=vulnerable/dfs/3/1/0.1.1.0/zzzz'], /the checksum does not match/],
      [['replay'], /missing required argument 'token'/],
      [['replay', 'rl1/hits/-/dfs/1/1/0.1/hvcnm7'], /made for workload "hits", which is not built in .*replay\(workload, token\)/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    runs.forEach((run, i) => expect(expectOneLineError(run), cases[i]![0].join(' ')).toMatch(cases[i]![1]));
  });
});
