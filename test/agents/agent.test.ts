/**
 * An agent is not a bot anyone can steer: on real NATS, against real grpc-js servers that count the calls their
 * handlers see, every job the agent must refuse (unsigned, another key's, a forged signature, replayed, expired,
 * a target outside its allowlist, over its caps) is refused, counted in its health, and sends nothing; a job it
 * must run does reach the server, so the counts could have moved.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createInbox, type NatsConnection } from 'nats';
import { runAgent, type AgentSummary } from '../../src/agents/agent.js';
import { TargetAllowlist } from '../../src/agents/allowlist.js';
import { generateSigningKeys, sealEnvelope, type SignedMessage } from '../../src/agents/envelope.js';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { agentSubjects, discoverSubject, type AgentHealth, type AgentReport } from '../../src/agents/protocol.js';
import type { BurstJob } from '../../src/agents/jobs.js';
import { NATS_URL, serviceAvailable } from '../helpers/services.js';
import { startPlainCounter, type PlainCounter } from '../helpers/plain-counter.js';
import { expectOneLineError, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';

const up = await serviceAvailable('NATS', NATS_URL);

const trusted = generateSigningKeys();
const other = generateSigningKeys();
const trustedPrivate = createPrivateKey(trusted.privateKeyPem);
const otherPrivate = createPrivateKey(other.privateKeyPem);
const trustKey = createPublicKey(trusted.publicKeyPem);

const INCREMENT = '/Counter/Increment';

function burst(target: string, calls: number, extra: Partial<BurstJob> = {}): BurstJob {
  return { target, sync: 'last-frame', calls: [{ path: INCREMENT, request: '', count: calls }], firstIndex: 0, deadlineMs: 5000, durationMs: 10_000, metadata: [], releaseAtMicros: 0, ...extra };
}

describe.skipIf(!up)('racelab agent refuses what it must, on real NATS', { timeout: 60_000 }, () => {
  const prefix = `rltest-agents-${randomBytes(4).toString('hex')}`;
  let nc: NatsConnection;
  let allowed: PlainCounter;
  let outside: PlainCounter;
  const stop = new AbortController();
  let agent: Promise<AgentSummary>;
  const subjects = agentSubjects(prefix, 'a1');

  /** Publishes a job and collects the agent's reports until one ends it. */
  const send = async (message: SignedMessage | string, subject = subjects.jobs): Promise<AgentReport[]> => {
    const inbox = createInbox();
    const sub = nc.subscribe(inbox);
    const reports: AgentReport[] = [];
    nc.publish(subject, typeof message === 'string' ? message : JSON.stringify(message), { reply: inbox });
    const timer = setTimeout(() => sub.unsubscribe(), 15_000);
    for await (const m of sub) {
      const r = JSON.parse(m.string()) as AgentReport;
      reports.push(r);
      if (r.kind !== 'ready') break;
    }
    clearTimeout(timer);
    sub.unsubscribe();
    return reports;
  };
  const health = async (): Promise<AgentHealth> => JSON.parse((await nc.request(discoverSubject(prefix), '', { timeout: 3000 })).string()) as AgentHealth;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    allowed = await startPlainCounter({ variant: 'mutex', delayMs: 0 });
    outside = await startPlainCounter({ variant: 'mutex', delayMs: 0 });
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    agent = runAgent({
      nats: { url: NATS_URL },
      name: 'a1',
      trustKey,
      // Only the allowed server's port: the other server is on the same host, one port away.
      allowlist: TargetAllowlist.parse(`127.0.0.1:${allowed.target.split(':')[1]}`),
      caps: { maxCalls: 40, maxRate: 60, maxDurationMs: 20_000 },
      subjectPrefix: prefix,
      healthIntervalMs: 60_000,
      signal: stop.signal,
      onReady: ready,
    });
    await Promise.race([isReady, agent.then(() => Promise.reject(new Error('the agent stopped before it was ready')))]);
  });
  afterAll(async () => {
    stop.abort();
    await agent;
    await nc?.close();
    await allowed?.close();
    await outside?.close();
  });

  let accepted: SignedMessage;
  it('runs a signed job for an allowed target: the server sees every call', async () => {
    accepted = sealEnvelope(trustedPrivate, 'burst', burst(allowed.target, 5));
    const reports = await send(accepted);
    const result = reports.at(-1);
    expect(result?.kind).toBe('result');
    expect(result?.kind === 'result' ? result.outcomes.filter((o) => o.code === 0).length : 0).toBe(5);
    expect(allowed.incrementPeers().length).toBe(5);
  });

  it('refuses an unsigned job, one signed by another key, and a forged signature', async () => {
    const signed = sealEnvelope(trustedPrivate, 'burst', burst(allowed.target, 3));
    const unsigned = await send({ body: signed.body });
    const foreign = await send(sealEnvelope(otherPrivate, 'burst', burst(allowed.target, 3)));
    // The trusted key's fingerprint on a body someone changed after it was signed.
    const forged = await send({ ...signed, body: signed.body.replace('"count":3', '"count":4') });
    expect([unsigned, foreign, forged].map((r) => r.map((x) => (x.kind === 'refused' ? x.reason : x.kind)))).toEqual([['unsigned'], ['untrusted-key'], ['bad-signature']]);
    expect(allowed.incrementPeers().length).toBe(5);
  });

  it('refuses a replayed job and an expired one', async () => {
    const replay = await send(accepted);
    const expired = await send(sealEnvelope(trustedPrivate, 'burst', burst(allowed.target, 3), { nowMs: Date.now() - 120_000, ttlMs: 30_000 }));
    expect(replay.map((x) => (x.kind === 'refused' ? x.reason : x.kind))).toEqual(['replayed']);
    expect(expired.map((x) => (x.kind === 'refused' ? x.reason : x.kind))).toEqual(['expired']);
    expect(allowed.incrementPeers().length).toBe(5);
  });

  it('refuses a target outside its allowlist, by address or by name', async () => {
    const byAddress = await send(sealEnvelope(trustedPrivate, 'burst', burst(outside.target, 3)));
    const byName = await send(sealEnvelope(trustedPrivate, 'burst', burst(`localhost:${outside.target.split(':')[1]}`, 3)));
    expect([...byAddress, ...byName].map((x) => (x.kind === 'refused' ? x.reason : x.kind))).toEqual(['target-not-allowed', 'target-not-allowed']);
    expect(outside.incrementPeers().length).toBe(0);
  });

  it('refuses jobs over its own caps: calls, duration, and rate over a second', async () => {
    const calls = await send(sealEnvelope(trustedPrivate, 'burst', burst(allowed.target, 41)));
    const duration = await send(sealEnvelope(trustedPrivate, 'burst', burst(allowed.target, 3, { durationMs: 20_001 })));
    // 40 calls run; 40 more within the same second would make 80 > 60 calls/s.
    const first = await send(sealEnvelope(trustedPrivate, 'burst', burst(allowed.target, 40)));
    const second = await send(sealEnvelope(trustedPrivate, 'burst', burst(allowed.target, 40)));
    expect(first.at(-1)?.kind).toBe('result');
    expect([calls, duration, second].map((r) => r.map((x) => (x.kind === 'refused' ? x.reason : x.kind)))).toEqual([['over-caps'], ['over-caps'], ['over-caps']]);
    expect(allowed.incrementPeers().length).toBe(45);
  });

  it('counts every refusal in its health report', async () => {
    const h = await health();
    expect(h.agent).toBe('a1');
    expect(h.jobsDone).toBe(2);
    expect(h.refused).toMatchObject({ unsigned: 1, 'untrusted-key': 1, 'bad-signature': 1, replayed: 1, expired: 1, 'target-not-allowed': 2, 'over-caps': 3 });
  });

  it('releases a staged burst only on a release signed by the trusted key', async () => {
    const job = sealEnvelope(trustedPrivate, 'burst', burst(allowed.target, 4, { releaseAtMicros: undefined }));
    const inbox = createInbox();
    const sub = nc.subscribe(inbox);
    nc.publish(subjects.jobs, JSON.stringify(job), { reply: inbox });
    const reports: AgentReport[] = [];
    const jobId = (JSON.parse(job.body) as { id: string }).id;
    for await (const m of sub) {
      const r = JSON.parse(m.string()) as AgentReport;
      reports.push(r);
      if (r.kind === 'ready') {
        // Staged: everything but the final bytes is on the server, and no handler ran.
        expect(allowed.incrementPeers().length).toBe(45);
        const wrong = await send(sealEnvelope(otherPrivate, 'release', { jobId, releaseAtMicros: 0 }), subjects.release);
        expect(wrong.map((x) => (x.kind === 'refused' ? x.reason : x.kind))).toEqual(['untrusted-key']);
        expect(allowed.incrementPeers().length).toBe(45);
        nc.publish(subjects.release, JSON.stringify(sealEnvelope(trustedPrivate, 'release', { jobId, releaseAtMicros: 0 })));
      }
      if (r.kind !== 'ready') break;
    }
    sub.unsubscribe();
    expect(reports.map((r) => r.kind)).toEqual(['ready', 'result']);
    expect(allowed.incrementPeers().length).toBe(49);
  });
});

describe.skipIf(!up)('racelab agent stops cleanly', { timeout: 60_000 }, () => {
  it('abandons a staged burst on Ctrl+C: its calls are cancelled, none reaches a handler', async () => {
    const prefix = `rltest-agents-${randomBytes(4).toString('hex')}`;
    const server = await startPlainCounter({ variant: 'mutex', delayMs: 0 });
    const nc = await connect({ servers: NATS_URL });
    const stop = new AbortController();
    try {
      let ready!: () => void;
      const isReady = new Promise<void>((r) => (ready = r));
      const agent = runAgent({ nats: { url: NATS_URL }, name: 'a2', trustKey, allowlist: TargetAllowlist.parse(), caps: { maxCalls: 10, maxRate: 100, maxDurationMs: 20_000 }, subjectPrefix: prefix, signal: stop.signal, onReady: ready });
      await isReady;
      const inbox = createInbox();
      const sub = nc.subscribe(inbox);
      nc.publish(agentSubjects(prefix, 'a2').jobs, JSON.stringify(sealEnvelope(trustedPrivate, 'burst', burst(server.target, 3, { releaseAtMicros: undefined }))), { reply: inbox });
      const kinds: string[] = [];
      for await (const m of sub) {
        const r = JSON.parse(m.string()) as AgentReport;
        kinds.push(r.kind);
        if (r.kind === 'ready') stop.abort();
        else break;
      }
      const summary = await agent;
      expect(kinds).toEqual(['ready', 'abandoned']);
      expect(summary.stoppedBecause).toBe('signal');
      expect(summary.lastJob?.outcome).toBe('abandoned');
      await new Promise((r) => setTimeout(r, 200));
      expect(server.incrementPeers().length).toBe(0);
    } finally {
      stop.abort();
      await nc.close();
      await server.close();
    }
  });

  it('bad input is one line and exit 2: NATS unreachable, a private key as --trust-key', async () => {
    const keyFile = join(tempDir('rltest-agent-'), 'coordinator');
    const keygen = await runCli(['keygen', '--out', keyFile]);
    expect(keygen.code).toBe(0);
    expect(expectOneLineError(await runCli(['agent', '--nats', 'nats://127.0.0.1:1', '--trust-key', `${keyFile}.pub`]))).toMatch(/--nats: NATS at nats:\/\/127\.0\.0\.1:1 is not reachable/);
    expect(expectOneLineError(await runCli(['agent', '--nats', NATS_URL, '--trust-key', keyFile]))).toMatch(/--trust-key: .* is a private key/);
    expect(expectOneLineError(await runCli(['agent', '--nats', NATS_URL, '--trust-key', `${keyFile}.pub`, '--allow-targets', '10.0.0.0/33:80']))).toMatch(/--allow-targets: .*\/33/);
  });
});
