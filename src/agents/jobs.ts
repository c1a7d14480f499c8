import type { NatsConnection } from 'nats';
import { createSyncPolicy } from '../burst/create-policy.js';
import type { BurstCall } from '../burst/call.js';
import { nowMicros } from '../core/clock.js';
import { messageOf } from '../core/errors.js';
import type { AgentClock } from './clock.js';
import type { JobDemand } from './caps.js';
import { Refusal, type Envelope } from './envelope.js';
import type { AgentCallOutcome, AgentReport } from './protocol.js';

/** What a running job may use of its agent. */
export interface JobContext {
  readonly agent: string;
  readonly jobId: string;
  /** The address the allowlist checked (`ip:port`): the job connects here, not to the name it gave. Empty for a job that sends no traffic. */
  readonly address: string;
  /** The agent's NATS connection (an exploration takes its shards from JetStream through it). */
  readonly nats: NatsConnection;
  readonly clock: AgentClock;
  /** Aborted when the agent stops or the job's time is up. */
  readonly signal: AbortSignal;
  report(r: AgentReport): void;
  /** Resolves with the release instant (agent clock, µs) of the next signed release for this job. */
  release(): Promise<number>;
  /** Counts calls against the agent's rate cap as they are sent. */
  recordCalls(n: number): void;
  /**
   * Opens a message that belongs to this job (a shard, a control message): signed by the trusted key and not
   * expired. Not checked against the nonces seen: a shard redelivered is the same message by design.
   */
  verify(data: Uint8Array): Envelope;
  /** One line in the agent's log. */
  event(line: string): void;
}

/** A kind of job an agent runs: its payload checked, its demand told to the caps, its run. */
export interface JobType<J> {
  readonly type: string;
  /** Checks a payload; throws a Refusal('bad-job') naming what is wrong. */
  parse(payload: unknown): J;
  /** `host:port` the job sends traffic to (checked against the allowlist); undefined for a job that sends none. */
  target(job: J): string | undefined;
  demand(job: J): JobDemand;
  run(job: J, ctx: JobContext): Promise<void>;
}

/** One burst, as a coordinator sends it to one agent: the calls already encoded, the release given separately. */
export interface BurstJob {
  readonly target: string;
  readonly sync: 'last-frame' | 'parallel';
  /** Each entry sent `count` times; `request` is the encoded message in base64. */
  readonly calls: ReadonlyArray<{ readonly path: string; readonly request: string; readonly count: number }>;
  /** First index of this agent's calls in the whole burst (the coordinator's numbering). */
  readonly firstIndex: number;
  readonly deadlineMs: number;
  readonly durationMs: number;
  readonly metadata: ReadonlyArray<readonly [string, string]>;
  /** Release instant on the agent's clock (µs); absent: stage, report ready and wait for a signed release. */
  readonly releaseAtMicros?: number;
}

const BURST_SYNC = ['last-frame', 'parallel'] as const;

function bad(detail: string): Refusal {
  return new Refusal('bad-job', detail);
}

function parseBurstJob(payload: unknown): BurstJob {
  const p = payload as Partial<Record<keyof BurstJob, unknown>> | null;
  if (typeof p !== 'object' || p === null) throw bad('the burst payload is not an object');
  if (typeof p.target !== 'string') throw bad('target: give host:port');
  if (!BURST_SYNC.includes(p.sync as never)) throw bad(`sync: use ${BURST_SYNC.join(' or ')}`);
  if (!Array.isArray(p.calls) || p.calls.length === 0) throw bad('calls: give at least one { path, request, count }');
  const calls = (p.calls as unknown[]).map((c, i) => {
    const x = c as { path?: unknown; request?: unknown; count?: unknown } | null;
    if (typeof x?.path !== 'string' || !/^\/[^/]+\/[^/]+$/.test(x.path)) throw bad(`calls[${i}].path: give /package.Service/Method`);
    if (typeof x.request !== 'string') throw bad(`calls[${i}].request: give the encoded message in base64`);
    if (!Number.isSafeInteger(x.count) || (x.count as number) < 1) throw bad(`calls[${i}].count: give a whole number of at least 1`);
    return { path: x.path, request: x.request, count: x.count as number };
  });
  const num = (v: unknown, what: string, min: number): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw bad(`${what}: give a number of at least ${min}`);
    return v;
  };
  const metadata = Array.isArray(p.metadata) ? (p.metadata as unknown[]) : [];
  if (!metadata.every((m) => Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')) throw bad('metadata: give [key, value] string pairs');
  return {
    target: p.target,
    sync: p.sync as BurstJob['sync'],
    calls,
    firstIndex: num(p.firstIndex ?? 0, 'firstIndex', 0),
    deadlineMs: num(p.deadlineMs, 'deadlineMs', 1),
    durationMs: num(p.durationMs, 'durationMs', 1),
    metadata: metadata as Array<[string, string]>,
    ...(p.releaseAtMicros !== undefined ? { releaseAtMicros: num(p.releaseAtMicros, 'releaseAtMicros', 0) } : {}),
  };
}

function expand(job: BurstJob): BurstCall[] {
  const out: BurstCall[] = [];
  for (const c of job.calls) {
    const request = Buffer.from(c.request, 'base64');
    for (let k = 0; k < c.count; k++) out.push({ index: job.firstIndex + out.length, client: 0, path: c.path, request, offsetMicros: 0 });
  }
  return out;
}

/**
 * A burst: connect, stage (last-frame: every call but its final bytes), report ready, wait for the release
 * instant on this agent's clock, release, report every call. A job stopped before its release cancels its staged
 * calls: nothing reaches a handler.
 */
export const burstJobType: JobType<BurstJob> = {
  type: 'burst',
  parse: parseBurstJob,
  target: (j) => j.target,
  demand: (j) => ({ calls: j.calls.reduce((s, c) => s + c.count, 0), durationMs: j.durationMs }),
  async run(job, ctx) {
    const calls = expand(job);
    const policy = createSyncPolicy({
      mode: job.sync,
      transport: { target: ctx.address, metadata: job.metadata, deadlineMs: job.deadlineMs, connectTimeoutMs: Math.min(5000, job.durationMs) },
      count: calls.length,
    });
    // A monotonic reading in the agent clock's terms.
    const toAgent = (mono: number): number => ctx.clock.now() - (nowMicros() - mono);
    let releasedAgentMicros = 0;
    try {
      await policy.open();
      const fired = await policy.fire(calls, {
        beforeRelease: async () => {
          ctx.report({ kind: 'ready', agent: ctx.agent, jobId: ctx.jobId, agentMicros: ctx.clock.now() });
          const at = job.releaseAtMicros ?? (await ctx.release());
          if (ctx.signal.aborted) throw new Error(String(ctx.signal.reason ?? 'stopped'));
          await Promise.race([
            ctx.clock.until(at),
            new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error(String(ctx.signal.reason ?? 'stopped'))), { once: true })),
          ]);
          releasedAgentMicros = ctx.clock.now();
          ctx.recordCalls(calls.length);
        },
      });
      const outcomes: AgentCallOutcome[] = fired.outcomes.map((o) => ({
        index: o.index,
        path: o.path,
        code: o.code,
        details: o.details,
        sentAgentMicros: toAgent(o.sentMicros),
        doneAgentMicros: toAgent(o.doneMicros),
        ...(o.handlerStartMicros !== undefined ? { handlerStartMicros: o.handlerStartMicros } : {}),
        ...(o.response ? { response: o.response.toString('base64') } : {}),
      }));
      ctx.report({ kind: 'result', agent: ctx.agent, jobId: ctx.jobId, releasedAgentMicros, outcomes, warnings: fired.warnings });
    } catch (e) {
      if (releasedAgentMicros === 0) throw new JobAbandoned(messageOf(e));
      throw e;
    } finally {
      await policy.close();
    }
  },
};

/** A job stopped before it sent anything. */
export class JobAbandoned extends Error {}

/** Every job type an agent runs: an explicit list, never filled by imports' side effects. */
export const JOB_TYPES: ReadonlyArray<JobType<never>> = [burstJobType as JobType<never>];

export function jobType(type: string): JobType<unknown> | undefined {
  return JOB_TYPES.find((t) => t.type === type) as JobType<unknown> | undefined;
}
