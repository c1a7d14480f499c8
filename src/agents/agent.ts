import type { KeyObject } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { maskBrokerUrl } from '../broker/names.js';
import { RacelabError, messageOf } from '../core/errors.js';
import type { TargetAllowlist } from './allowlist.js';
import { type AgentCaps, RateWindow, checkCaps } from './caps.js';
import { AgentClock, calibrateWallClock } from './clock.js';
import { NonceCache, REFUSAL_REASONS, Refusal, keyFingerprint, openEnvelope, type Envelope, type RefusalReason } from './envelope.js';
import { exploreJobType, type ExploreWorkloads } from './explore-jobs.js';
import { JobAbandoned, jobType, type JobContext, type JobType } from './jobs.js';
import { connectNats, type NatsAccess } from './nats-connect.js';
import { AGENT_NAME, DEFAULT_SUBJECT_PREFIX, SUBJECT_PREFIX, agentSubjects, discoverSubject, healthSubject, type AgentHealth, type AgentReport, type ClockReading } from './protocol.js';

export interface AgentOptions {
  readonly nats: NatsAccess;
  readonly name: string;
  readonly trustKey: KeyObject;
  readonly allowlist: TargetAllowlist;
  readonly caps: AgentCaps;
  /** Stop after this many jobs run (done or failed; refusals do not count). */
  readonly maxJobs?: number;
  readonly subjectPrefix?: string;
  readonly healthIntervalMs?: number;
  /** Test only: this agent's clock is off by this much, as another host's could be. */
  readonly clockSkewMicros?: number;
  /** Ctrl+C: the agent stops, finishing a released burst or abandoning a staged one. */
  readonly signal?: AbortSignal;
  /** The built-in workloads this agent explores by name (`racelab explore --agents`); without it, it explores none. */
  readonly workloads?: ExploreWorkloads;
  /** Called once subscribed (the agent is reachable from then on). */
  readonly onReady?: (health: AgentHealth) => void;
  /** One line per event (a job taken, refused, finished). */
  readonly onEvent?: (line: string) => void;
}

export type AgentStopReason = 'signal' | 'nats-closed' | 'max-jobs';

export interface AgentSummary {
  readonly agent: string;
  readonly nats: string;
  readonly stoppedBecause: AgentStopReason;
  readonly jobsDone: number;
  readonly jobsFailed: number;
  readonly refused: Readonly<Record<string, number>>;
  /** The job running when the agent stopped, and whether it finished or was abandoned. */
  readonly lastJob?: { readonly id: string; readonly outcome: 'finished' | 'abandoned' | 'failed' };
}

interface RunningJob {
  readonly id: string;
  readonly abort: AbortController;
  released: boolean;
  waitRelease?: { resolve(at: number): void };
  readonly done: Promise<'finished' | 'abandoned' | 'failed'>;
}

/**
 * `racelab agent`: a worker that takes signed jobs from NATS, one at a time, sends traffic only inside its
 * allowlist and its own caps, answers clock readings, publishes its health, and stops on the signal, on
 * `maxJobs`, or when NATS goes away.
 */
export async function runAgent(o: AgentOptions): Promise<AgentSummary> {
  if (!AGENT_NAME.test(o.name)) throw new RacelabError('BAD_OPTION', `"${o.name}": use 1 to 64 letters, digits, _ or -`, { subject: 'name' });
  const prefix = o.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  if (!SUBJECT_PREFIX.test(prefix)) throw new RacelabError('BAD_OPTION', `"${prefix}": use dot-separated tokens of letters, digits, _ or -`, { subject: 'subjectPrefix' });
  const nc = await connectNats(o.nats, `racelab-agent-${o.name}`);
  const clock = new AgentClock(o.clockSkewMicros ?? 0);
  // Spun once here, not in the first clock reading's reply.
  calibrateWallClock();
  const subjects = agentSubjects(prefix, o.name);
  const nonces = new NonceCache();
  const rate = new RateWindow();
  const refused = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;
  const event = o.onEvent ?? (() => {});
  const started = performance.now();
  let jobsDone = 0;
  let jobsFailed = 0;
  let running: RunningJob | undefined;
  let lastJob: AgentSummary['lastJob'];
  // The last job's run, which may still be closing its calls after its result went out.
  let settling: Promise<unknown> | undefined;
  let stopping: AgentStopReason | undefined;
  let wake: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const stop = (why: AgentStopReason): void => {
    stopping ??= why;
    wake?.();
  };

  const health = (): AgentHealth => ({
    agent: o.name,
    state: stopping ? 'stopping' : running ? 'busy' : 'idle',
    allowTargets: o.allowlist.describe(),
    caps: o.caps,
    trustKey: keyFingerprint(o.trustKey),
    jobsDone,
    jobsFailed,
    refused: { ...refused },
    uptimeMs: Math.round(performance.now() - started),
    ...(running ? { currentJob: running.id } : {}),
  });
  const send = (subject: string | undefined, data: unknown): void => {
    if (!subject || nc.isClosed()) return;
    try {
      nc.publish(subject, JSON.stringify(data));
    } catch {
      // NATS is going away; the summary says what became of the job.
    }
  };
  const refuse = (msg: Msg, r: Refusal, jobId?: string): void => {
    refused[r.reason]++;
    event(`refused${jobId ? ` job ${jobId}` : ''}: ${r.reason}: ${r.message}`);
    const report: AgentReport = { kind: 'refused', agent: o.name, reason: r.reason, detail: r.message, ...(jobId ? { jobId } : {}) };
    send(msg.reply, report);
  };

  const exploreType = o.workloads ? (exploreJobType(o.workloads) as JobType<unknown>) : undefined;
  const typeOf = (name: string): JobType<unknown> | undefined => (exploreType?.type === name ? exploreType : jobType(name));
  // A job's messages after its start (shards, control) are checked for signature and expiry, not against the nonces.
  const verify = (data: Uint8Array): Envelope => openEnvelope(data, o.trustKey, new NonceCache());

  const startJob = (msg: Msg, envelope: Envelope, address: string, run: (ctx: JobContext) => Promise<void>, durationMs: number): void => {
    let finished = false;
    const finish = (outcome: 'finished' | 'failed' | 'abandoned'): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (outcome === 'finished') jobsDone++;
      else jobsFailed++;
      lastJob = { id: envelope.id, outcome };
      if (running?.id === envelope.id) running = undefined;
      event(`job ${envelope.id}: ${outcome}`);
      if (o.maxJobs !== undefined && jobsDone + jobsFailed >= o.maxJobs) stop('max-jobs');
    };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(`the job's time (${durationMs}ms) is up`), durationMs);
    const job: RunningJob = {
      id: envelope.id,
      abort,
      released: false,
      done: run({
        agent: o.name,
        jobId: envelope.id,
        address,
        nats: nc,
        clock,
        signal: abort.signal,
        verify,
        event,
        report: (r) => {
          // The result is the job's last word: the agent is idle before the caller hears it, so a job sent on
          // receipt of a result is never refused as busy.
          if (r.kind === 'result') {
            job.released = true;
            finish('finished');
          }
          send(msg.reply, r);
        },
        release: () =>
          new Promise<number>((resolve, reject) => {
            job.waitRelease = { resolve };
            abort.signal.addEventListener('abort', () => reject(new Error(String(abort.signal.reason))), { once: true });
          }),
        recordCalls: (n) => {
          job.released = true;
          rate.record(n, Date.now());
        },
      }).then(
        () => 'finished' as const,
        (e: unknown) => {
          const abandoned = e instanceof JobAbandoned;
          send(msg.reply, { kind: abandoned ? 'abandoned' : 'failed', agent: o.name, jobId: envelope.id, detail: messageOf(e) } satisfies AgentReport);
          return abandoned ? ('abandoned' as const) : ('failed' as const);
        },
      ),
    };
    running = job;
    settling = job.done;
    event(`job ${envelope.id}: ${envelope.type}${address ? ` on ${address}` : ''}`);
    void job.done.then(finish);
  };

  const onJob = async (msg: Msg): Promise<void> => {
    let envelope: Envelope | undefined;
    try {
      envelope = openEnvelope(msg.data, o.trustKey, nonces);
      const type = typeOf(envelope.type);
      if (!type) throw new Refusal('unknown-type', `"${envelope.type}" is not a job type this agent runs`);
      const job = type.parse(envelope.payload);
      if (stopping) throw new Refusal('busy', 'this agent is stopping');
      if (running) throw new Refusal('busy', `this agent is running job ${running.id}`);
      const demand = type.demand(job);
      checkCaps(demand, o.caps, rate, Date.now());
      const target = type.target(job);
      let address = '';
      if (target !== undefined) {
        const resolved = await o.allowlist.resolve(target);
        if ('refused' in resolved) throw new Refusal('target-not-allowed', resolved.refused);
        address = resolved.address.includes(':') ? `[${resolved.address}]:${resolved.port}` : `${resolved.address}:${resolved.port}`;
      }
      // Another job may have arrived while this one's target resolved.
      const now = running as RunningJob | undefined;
      if (now || stopping) throw new Refusal('busy', now ? `this agent is running job ${now.id}` : 'this agent is stopping');
      startJob(msg, envelope, address, (ctx) => type.run(job, ctx), demand.durationMs);
    } catch (e) {
      if (e instanceof Refusal) refuse(msg, e, envelope?.id);
      else throw e;
    }
  };

  const onRelease = (msg: Msg): void => {
    try {
      const envelope = openEnvelope(msg.data, o.trustKey, nonces);
      const p = envelope.payload as { jobId?: unknown; releaseAtMicros?: unknown };
      if (envelope.type !== 'release' || typeof p.jobId !== 'string' || typeof p.releaseAtMicros !== 'number') throw new Refusal('bad-job', 'a release names a jobId and a releaseAtMicros');
      if (!running || running.id !== p.jobId || !running.waitRelease) throw new Refusal('bad-job', `job ${p.jobId} is not staged here`);
      running.waitRelease.resolve(p.releaseAtMicros);
      running.waitRelease = undefined;
    } catch (e) {
      if (e instanceof Refusal) refuse(msg, e);
      else event(`release: ${messageOf(e)}`);
    }
  };

  const subs: Subscription[] = [
    nc.subscribe(subjects.jobs, {
      callback: (err, msg) => {
        if (!err) void onJob(msg).catch((e: unknown) => event(`internal error on a job: ${messageOf(e)}`));
      },
    }),
    nc.subscribe(subjects.release, { callback: (err, msg) => !err && onRelease(msg) }),
    // Answered in the callback, at once: the reading's position inside the round trip is what the estimate assumes.
    nc.subscribe(subjects.clock, { callback: (err, msg) => !err && msg.respond(JSON.stringify({ agent: o.name, agentMicros: clock.now(), clockUncertaintyMicros: calibrateWallClock().uncertaintyMicros } satisfies ClockReading)) }),
    nc.subscribe(discoverSubject(prefix), { callback: (err, msg) => !err && msg.respond(JSON.stringify(health())) }),
  ];
  await nc.flush();
  const healthTimer = setInterval(() => send(healthSubject(prefix), health()), o.healthIntervalMs ?? 5000);
  const onAbort = (): void => stop('signal');
  if (o.signal?.aborted) stop('signal');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  void nc.closed().then(() => stop('nats-closed'));
  o.onReady?.(health());

  await stopped;
  clearInterval(healthTimer);
  o.signal?.removeEventListener('abort', onAbort);
  for (const s of subs) s.unsubscribe();
  const last = running;
  if (last) {
    // A staged burst is abandoned (cancelled before its release); a released one runs to its end.
    if (!last.released) last.abort.abort(stopping === 'nats-closed' ? 'NATS went away' : 'the agent was stopped');
  }
  if (settling) {
    await settling;
    await new Promise((r) => setImmediate(r));
  }
  send(healthSubject(prefix), health());
  if (!nc.isClosed()) await nc.drain().catch(() => {});
  return {
    agent: o.name,
    nats: maskBrokerUrl(o.nats.url),
    stoppedBecause: stopping ?? 'signal',
    jobsDone,
    jobsFailed,
    refused: { ...refused },
    ...(lastJob ? { lastJob } : {}),
  };
}

export type { NatsConnection };
