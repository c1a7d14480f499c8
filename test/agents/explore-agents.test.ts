/**
 * racelab explore --agents (issue 19): the shards of an exploration spread over agents through a JetStream work
 * queue on the real NATS. Two agents give the report of one process (same first failure, shrunk schedule,
 * token); an agent SIGKILLed mid-shard has its shard redelivered to the other, with the result unchanged; the
 * stream and consumer are gone afterwards, and so is every process the test did not keep. Bad input: one line,
 * exit 2.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_URL, serviceAvailable } from '../helpers/services.js';
import { BIN, exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';
import { childPids } from '../helpers/netns.js';

const up = await serviceAvailable('NATS', NATS_URL);

type Report = Record<string, unknown> & { agents?: { names: string[]; shards: number; redelivered: number } };

/** The report without what differs run to run (timings) or says where it ran. */
function comparable(stdout: string): Report {
  const { elapsedMs: _e, runsPerSecond: _r, agents: _a, workers: _w, ...rest } = JSON.parse(stdout) as Report;
  return rest;
}

describe.skipIf(!up)('racelab explore --agents', { timeout: 180_000 }, () => {
  const prefix = `rltest-explore-agents-${randomBytes(4).toString('hex')}`;
  let dir: string;
  const agents = new Map<string, { child: ChildProcess; output: () => string }>();

  const startAgent = async (name: string): Promise<void> => {
    agents.set(name, await startCli(['agent', '--nats', NATS_URL, '--trust-key', join(dir, 'key.pub'), '--name', name, '--subject-prefix', prefix], new RegExp(`agent ${name}: ready`)));
  };
  const viaAgents = (args: string[], extra: string[] = []): string[] => [...args, '--agents', NATS_URL, '--sign-key', join(dir, 'key'), '--subject-prefix', prefix, ...extra];
  const explore = async (args: string[]): Promise<{ report: Report; raw: Report }> => {
    const run = await runCli(['explore', ...args, '--json'], { timeoutMs: 120_000 });
    expect([0, 1], run.stderr).toContain(run.code);
    return { report: comparable(run.stdout), raw: JSON.parse(run.stdout) as Report };
  };
  /** Every exploration these agents served, by its id in their logs. */
  const explorations = (): string[] => [...new Set([...agents.values()].flatMap((a) => [...a.output().matchAll(/exploration ([0-9a-f]{12})/g)].map((m) => m[1] as string)))];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rltest-explore-agents-'));
    expect((await runCli(['keygen', '--out', join(dir, 'key')])).code).toBe(0);
    await Promise.all([startAgent('a1'), startAgent('a2')]);
  });

  afterAll(async () => {
    for (const a of agents.values()) {
      if (a.child.exitCode === null && a.child.signalCode === null) {
        a.child.kill('SIGTERM');
        await exited(a.child);
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    // depth3 under pct fails at run 65 for seed 3, past the first shards; its run length is measured as it goes.
    ['pct', ['--scenario', 'depth3', '--strategy', 'pct', '--seed', '3']],
    ['random', ['--scenario', 'depth3', '--strategy', 'random', '--seed', '3', '--runs', '5000']],
    // dfs: subtrees go to the agents; the run index counts the abandoned runs before it.
    ['dfs', ['--scenario', 'depth3', '--strategy', 'dfs', '--seed', '1']],
  ])('%s: two agents give the first failure, shrunk schedule and token of one process', async (_name, args) => {
    const one = await explore(args);
    const two = await explore(viaAgents(args));
    expect(one.report.verdict).toBe('race-found');
    expect((one.report.firstFailure as { run: number }).run).toBeGreaterThanOrEqual(8);
    expect(two.report).toEqual(one.report);
    expect(two.raw.agents?.names).toEqual(['a1', 'a2']);
  });

  it('dfs proving a fixed variant: the same verdict and counters', async () => {
    const args = ['--scenario', 'counter', '--variant', 'cas', '--clients', '3', '--strategy', 'dfs', '--seed', '1'];
    const one = await explore(args);
    expect(one.report.verdict).toBe('proved');
    expect((await explore(viaAgents(args))).report).toEqual(one.report);
  });

  it('an agent SIGKILLed mid-shard: its shard is redelivered to the other, the result unchanged, nothing left', async () => {
    const args = ['--scenario', 'counter', '--variant', 'mutex', '--strategy', 'random', '--seed', '1', '--runs', '12000'];
    const one = await explore(args);
    expect(one.report.verdict).toBe('none-found');
    const before = new Set(explorations());
    const running = runCli(['explore', ...viaAgents(args), '--json'], { timeoutMs: 150_000 });
    // A shard of at least 1024 runs (a second or more here) has just started on an agent: kill that agent.
    const bigShard = /exploration ([0-9a-f]{12}): shard (\d+) \(runs (\d+)-(\d+)\)\n/g;
    let victim: { name: string; exploration: string; shard: string } | undefined;
    const t0 = Date.now();
    while (!victim && Date.now() - t0 < 60_000) {
      for (const [name, a] of agents) {
        for (const m of a.output().matchAll(bigShard)) {
          if (!before.has(m[1] as string) && Number(m[4]) - Number(m[3]) + 1 >= 1024) victim = { name, exploration: m[1] as string, shard: m[2] as string };
        }
      }
      if (!victim) await new Promise((r) => setTimeout(r, 20));
    }
    expect(victim, 'no agent started a shard of 1024 runs').toBeDefined();
    const killed = agents.get(victim!.name)!;
    killed.child.kill('SIGKILL');
    await exited(killed.child);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(comparable(run.stdout)).toEqual(one.report);
    const raw = JSON.parse(run.stdout) as Report;
    expect(raw.agents?.redelivered).toBeGreaterThanOrEqual(1);
    // The other agent ran the killed agent's shard, on its second delivery.
    const survivor = [...agents].find(([n]) => n !== victim!.name)![1];
    expect(survivor.output()).toMatch(new RegExp(`exploration ${victim!.exploration}: shard ${victim!.shard} \\(runs \\d+-\\d+, delivery [2-9]\\)`));

    // Nothing left: the stream (and its consumer) removed, the only children the agents still alive.
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      await expect(jsm.streams.info(`RACELAB_EXPLORE_${victim!.exploration}`)).rejects.toThrow(/not found/i);
    } finally {
      await nc.close();
    }
    agents.delete(victim!.name);
    expect(childPids().sort()).toEqual([survivor.child.pid].sort());
    await startAgent(victim!.name);
  });

  it('Ctrl+C: the summary so far, exit 130, the stream removed', async () => {
    const before = new Set(explorations());
    const args = ['explore', '--scenario', 'counter', '--variant', 'mutex', '--strategy', 'random', '--runs', '100000000', '--seed', '1'];
    const child = spawn(process.execPath, [BIN, ...viaAgents(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Interrupted once the agents are running its shards (the CLI's start-up takes seconds on a loaded machine).
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000 && !explorations().some((id) => !before.has(id) && [...agents.values()].some((a) => a.output().includes(`exploration ${id}: shard 3 `)))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    const { code } = await exited(child);
    expect(code, stderr).toBe(130);
    expect(stdout).toMatch(/no failing schedule found in \d+ runs?, before it was interrupted/);
    expect(Number(/found in (\d+) runs/.exec(stdout)?.[1])).toBeGreaterThan(0);
    const ids = explorations().filter((id) => !before.has(id));
    expect(ids).toHaveLength(1);
    const nc = await connect({ servers: NATS_URL });
    try {
      await expect((await nc.jetstreamManager()).streams.info(`RACELAB_EXPLORE_${ids[0]}`)).rejects.toThrow(/not found/i);
    } finally {
      await nc.close();
    }
    // Both agents are idle again and took the next exploration's job. An agent notices the end between two
    // fetches from the work queue (each waits up to 1 s): wait for both to say so, as a user starting the next
    // exploration at once might not (it would get the agents that are idle by then).
    const t1 = Date.now();
    const done = new RegExp(`exploration ${ids[0]}: (ended|left) after`);
    while (Date.now() - t1 < 30_000 && ![...agents.values()].every((a) => done.test(a.output()))) await new Promise((r) => setTimeout(r, 50));
    const again = await explore(viaAgents(['--scenario', 'depth3', '--strategy', 'pct', '--seed', '3']));
    expect(again.raw.agents?.names).toEqual(['a1', 'a2']);
  });

  it('both agents SIGKILLed mid-exploration: the summary so far naming both, exit 4, nothing left', async () => {
    const before = new Set(explorations());
    const args = ['explore', '--scenario', 'counter', '--variant', 'mutex', '--strategy', 'random', '--runs', '100000000', '--seed', '1'];
    const running = runCli(viaAgents(args), { timeoutMs: 150_000 });
    // Killed once both agents are running its shards (no agent says anything when SIGKILLed).
    const started = (): string | undefined => explorations().find((id) => !before.has(id) && [...agents.values()].every((a) => new RegExp(`exploration ${id}: shard \\d+ `).test(a.output())));
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000 && !started()) await new Promise((r) => setTimeout(r, 20));
    const id = started();
    expect(id, 'the agents did not both start a shard').toBeDefined();
    for (const a of agents.values()) a.child.kill('SIGKILL');
    await Promise.all([...agents.values()].map((a) => exited(a.child)));
    const killedAt = Date.now();
    const run = await running;
    // Noticed after 4 ack waits of silence (12 s) plus a ping interval; bounded widely for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(90_000);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toMatch(/no failing schedule found in \d+ runs?, before every agent went silent/);
    expect(run.stdout).toMatch(/^agents: a1, a2 \(\d+ shards, \d+ redelivered\)$/m);
    expect(run.stdout).toMatch(/^every agent went silent with \d+ shards? out: a1, a2 \(nothing heard for [\d.]+ ?\w+\)/m);
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      await expect(jsm.consumers.info(`RACELAB_EXPLORE_${id!}`, 'shards')).rejects.toThrow(/not found/i);
      await expect(jsm.streams.info(`RACELAB_EXPLORE_${id!}`)).rejects.toThrow(/not found/i);
    } finally {
      await nc.close();
    }
    agents.clear();
    expect(childPids()).toEqual([]);
    await Promise.all([startAgent('a1'), startAgent('a2')]);
  });

  const bad = (extra: string[]) => runCli(['explore', '--scenario', 'depth3', '--strategy', 'pct', '--seed', '3', '--sign-key', join(dir, 'key'), ...extra], { timeoutMs: 30_000 }).then(expectOneLineError);

  it('NATS unreachable: one line, exit 2', async () => {
    expect(await bad(['--agents', 'nats://127.0.0.1:1'])).toMatch(/^racelab: --agents: .*nats:\/\/127\.0\.0\.1:1 .*not reachable/);
  });

  it('no agent answering within the timeout: one line, exit 2', async () => {
    expect(await bad(['--agents', NATS_URL, '--subject-prefix', `${prefix}-nobody`])).toMatch(/^racelab: --agents: no idle agent answered within 1000ms under subject prefix rltest-explore-agents-\w+-nobody .*; start one with racelab agent/);
  });

  it('--agent-count above the agents present: one line, exit 2, and no agent took a job', async () => {
    const jobs = (): number => [...agents.values()].reduce((n, a) => n + [...a.output().matchAll(/: job \w+: explore/g)].length, 0);
    const before = jobs();
    expect(await bad(['--agents', NATS_URL, '--subject-prefix', prefix, '--agent-count', '3'])).toMatch(/^racelab: --agent-count: 3 agents asked for, 2 idle answered under subject prefix rltest-explore-agents-\w+ .*\(a1, a2\)/);
    expect(jobs()).toBe(before);
  });

  it('each coordinator exited on its own: the only children left are the agents', () => {
    expect(childPids().sort()).toEqual([...agents.values()].map((a) => a.child.pid).sort());
  });
});
