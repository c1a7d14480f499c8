import { randomBytes, type KeyObject } from 'node:crypto';
import { AckPolicy, RetentionPolicy, StorageType, createInbox, nanos, type Subscription } from 'nats';
import { maskBrokerUrl } from '../broker/names.js';
import { onCleanup } from '../core/cleanup.js';
import { RacelabError, errorFromFields, messageOf } from '../core/errors.js';
import { ShardsLost, type ShardChunk, type ShardPool, type ShardResult } from '../explore/explore.js';
import { chooseIdleAgents } from './discover.js';
import { sealEnvelope } from './envelope.js';
import { EXPLORE_CONTROL, EXPLORE_JOB, EXPLORE_SHARD, type ExploreControl, type ExploreJob, type ExploreShard, type ExploreShardOptions, type ExploreShardScenario, type ShardNote } from './explore-jobs.js';
import { connectNats, type NatsAccess } from './nats-connect.js';
import { DEFAULT_SUBJECT_PREFIX, agentSubjects, discoverSubject, healthSubject, type AgentHealth, type AgentReport } from './protocol.js';

export interface AgentShardsOptions {
  readonly nats: NatsAccess;
  readonly signKey: KeyObject;
  /** Agents to spread the shards over; every idle one that answers when absent. */
  readonly agentCount?: number;
  readonly subjectPrefix?: string;
  /** How long to wait for agents to answer the discovery (default 1 s). */
  readonly discoverMs?: number;
  /** The work queue consumer's ack wait: how soon a shard whose agent died goes to another (default 3 s). */
  readonly ackWaitMs?: number;
  /** How long each agent has to take the exploration job and say ready (default 5 s). */
  readonly readyMs?: number;
  /**
   * With shards still out, how long every agent of the exploration may stay silent (no health, no answer to the
   * pings sent every ack wait, no shard note) before it counts as gone and the exploration stops with the runs
   * counted so far (default 4 ack waits, at least 10 s: 12 s with the default ack wait). At least 2 ack waits (a
   * ping missed is not a death), at most an hour (`silentLimits`).
   */
  readonly silentMs?: number;
}

/** The ack wait unless told: how soon a shard whose agent died is redelivered, and how often agents are pinged. */
export const DEFAULT_ACK_WAIT_MS = 3000;

/** About how long a shard runs on an agent (see ShardPool.rangeMs). */
const AGENT_RANGE_MS = 500;

/** The silence window allowed with this ack wait, and its default. */
export function silentLimits(ackWaitMs = DEFAULT_ACK_WAIT_MS): { readonly minMs: number; readonly maxMs: number; readonly defaultMs: number } {
  return { minMs: 2 * ackWaitMs, maxMs: 3_600_000, defaultMs: Math.max(4 * ackWaitMs, 10_000) };
}

/** Refuses a silence window outside `silentLimits` (BAD_DURATION, about `silentMs`). */
export function checkSilentMs(silentMs: number, ackWaitMs = DEFAULT_ACK_WAIT_MS): number {
  const { minMs, maxMs } = silentLimits(ackWaitMs);
  if (!(silentMs >= minMs && silentMs <= maxMs)) {
    const show = (ms: number): string => (ms >= 3_600_000 && ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000}m` : ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`);
    const why = silentMs < minMs ? `shorter than two pings apart (${show(minMs)}): a live agent would be taken for dead` : `longer than ${show(maxMs)}`;
    throw new RacelabError('BAD_DURATION', `${show(silentMs)} is ${why}; give ${show(minMs)} to ${show(maxMs)}`, { subject: 'silentMs' });
  }
  return silentMs;
}

/** What the agents did, for the report. */
export interface AgentShardsSummary {
  readonly names: readonly string[];
  /** Shards handed out (a range run again from another state counts again). */
  readonly shards: number;
  /** Deliveries after the first: shards whose agent died or handed them back, run by another. */
  readonly redelivered: number;
  /** Every agent went silent with shards still out: their names, and for how long nothing was heard. */
  readonly silent?: { readonly agents: readonly string[]; readonly forMs: number; readonly shardsOut: number };
}

/** `explore --agents`: the shards of an exploration spread over agents; close() removes the stream and consumer. */
export interface AgentShardPool extends ShardPool {
  close(): Promise<void>;
  summary(): AgentShardsSummary;
}

interface Waiting {
  readonly resolve: (r: ShardResult) => void;
  readonly reject: (e: Error) => void;
  taken: boolean;
}

/**
 * Opens a JetStream work queue for one exploration (a memory stream with WorkQueue retention and one durable
 * pull consumer with explicit acks and an ack wait) and sends each chosen agent a signed exploration job naming
 * it. Each `run(chunk)` publishes one signed shard; whichever agent is free takes it, keeps its ack alive while it
 * runs, and answers with the result before acking, so a shard whose agent dies is redelivered after the ack wait
 * and the result arrives all the same. The coordinator above (explore.ts) takes results in run order, whatever
 * ran them: the same code as for worker threads.
 */
export async function openAgentShards(o: AgentShardsOptions, spec: { readonly scenario: ExploreShardScenario; readonly options: ExploreShardOptions }): Promise<AgentShardPool> {
  const prefix = o.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const ackWaitMs = o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  // Checked before anything is made on NATS.
  const silentMs = o.silentMs !== undefined ? checkSilentMs(o.silentMs, ackWaitMs) : silentLimits(ackWaitMs).defaultMs;
  const nc = await connectNats(o.nats, 'racelab-explore-coordinator', 'agents');
  const exploration = randomBytes(6).toString('hex');
  const stream = `RACELAB_EXPLORE_${exploration}`;
  const consumer = 'shards';
  const shardSubject = `${prefix}.explore.${exploration}.shards`;
  const control = `${prefix}.explore.${exploration}.control`;
  const results = createInbox();
  const reports = createInbox();
  const pings = createInbox();
  const subs: Subscription[] = [];
  let streamMade = false;
  let closed = false;
  const forget = onCleanup(`JetStream stream ${stream}`, () => removeStream());
  async function removeStream(): Promise<void> {
    if (!streamMade || nc.isClosed()) return;
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.delete(stream, consumer).catch(() => false);
    await jsm.streams.delete(stream).catch(() => false);
    streamMade = false;
  }
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearTimeout(graceTimer);
    clearInterval(pingTimer);
    try {
      if (!nc.isClosed()) {
        nc.publish(control, JSON.stringify(sealEnvelope(o.signKey, EXPLORE_CONTROL, { exploration, what: 'end' } satisfies ExploreControl, { ttlMs: 60_000 })));
        await removeStream();
      }
    } finally {
      for (const s of subs) s.unsubscribe();
      forget();
      if (!nc.isClosed()) await nc.drain().catch((e: unknown) => void messageOf(e));
    }
    failAll(new Error('the exploration over agents was closed'));
  };

  const waiting = new Map<number, Waiting>();
  const failAll = (e: Error): void => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  let keys = 0;
  let redelivered = 0;
  let interrupted = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  /** When each agent was last heard from (health, a ping's answer, a report, a shard note). */
  const lastSeen = new Map<string, number>();
  const heard = (agent: string): void => {
    if (lastSeen.has(agent)) lastSeen.set(agent, Date.now());
  };
  let silent: AgentShardsSummary['silent'];
  let agents: string[] = [];
  const left = new Map<string, string>();
  const ready = new Set<string>();
  let onReport: (() => void) | undefined;

  try {
    const chosen = await chooseIdleAgents(nc, { natsUrl: o.nats.url, prefix, ...(o.discoverMs !== undefined ? { discoverMs: o.discoverMs } : {}), ...(o.agentCount !== undefined ? { agentCount: o.agentCount } : {}) });
    agents = chosen.map((h) => h.agent);
    // Each agent serves the exploration as long as its own --max-duration allows, and says when it leaves.
    const durationMs = Math.min(...chosen.map((h) => h.caps.maxDurationMs));
    const jsm = await nc.jetstreamManager().catch((e: unknown) => {
      throw new RacelabError('BAD_BROKER', `NATS at ${maskBrokerUrl(o.nats.url)} has no JetStream (${messageOf(e)}); start nats-server with -js`, { subject: 'agents', cause: e });
    });
    streamMade = true;
    await jsm.streams.add({ name: stream, subjects: [shardSubject], retention: RetentionPolicy.Workqueue, storage: StorageType.Memory });
    await jsm.consumers.add(stream, { durable_name: consumer, ack_policy: AckPolicy.Explicit, ack_wait: nanos(ackWaitMs), max_deliver: -1 });

    subs.push(
      nc.subscribe(results, {
        callback: (err, msg) => {
          if (err) return;
          let note: ShardNote;
          try {
            note = JSON.parse(msg.string()) as ShardNote;
          } catch {
            return;
          }
          if (note.exploration !== exploration) return;
          heard(note.agent);
          if (msg.reply) msg.respond('ok');
          const w = note.key !== undefined ? waiting.get(note.key) : undefined;
          if (note.kind === 'taken') {
            if (note.delivery > 1) redelivered++;
            if (w) w.taken = true;
            return;
          }
          if (note.kind === 'error' && note.key === undefined) return failAll(new RacelabError('BAD_OPTION', note.message, { subject: 'agents' }));
          if (!w || note.key === undefined) return; // A result already in (a shard run twice).
          waiting.delete(note.key);
          if (note.kind === 'result') w.resolve(note.result);
          else w.reject(errorFromFields(note) ?? new Error(`agent ${note.agent}: ${note.message}`));
        },
      }),
      nc.subscribe(reports, {
        callback: (err, msg) => {
          if (err) return;
          let r: AgentReport;
          try {
            r = JSON.parse(msg.string()) as AgentReport;
          } catch {
            return;
          }
          heard(r.agent);
          if (r.kind === 'ready') ready.add(r.agent);
          else if (r.kind === 'refused') left.set(r.agent, `refused the exploration (${r.reason}): ${r.detail}`);
          else if (r.kind === 'failed' || r.kind === 'abandoned') left.set(r.agent, `left the exploration: ${r.detail}`);
          onReport?.();
          // Every agent gone with shards still out: nobody will run them.
          if (!closed && left.size === agents.length && waiting.size > 0) {
            failAll(new RacelabError('UNREACHABLE', `every agent left the exploration (${[...left].map(([a, why]) => `${a} ${why}`).join('; ')})`, { subject: 'agents' }));
          }
        },
      }),
      // Signs of life: the agents' periodic health, and their answers to the pings below.
      ...[healthSubject(prefix), pings].map((subject) =>
        nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) return;
            try {
              heard((JSON.parse(msg.string()) as AgentHealth).agent);
            } catch {
              // Not an agent's health.
            }
          },
        }),
      ),
    );
    for (const agent of agents) lastSeen.set(agent, Date.now());
    await nc.flush();

    const job: ExploreJob = { exploration, stream, consumer, results, control, ackWaitMs, durationMs, scenario: spec.scenario, options: spec.options };
    for (const agent of agents) nc.publish(agentSubjects(prefix, agent).jobs, JSON.stringify(sealEnvelope(o.signKey, EXPLORE_JOB, job, { ttlMs: 30_000 })), { reply: reports });
    const readyMs = o.readyMs ?? 5000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, readyMs);
      onReport = () => {
        if (ready.size + left.size >= agents.length) {
          clearTimeout(timer);
          resolve();
        }
      };
      onReport();
    });
    onReport = undefined;
    const refused = agents.find((a) => left.has(a));
    if (refused) throw new RacelabError('BAD_OPTION', `agent ${refused} ${left.get(refused)}`, { subject: 'agents' });
    const notReady = agents.filter((a) => !ready.has(a));
    if (notReady.length) throw new RacelabError('TIMEOUT', `agent(s) ${notReady.join(', ')} did not take the exploration within ${readyMs}ms`, { subject: 'agents' });
    watch();
  } catch (e) {
    await close();
    throw e;
  }
  const js = nc.jetstream();

  /**
   * An agent killed outright (SIGKILL, a host gone) says nothing; its shard goes to another agent after the ack
   * wait. With every agent of the exploration silent for `silentMs` while shards are out, nobody will run them:
   * the shards out are rejected with ShardsLost, and the exploration stops with the runs counted so far.
   */
  function watch(): void {
    pingTimer = setInterval(() => {
      if (closed || silent) return;
      nc.publish(discoverSubject(prefix), '', { reply: pings });
      const now = Date.now();
      if (waiting.size === 0) {
        // Nothing out: silence now is no loss yet; count it from the next shard on.
        for (const a of agents) lastSeen.set(a, Math.max(lastSeen.get(a) ?? 0, now - ackWaitMs));
        return;
      }
      const live = agents.filter((a) => !left.has(a) && now - (lastSeen.get(a) ?? 0) < silentMs);
      if (live.length) return;
      const gone = agents.filter((a) => !left.has(a));
      const forMs = Math.min(...gone.map((a) => now - (lastSeen.get(a) ?? 0)));
      silent = { agents: gone, forMs, shardsOut: waiting.size };
      const lost = new ShardsLost(`every agent went silent with ${waiting.size} shard(s) out: ${gone.join(', ')} (nothing heard for ${Math.round(forMs / 1000)}s)`, gone);
      for (const w of waiting.values()) w.reject(lost);
      waiting.clear();
    }, ackWaitMs);
  }

  return {
    size: agents.length,
    // A shard costs a signed publish, a pull, a reply and an ack over NATS, and agents may be other hosts: ranges
    // of about half a second keep that small beside the runs (worker threads take 50 ms ones).
    rangeMs: AGENT_RANGE_MS,
    run(chunk: ShardChunk): Promise<ShardResult> {
      return new Promise<ShardResult>((resolve, reject) => {
        if (closed) return reject(new Error('the exploration over agents was closed'));
        if (silent) return reject(new ShardsLost(`every agent went silent: ${silent.agents.join(', ')}`, silent.agents));
        const key = keys++;
        waiting.set(key, { resolve, reject, taken: false });
        const shard: ExploreShard = { exploration, key, chunk };
        js.publish(shardSubject, JSON.stringify(sealEnvelope(o.signKey, EXPLORE_SHARD, shard, { ttlMs: 5 * 60_000 }))).catch((e: unknown) => {
          waiting.delete(key);
          reject(new RacelabError('UNREACHABLE', `the work queue did not take shard ${key} (${messageOf(e)})`, { subject: 'agents', cause: e }));
        });
      });
    },
    interrupt() {
      if (interrupted || closed) return;
      interrupted = true;
      nc.publish(control, JSON.stringify(sealEnvelope(o.signKey, EXPLORE_CONTROL, { exploration, what: 'interrupt' } satisfies ExploreControl, { ttlMs: 60_000 })));
      // Interrupted agents answer every shard at once, with the runs they did. A shard nobody answers for this
      // long (every agent dead) is given up, so Ctrl+C cannot hang on it.
      // They are lost, not an error: the summary of the runs counted so far is still printed.
      graceTimer = setTimeout(() => failAll(new ShardsLost(`no agent answered for ${waiting.size} shard(s) within ${(2 * ackWaitMs + 5000) / 1000}s of the interrupt`, agents)), 2 * ackWaitMs + 5000);
      graceTimer.unref();
    },
    close,
    summary: () => ({ names: agents, shards: keys, redelivered, ...(silent ? { silent } : {}) }),
  };
}
