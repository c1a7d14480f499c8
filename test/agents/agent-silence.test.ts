/**
 * explore --agents --agent-silence (issue 19): how long every agent may stay silent with shards out before the
 * exploration stops. A bad value is one line, exit 2, before anything is made on NATS or sent to an agent; a good
 * one reaches the pool's options (checked without waiting for any silence).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSilentMs, openAgentShards, silentLimits } from '../../src/agents/explore-pool.js';
import { agentShardsOptions } from '../../src/cli/commands/explore.js';
import { RacelabError } from '../../src/core/errors.js';
import { NATS_URL, serviceAvailable } from '../helpers/services.js';
import { exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('rltest-agent-silence-');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const key = join(dir, 'key');
writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(`${key}.pub`, publicKey.export({ type: 'spki', format: 'pem' }));

describe('the silence window', () => {
  it('defaults to 12 s (4 ack waits of 3 s) and is bounded: 2 ack waits to an hour', () => {
    expect(silentLimits()).toEqual({ minMs: 6000, maxMs: 3_600_000, defaultMs: 12_000 });
    expect(checkSilentMs(6000)).toBe(6000);
    expect(() => checkSilentMs(5999)).toThrow(/^silentMs: 5\.999s is shorter than two pings apart \(6s\)/);
    expect(() => checkSilentMs(3_600_001)).toThrow(/^silentMs: .* is longer than 1h; give 6s to 1h$/);
  });

  it('--agent-silence reaches the pool; absent, the pool keeps its default', async () => {
    const flags = { agents: 'nats://127.0.0.1:4222', signKey: key, subjectPrefix: 'racelab' };
    expect((await agentShardsOptions({ ...flags, agentSilence: '45s' }))?.silentMs).toBe(45_000);
    expect(await agentShardsOptions(flags)).not.toHaveProperty('silentMs');
    await expect(agentShardsOptions({ subjectPrefix: 'racelab', agentSilence: '45s' })).rejects.toThrow(/^--agent-silence belongs to --agents/);
  });

  it('the pool refuses a bad window before it connects (an unreachable NATS is not what it says)', async () => {
    const refused = await openAgentShards({ nats: { url: 'nats://127.0.0.1:1' }, signKey: privateKey, silentMs: 1000 }, { scenario: {} as never, options: {} as never }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RacelabError);
    expect((refused as RacelabError).subject).toBe('silentMs');
  });
});

const up = await serviceAvailable('NATS', NATS_URL);

describe.skipIf(!up)('explore --agent-silence: bad values', { timeout: 60_000 }, () => {
  const prefix = `rltest-silence-${randomBytes(4).toString('hex')}`;
  let agent: { child: ChildProcess; output: () => string };

  beforeAll(async () => {
    agent = await startCli(['agent', '--nats', NATS_URL, '--trust-key', `${key}.pub`, '--name', 's1', '--subject-prefix', prefix], /agent s1: ready/);
  });
  afterAll(async () => {
    if (agent && agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGTERM');
      await exited(agent.child);
    }
  });

  it('one line, exit 2; no job sent to the agent, no stream made', async () => {
    const bad = (value: string) =>
      runCli(['explore', '--scenario', 'depth3', '--strategy', 'pct', '--seed', '3', '--agents', NATS_URL, '--sign-key', key, '--subject-prefix', prefix, '--agent-silence', value], { timeoutMs: 20_000 }).then(expectOneLineError);
    expect(await bad('2s')).toBe('racelab: --agent-silence: 2s is shorter than two pings apart (6s): a live agent would be taken for dead; give 6s to 1h');
    expect(await bad('2h')).toBe('racelab: --agent-silence: 2h is longer than 1h; give 6s to 1h');
    expect(await bad('soon')).toMatch(/^racelab: --agent-silence: "soon" is not a duration/);
    expect(agent.output()).not.toMatch(/: job \w+: explore/);
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      const ours = (await jsm.streams.list().next()).filter((s) => s.config.subjects.some((subject) => subject.startsWith(`${prefix}.`)));
      expect(ours).toEqual([]);
    } finally {
      await nc.close();
    }
  });
});
