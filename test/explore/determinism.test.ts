import { describe, expect, it } from 'vitest';
import { explore, formatReplayToken, parseReplayToken, replay, type ExploreOptions, type Workload } from '../../src/explore/index.js';
import { counterWorkload, depth3Workload } from '../../src/workloads/index.js';

/** Every run's schedule (its step keys) and verdict, in order. */
async function runsOf(workload: Workload, options: ExploreOptions): Promise<string[]> {
  const runs: string[] = [];
  await explore(workload, { ...options, stopOnFailure: false, shrink: false, onRun: (_run, r) => runs.push(`${r.status}:${r.steps.map((s) => s.key).join('.')}`) });
  return runs;
}

describe('explore is deterministic', () => {
  for (const strategy of ['random', 'pct', 'dfs'] as const) {
    it(`${strategy}: the same seed gives the same runs, in the same order`, async () => {
      const w = () => counterWorkload({ variant: 'cas', clients: 3 });
      const a = await runsOf(w(), { strategy, seed: 42, runs: 300 });
      const b = await runsOf(w(), { strategy, seed: 42, runs: 300 });
      expect(a.length).toBe(strategy === 'dfs' ? 108 : 300); // dfs: the whole tree of cas with 3 clients
      expect(b).toEqual(a);
      expect(new Set(a).size).toBeGreaterThan(10); // and they are not all the same run
      if (strategy !== 'dfs') expect(await runsOf(w(), { strategy, seed: 43, runs: 300 })).not.toEqual(a);
    });
  }

  it('explorations running at the same time in one process give the same runs as alone', async () => {
    const mutex = () => counterWorkload({ variant: 'mutex', clients: 3 });
    const cas = () => counterWorkload({ variant: 'cas', clients: 3 });
    const alone = [await runsOf(mutex(), { strategy: 'random', seed: 5, runs: 200 }), await runsOf(cas(), { strategy: 'pct', seed: 6, runs: 200 })];
    const together = await Promise.all([runsOf(mutex(), { strategy: 'random', seed: 5, runs: 200 }), runsOf(cas(), { strategy: 'pct', seed: 6, runs: 200 })]);
    expect(together).toEqual(alone);
  });

  it('the same seed finds the same first failure and the same token', async () => {
    const opts = { strategy: 'pct', seed: 2024, runs: 2000 } as const;
    const a = await explore(depth3Workload({ work: 3 }), opts);
    const b = await explore(depth3Workload({ work: 3 }), opts);
    expect(a.firstFailure?.runsToFailure).toBeDefined();
    expect(b.firstFailure?.runsToFailure).toBe(a.firstFailure?.runsToFailure);
    expect(b.firstFailure?.replayToken).toBe(a.firstFailure?.replayToken);
    expect(a.firstFailure?.replayToken).toContain('/pct/2024/');
  });
});

describe('replay tokens', () => {
  it('round-trip, with the workload, its parameters, the strategy, the seed and the schedule', () => {
    const token = { workload: 'my app', params: { variant: 'a,b/c=d', n: '3' }, strategy: 'random', seed: 0xffff_ffff, run: 17, schedule: ['0', '1w2', 'a', '3t0'] } as const;
    const text = formatReplayToken(token);
    expect(text).toMatch(/^rl1\/[A-Za-z0-9%._~\-/=,]+$/);
    expect(parseReplayToken(text)).toEqual(token);
    expect(parseReplayToken(`  ${text}\n`)).toEqual(token);
  });

  it('a damaged token is refused with BAD_TOKEN, not replayed into something else', () => {
    const text = formatReplayToken({ workload: 'counter', params: {}, strategy: 'dfs', seed: 1, run: 0, schedule: ['0', '1', '1', '0'] });
    for (const bad of [text.slice(0, -1), text.replace('/dfs/', '/pct/'), text.replace('0.1.1.0', '0.1.0.1'), 'rl1/x', 'hello', '']) {
      expect(() => parseReplayToken(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_TOKEN' }));
    }
  });

  it('a token made for other parameters, or a schedule the workload cannot follow, is refused', async () => {
    const found = await explore(counterWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'dfs', seed: 1 });
    const token = found.firstFailure!.replayToken;
    await expect(replay(counterWorkload({ variant: 'mutex', clients: 2 }), token)).rejects.toMatchObject({ code: 'BAD_TOKEN', message: expect.stringContaining('variant=vulnerable') });
    await expect(replay(depth3Workload(), token)).rejects.toMatchObject({ code: 'BAD_TOKEN', message: expect.stringContaining('"counter"') });
    const parsed = parseReplayToken(token);
    const tooShort = formatReplayToken({ ...parsed, schedule: parsed.schedule.slice(0, 2) });
    await expect(replay(counterWorkload({ variant: 'vulnerable', clients: 2 }), tooShort)).rejects.toMatchObject({ code: 'BAD_TOKEN' });
    const impossible = formatReplayToken({ ...parsed, schedule: ['0', '0', '0', '0'] });
    await expect(replay(counterWorkload({ variant: 'vulnerable', clients: 2 }), impossible)).rejects.toMatchObject({
      code: 'BAD_TOKEN',
      message: expect.stringContaining('at step 3 the schedule picks transition "0"'),
    });
  });

  it('explore with strategy replay runs the token once, with the seed it carries', async () => {
    const found = await explore(counterWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'random', seed: 99 });
    const r = await explore(counterWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'replay', replay: found.firstFailure!.replayToken });
    expect(r.seed).toBe(99);
    expect(r.runs).toBe(1);
    expect(r.firstFailure?.shrunk.trace).toBe(found.firstFailure?.shrunk.trace);
  });
});
