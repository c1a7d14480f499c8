/**
 * racelab attack --agents, bad input (issue 19): NATS unreachable, no agent answering within the discovery
 * timeout, --agent-count above the agents present. Each is one line and exit 2, the coordinator exits on its
 * own (nothing of it keeps running), and an agent that was there takes no job.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_URL, serviceAvailable } from '../helpers/services.js';
import { exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';
import { childPids } from '../helpers/netns.js';

const up = await serviceAvailable('NATS', NATS_URL);

describe.skipIf(!up)('racelab attack --agents: bad input is one line, exit 2, nothing left running', { timeout: 60_000 }, () => {
  const prefix = `rltest-agents-bad-${randomBytes(4).toString('hex')}`;
  let dir: string;
  let server: { child: ChildProcess; target: string };
  let agent: { child: ChildProcess; output: () => string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rltest-agents-bad-'));
    expect((await runCli(['keygen', '--out', join(dir, 'key')])).code).toBe(0);
    const s = await startCli(['serve', '--port', '0', '--delay', '0ms'], /on (localhost:\d+)/);
    server = { child: s.child, target: s.match[1] as string };
    agent = await startCli(['agent', '--nats', NATS_URL, '--trust-key', join(dir, 'key.pub'), '--name', 'a1', '--subject-prefix', prefix], /agent a1: ready/);
  });

  afterAll(async () => {
    for (const p of [agent?.child, server?.child]) {
      if (p && p.exitCode === null && p.signalCode === null) {
        p.kill('SIGTERM');
        await exited(p);
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const attack = (extra: string[]): Promise<ReturnType<typeof expectOneLineError>> =>
    runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '4', '--rounds', '1', '--sign-key', join(dir, 'key'), ...extra], { timeoutMs: 20_000 }).then(expectOneLineError);

  it('NATS unreachable', async () => {
    expect(await attack(['--agents', 'nats://127.0.0.1:1'])).toMatch(/^racelab: --agents: .*nats:\/\/127\.0\.0\.1:1 .*not reachable/);
  });

  it('no agent answering within the timeout', async () => {
    const t0 = performance.now();
    const line = await attack(['--agents', NATS_URL, '--subject-prefix', `${prefix}-nobody`]);
    expect(line).toMatch(/^racelab: --agents: no idle agent answered within 1000ms under subject prefix rltest-agents-bad-\w+-nobody .*; start one with racelab agent/);
    // The discovery waited its second, and not much more.
    expect(performance.now() - t0).toBeGreaterThan(1000);
  });

  it('--agent-count above the agents present', async () => {
    expect(await attack(['--agents', NATS_URL, '--subject-prefix', prefix, '--agent-count', '2'])).toMatch(/^racelab: --agent-count: 2 agents asked for, 1 idle answered under subject prefix rltest-agents-bad-\w+ .*\(a1\)/);
    // The agent that answered took no job, and is still idle and running.
    expect(agent.output()).not.toMatch(/job /);
    expect(agent.child.exitCode).toBeNull();
  });

  it('each coordinator exited on its own: the only children left are the server and the agent', () => {
    expect(childPids().sort()).toEqual([server.child.pid, agent.child.pid].sort());
  });
});
