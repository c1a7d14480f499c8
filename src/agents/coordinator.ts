import type { KeyObject } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { createInbox, type NatsConnection } from 'nats';
import type { BurstCall, CallOutcome } from '../burst/call.js';
import type { PolicyOptions } from '../burst/create-policy.js';
import { spreadOf } from '../burst/stats.js';
import type { AgentShare, FireOptions, FireResult, SyncMode, SyncPolicy } from '../burst/sync-policy.js';
import { nowMicros } from '../core/clock.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { calibrateWallClock, clockSample, estimateOffset, wallMicros, type ClockOffset, type ClockSample } from './clock.js';
import { sealEnvelope } from './envelope.js';
import type { BurstJob } from './jobs.js';
import { connectNats, type NatsAccess } from './nats-connect.js';
import { chooseIdleAgents } from './discover.js';
import { DEFAULT_SUBJECT_PREFIX, agentSubjects, type AgentReport } from './protocol.js';

export interface AgentsPolicyOptions {
  readonly nats: NatsAccess;
  readonly signKey: KeyObject;
  /** Agents to split each burst over; all that answer when absent. */
  readonly agentCount?: number;
  readonly subjectPrefix?: string;
  /** How long to wait for agents to answer the discovery. */
  readonly discoverMs?: number;
  /** Clock round trips per agent before each round (the smallest round trip wins). */
  readonly clockSamples?: number;
  /** False: each agent releases at the coordinator's instant read on its own clock, uncorrected (for comparison). */
  readonly correctOffsets?: boolean;
}

const AGENT_SYNC: readonly SyncMode[] = ['last-frame', 'parallel'];

/**
 * A burst split over agents (racelab attack --agents), as a sync policy the attack engine drives like any other:
 * before each round every agent's clock offset is measured over NATS; each agent gets a signed job with its share
 * of the calls, connects and stages them, and says ready; the coordinator picks a release instant far enough
 * ahead for every agent and sends each its instant on its own clock (the coordinator's plus the agent's offset);
 * the agents report every call, with the server's handler start when the server is racelab's.
 */
export class AgentsPolicy implements SyncPolicy {
  readonly mode: SyncMode;
  private nc: NatsConnection | undefined;
  private agents: string[] = [];
  private readonly prefix: string;

  constructor(
    private readonly o: AgentsPolicyOptions,
    private readonly burst: PolicyOptions,
  ) {
    if (!AGENT_SYNC.includes(burst.mode)) throw new RacelabError('BAD_OPTION', `agents burst with last-frame or parallel, not ${burst.mode}`, { subject: 'sync' });
    if (burst.transport.tls) throw new RacelabError('BAD_OPTION', 'agents reach the target in plaintext; TLS targets are not supported yet', { subject: 'agents' });
    this.mode = burst.mode;
    this.prefix = o.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  }

  get clients(): number {
    return Math.max(1, this.agents.length);
  }

  /** Contiguous shares: agent k sends calls [k·n/K, (k+1)·n/K). */
  clientOf(index: number): number {
    return Math.min(this.clients - 1, Math.floor((index * this.clients) / this.burst.count));
  }

  get agentNames(): readonly string[] {
    return this.agents;
  }

  async open(): Promise<void> {
    this.nc = await connectNats(this.o.nats, 'racelab-coordinator', 'agents');
    try {
      const chosen = await chooseIdleAgents(this.nc, { natsUrl: this.o.nats.url, prefix: this.prefix, ...(this.o.discoverMs !== undefined ? { discoverMs: this.o.discoverMs } : {}), ...(this.o.agentCount !== undefined ? { agentCount: this.o.agentCount } : {}) });
      if (chosen.length > this.burst.count) {
        throw new RacelabError('BAD_OPTION', `${chosen.length} agents for a burst of ${this.burst.count} calls; give each agent at least one call`, { subject: 'agentCount' });
      }
      this.agents = chosen.map((h) => h.agent);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  private need(): NatsConnection {
    if (!this.nc) throw new Error('AgentsPolicy used before open');
    return this.nc;
  }

  /** NTP-style: round trips one after another; the one with the smallest round trip gives the offset. */
  async measureOffset(agent: string): Promise<ClockOffset> {
    const nc = this.need();
    const samples: ClockSample[] = [];
    let unusable = 0;
    for (let i = 0; i < (this.o.clockSamples ?? 8); i++) {
      const sentMicros = wallMicros();
      try {
        const reply = await nc.request(agentSubjects(this.prefix, agent).clock, '', { timeout: 1000 });
        const receivedMicros = wallMicros();
        const sample = clockSample(sentMicros, receivedMicros, JSON.parse(reply.string()) as unknown);
        if (sample) samples.push(sample);
        else unusable++;
      } catch {
        // A lost reading: the others decide.
      }
    }
    const offset = estimateOffset(samples, calibrateWallClock().uncertaintyMicros);
    if (!offset) {
      const asked = this.o.clockSamples ?? 8;
      const message =
        unusable > 0
          ? `agent ${agent} gave no usable clock reading of ${asked} asked: ${unusable} answered with a reading that was not a finite time with a non-negative uncertainty`
          : `agent ${agent} answered none of ${asked} clock readings within 1s each`;
      throw new RacelabError('TIMEOUT', message, { subject: 'agents' });
    }
    return offset;
  }

  async fire(calls: readonly BurstCall[], options: FireOptions = {}): Promise<FireResult> {
    const nc = this.need();
    if (calls.some((c) => c.offsetMicros !== 0)) throw new RacelabError('BAD_OPTION', 'calls with an @OFFSET are not supported over agents yet', { subject: 'agents' });
    const offsets = await Promise.all(this.agents.map((a) => this.measureOffset(a)));
    const shares = this.agents.map((_, k) => calls.filter((c) => this.clientOf(c.index) === k).sort((a, b) => a.index - b.index));
    const t = this.burst.transport;
    const durationMs = t.connectTimeoutMs + t.deadlineMs + 10_000;
    const inbox = createInbox();
    const sub = nc.subscribe(inbox);
    const reports = new Map<string, AgentReport[]>(this.agents.map((a) => [a, []]));
    const jobIds = new Map<string, string>();
    let notify: (() => void) | undefined;
    const pump = (async () => {
      for await (const m of sub) {
        try {
          const r = JSON.parse(m.string()) as AgentReport;
          reports.get(r.agent)?.push(r);
        } catch {
          // Not a report.
        }
        notify?.();
      }
    })();
    const waitFor = async (done: () => boolean, ms: number): Promise<void> => {
      const until = performance.now() + ms;
      while (!done() && performance.now() < until) {
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, Math.max(1, until - performance.now()));
        });
      }
    };
    const last = (a: string): AgentReport | undefined => reports.get(a)?.at(-1);
    try {
      this.agents.forEach((agent, k) => {
        const share = shares[k] as BurstCall[];
        const job: BurstJob = {
          target: t.target,
          sync: this.mode as BurstJob['sync'],
          calls: share.map((c) => ({ path: c.path, request: c.request.toString('base64'), count: 1 })),
          firstIndex: share[0]?.index ?? 0,
          deadlineMs: t.deadlineMs,
          durationMs,
          metadata: t.metadata.map(([k2, v]) => [k2, v] as const),
        };
        const sealed = sealEnvelope(this.o.signKey, 'burst', job, { ttlMs: 30_000 });
        jobIds.set(agent, (JSON.parse(sealed.body) as { id: string }).id);
        nc.publish(agentSubjects(this.prefix, agent).jobs, JSON.stringify(sealed), { reply: inbox });
      });
      await waitFor(() => this.agents.every((a) => last(a) !== undefined), t.connectTimeoutMs + 5000);
      const refused = this.agents.map((a) => ({ a, r: last(a) })).find(({ r }) => r && r.kind !== 'ready');
      if (refused?.r && (refused.r.kind === 'refused' || refused.r.kind === 'failed' || refused.r.kind === 'abandoned')) {
        const r = refused.r;
        throw new RacelabError(r.kind === 'refused' ? 'BAD_OPTION' : 'UNREACHABLE', `agent ${refused.a} ${r.kind === 'refused' ? `refused the burst (${r.reason}): ${r.detail}` : `could not stage its calls: ${r.detail}`}`, { subject: 'agents' });
      }
      const ready = this.agents.filter((a) => last(a)?.kind === 'ready');
      await options.beforeRelease?.();
      // Far enough ahead that every release message arrives before its instant: four of the slowest round trips.
      const leadMicros = Math.max(20_000, 4 * Math.max(...offsets.map((o) => o.rttMicros)));
      const releaseAt = wallMicros() + leadMicros;
      const correct = this.o.correctOffsets ?? true;
      this.agents.forEach((agent, k) => {
        if (!ready.includes(agent)) return;
        const at = releaseAt + (correct ? (offsets[k] as ClockOffset).offsetMicros : 0);
        nc.publish(agentSubjects(this.prefix, agent).release, JSON.stringify(sealEnvelope(this.o.signKey, 'release', { jobId: jobIds.get(agent), releaseAtMicros: Math.round(at) }, { ttlMs: 30_000 })));
      });
      const settled = (a: string): boolean => ['result', 'failed', 'abandoned'].includes(last(a)?.kind ?? '');
      await waitFor(() => ready.every(settled), leadMicros / 1000 + t.deadlineMs + 3000);
      return this.collect(shares, offsets, correct, leadMicros, (a) => {
        const r = last(a);
        return r?.kind === 'result' ? r : undefined;
      });
    } finally {
      sub.unsubscribe();
      await pump;
    }
  }

  private collect(
    shares: ReadonlyArray<readonly BurstCall[]>,
    offsets: readonly ClockOffset[],
    corrected: boolean,
    leadMicros: number,
    resultOf: (agent: string) => Extract<AgentReport, { kind: 'result' }> | undefined,
  ): FireResult {
    // Agents' times, moved to the coordinator's clock (offset taken out) and from its wall clock to its monotonic one.
    const monoMinusWall = nowMicros() - wallMicros();
    const outcomes: CallOutcome[] = [];
    const agents: AgentShare[] = [];
    const missing: string[] = [];
    const warnings: string[] = [];
    const otherway: number[] = [];
    this.agents.forEach((agent, k) => {
      const off = offsets[k] as ClockOffset;
      const share = shares[k] as readonly BurstCall[];
      const result = resultOf(agent);
      if (!result) {
        missing.push(agent);
        for (const c of share) {
          const now = nowMicros();
          outcomes.push({ index: c.index, client: k, path: c.path, sentMicros: now, doneMicros: now, code: status.UNKNOWN, details: `agent ${agent} did not report this round; the call's outcome is unknown` });
        }
      } else {
        for (const w of result.warnings) warnings.push(`agent ${agent}: ${w}`);
        for (const o of result.outcomes) {
          outcomes.push({
            index: o.index,
            client: k,
            path: o.path,
            sentMicros: o.sentAgentMicros - off.offsetMicros + monoMinusWall,
            doneMicros: o.doneAgentMicros - off.offsetMicros + monoMinusWall,
            code: o.code,
            details: o.details,
            ...(o.response !== undefined ? { response: Buffer.from(o.response, 'base64') } : {}),
            ...(o.handlerStartMicros !== undefined ? { handlerStartMicros: o.handlerStartMicros } : {}),
          });
          // Uncorrected, an agent releases at the instant read on its own clock: `offset` earlier in real time, but
          // never before the release message reaches it (about lead − rtt/2 before the instant). So correcting
          // moves its release by min(offset, lead − rtt/2); the other way moves it back by as much.
          const shift = Math.min(off.offsetMicros, leadMicros - off.rttMicros / 2);
          if (o.handlerStartMicros !== undefined) otherway.push(o.handlerStartMicros + (corrected ? -shift : shift));
        }
      }
      const starts = (result?.outcomes ?? []).flatMap((o) => (o.handlerStartMicros !== undefined ? [o.handlerStartMicros] : []));
      const spread = spreadOf(starts);
      agents.push({ agent, calls: share.length, offsetMicros: off.offsetMicros, uncertaintyMicros: off.uncertaintyMicros, rttMicros: off.rttMicros, reported: result !== undefined, ...(spread ? { serverSpread: spread } : {}) });
    });
    if (missing.length) warnings.push(`incomplete round: agent(s) ${missing.join(', ')} did not report; their ${missing.reduce((s, a) => s + (shares[this.agents.indexOf(a)]?.length ?? 0), 0)} call(s) are unknown outcomes`);
    const other = spreadOf(otherway);
    return { outcomes: outcomes.sort((a, b) => a.index - b.index), warnings, agents: { agents, missing, corrected, leadMicros, ...(other ? { otherwayServerSpread: other } : {}) } };
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    if (nc && !nc.isClosed()) await nc.drain().catch((e: unknown) => void messageOf(e));
  }
}
