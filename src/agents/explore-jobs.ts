import type { JsMsg } from 'nats';
import { errorFields, messageOf, type RacelabErrorFields } from '../core/errors.js';
import { runChunk, shardableStrategies, type ExploreOptions, type ShardChunk, type ShardResult } from '../explore/explore.js';
import type { Workload } from '../explore/workload.js';
import { Refusal, type Envelope } from './envelope.js';
import { JobAbandoned, type JobContext, type JobType } from './jobs.js';

/** The built-in workloads an agent explores, by name (src/workloads/registry.ts); never code from the network. */
export interface ExploreWorkloads {
  /** Builds the named workload; throws (a RacelabError naming the fix) for a name or option it does not know. */
  build(scenario: ExploreShardScenario): Workload;
}

/** A built-in workload's name and its options, as `racelab explore` takes them. */
export interface ExploreShardScenario {
  readonly scenario: string;
  readonly [option: string]: unknown;
}

/** The exploration options every shard of an exploration runs with. */
export type ExploreShardOptions = Pick<ExploreOptions, 'depth' | 'por' | 'maxSteps' | 'stopOnFailure'> & { readonly strategy: 'portfolio' | 'random' | 'pct' | 'pos' | 'dfs' };

/**
 * One exploration, as a coordinator sends it to one agent (signed): the agent takes shards from the JetStream work
 * queue it names, runs each on the built-in workload, answers each on `results`, and stops on an `end` (or
 * when the stream is gone, or its own time is up).
 */
export interface ExploreJob {
  readonly exploration: string;
  readonly stream: string;
  readonly consumer: string;
  /** Request/reply: a shard's result; the agent acks the shard once the coordinator has answered. */
  readonly results: string;
  /** Signed `interrupt` and `end` of this exploration. */
  readonly control: string;
  /** The consumer's ack wait: the agent says it is still working on a shard well inside it. */
  readonly ackWaitMs: number;
  readonly durationMs: number;
  readonly scenario: ExploreShardScenario;
  readonly options: ExploreShardOptions;
}

/** A shard in the work queue (signed): the runs [from, to) of the exploration, or a dfs subtree. */
export interface ExploreShard {
  readonly exploration: string;
  readonly key: number;
  readonly chunk: ShardChunk;
}

export interface ExploreControl {
  readonly exploration: string;
  readonly what: 'interrupt' | 'end';
}

/** What an agent says about a shard: taken (published), then its result or why it could not run it (requests). */
export type ShardNote =
  | { readonly kind: 'taken'; readonly exploration: string; readonly key: number; readonly agent: string; readonly delivery: number }
  | { readonly kind: 'result'; readonly exploration: string; readonly key: number; readonly agent: string; readonly result: ShardResult }
  | { readonly kind: 'error'; readonly exploration: string; readonly key?: number; readonly agent: string; readonly message: string } & RacelabErrorFields;

export const EXPLORE_JOB = 'explore';
export const EXPLORE_SHARD = 'explore-shard';
export const EXPLORE_CONTROL = 'explore-control';
/** A subject token, a stream or consumer name: letters, digits, `_` and `-`. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SUBJECT = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

function bad(detail: string): Refusal {
  return new Refusal('bad-job', detail);
}

function parseExploreJob(payload: unknown, workloads: ExploreWorkloads): ExploreJob & { readonly workload: Workload } {
  const p = payload as Partial<Record<keyof ExploreJob, unknown>> | null;
  if (typeof p !== 'object' || p === null) throw bad('the explore payload is not an object');
  for (const k of ['exploration', 'stream', 'consumer'] as const) if (typeof p[k] !== 'string' || !NAME.test(p[k])) throw bad(`${k}: give 1 to 64 letters, digits, _ or -`);
  for (const k of ['results', 'control'] as const) if (typeof p[k] !== 'string' || !SUBJECT.test(p[k])) throw bad(`${k}: give a NATS subject`);
  for (const k of ['ackWaitMs', 'durationMs'] as const) if (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || p[k] < 100) throw bad(`${k}: give a number of at least 100`);
  const o = p.options as Partial<Record<keyof ExploreShardOptions, unknown>> | null;
  if (typeof o !== 'object' || o === null || !shardableStrategies.includes(o.strategy as never)) throw bad('options.strategy: give portfolio, random, pct, pos or dfs');
  if (o.depth !== undefined && (!Number.isInteger(o.depth) || (o.depth as number) < 1 || (o.depth as number) > 50)) throw bad('options.depth: give a whole number from 1 to 50');
  if (o.maxSteps !== undefined && (!Number.isInteger(o.maxSteps) || (o.maxSteps as number) < 1 || (o.maxSteps as number) > 10_000_000)) throw bad('options.maxSteps: give a whole number from 1 to 10000000');
  if (o.por !== undefined && typeof o.por !== 'boolean') throw bad('options.por: give true or false');
  if (o.stopOnFailure !== undefined && typeof o.stopOnFailure !== 'boolean') throw bad('options.stopOnFailure: give true or false');
  const s = p.scenario as ExploreShardScenario | null;
  if (typeof s !== 'object' || s === null || typeof s.scenario !== 'string') throw bad('scenario: give { scenario: NAME, ...its options }');
  let workload: Workload;
  try {
    workload = workloads.build(s);
  } catch (e) {
    throw bad(`scenario: ${messageOf(e)}`);
  }
  const options: ExploreShardOptions = {
    strategy: o.strategy as ExploreShardOptions['strategy'],
    ...(o.depth !== undefined ? { depth: o.depth as number } : {}),
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps as number } : {}),
    ...(o.por !== undefined ? { por: o.por as boolean } : {}),
    ...(o.stopOnFailure !== undefined ? { stopOnFailure: o.stopOnFailure as boolean } : {}),
  };
  return { ...(p as unknown as ExploreJob), scenario: s, options, workload };
}

function parseShard(envelope: Envelope, exploration: string): ExploreShard {
  const p = envelope.payload as Partial<ExploreShard> | null;
  if (envelope.type !== EXPLORE_SHARD || typeof p !== 'object' || p === null) throw bad(`a ${envelope.type} message in the shard queue`);
  if (p.exploration !== exploration) throw bad(`a shard of exploration ${String(p.exploration)} in the queue of ${exploration}`);
  const c = p.chunk as Partial<ShardChunk> | undefined;
  const whole = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!whole(p.key) || !c || !whole(c.seed) || !whole(c.from) || !whole(c.to) || (c.budget !== undefined && !whole(c.budget))) throw bad('a shard names a key and a chunk { seed, from, to, state, budget? }');
  return p as ExploreShard;
}

/**
 * Shards of an exploration: taken from the work queue one at a time, while this agent's job lasts. A shard runs
 * with the ack kept alive (`working()`); its result goes to the coordinator, and the shard is acked only once the
 * coordinator has it, so a shard whose agent dies (or whose result is lost) is redelivered to another agent. An
 * agent that stops or runs out of time mid-shard hands the shard back at once (nak) and reports nothing for it:
 * the agent that takes it next runs all of it.
 */
export function exploreJobType(workloads: ExploreWorkloads): JobType<ReturnType<typeof parseExploreJob>> {
  return {
    type: EXPLORE_JOB,
    parse: (payload) => parseExploreJob(payload, workloads),
    target: () => undefined,
    demand: (j) => ({ calls: 0, durationMs: j.durationMs }),
    async run(job, ctx) {
      const consumer = await ctx.nats.jetstream().consumers.get(job.stream, job.consumer);
      let interrupted = false;
      let ended = false;
      const stops = new Set<AbortController>();
      const control = ctx.nats.subscribe(job.control, {
        callback: (err, msg) => {
          if (err) return;
          try {
            const c = ctx.verify(msg.data).payload as Partial<ExploreControl>;
            if (c.exploration !== job.exploration) return;
            if (c.what === 'end') ended = true;
            interrupted = true;
            for (const s of stops) s.abort();
          } catch (e) {
            ctx.event(`exploration ${job.exploration}: control message refused: ${messageOf(e)}`);
          }
        },
      });
      await ctx.nats.flush();
      ctx.report({ kind: 'ready', agent: ctx.agent, jobId: ctx.jobId, agentMicros: ctx.clock.now() });
      let shards = 0;
      try {
        while (!ended && !ctx.signal.aborted) {
          let msg: JsMsg | null;
          try {
            msg = await consumer.next({ expires: 1000 });
          } catch (e) {
            // The coordinator removes the stream at its end: nothing more to take.
            if (ended || ctx.signal.aborted || /not found|no responders|deleted/i.test(messageOf(e))) break;
            throw e;
          }
          if (!msg) continue;
          shards++;
          await runShard(msg, job, ctx, () => interrupted, stops);
        }
      } finally {
        control.unsubscribe();
      }
      ctx.event(`exploration ${job.exploration}: ${ended ? 'ended' : 'left'} after ${shards} shard(s)`);
      if (!ended) throw new JobAbandoned(String(ctx.signal.reason ?? 'the exploration went away'));
    },
  };
}

async function runShard(msg: JsMsg, job: ExploreJob & { readonly workload: Workload }, ctx: JobContext, interrupted: () => boolean, stops: Set<AbortController>): Promise<void> {
  const say = (note: ShardNote): Promise<unknown> => ctx.nats.request(job.results, JSON.stringify(note), { timeout: 5000 });
  let shard: ExploreShard;
  try {
    shard = parseShard(ctx.verify(msg.data), job.exploration);
  } catch (e) {
    msg.term();
    ctx.event(`exploration ${job.exploration}: shard refused: ${messageOf(e)}`);
    await say({ kind: 'error', exploration: job.exploration, agent: ctx.agent, message: `agent ${ctx.agent} refused a shard: ${messageOf(e)}` }).catch(() => {});
    return;
  }
  const { key, chunk } = shard;
  const delivery = msg.info.deliveryCount;
  ctx.nats.publish(job.results, JSON.stringify({ kind: 'taken', exploration: job.exploration, key, agent: ctx.agent, delivery } satisfies ShardNote));
  ctx.event(`exploration ${job.exploration}: shard ${key} (${chunk.budget !== undefined ? `subtree ${chunk.from}` : `runs ${chunk.from}-${chunk.to - 1}`}${delivery > 1 ? `, delivery ${delivery}` : ''})`);
  const stop = new AbortController();
  stops.add(stop);
  if (interrupted()) stop.abort();
  const onLeave = (): void => stop.abort();
  ctx.signal.addEventListener('abort', onLeave, { once: true });
  const alive = setInterval(() => msg.working(), Math.max(50, Math.floor(job.ackWaitMs / 4)));
  let note: ShardNote;
  try {
    const result = await runChunk(job.workload, job.options, chunk, stop.signal);
    note = { kind: 'result', exploration: job.exploration, key, agent: ctx.agent, result };
  } catch (e) {
    note = { kind: 'error', exploration: job.exploration, key, agent: ctx.agent, message: messageOf(e), ...errorFields(e) };
  } finally {
    clearInterval(alive);
    stops.delete(stop);
    ctx.signal.removeEventListener('abort', onLeave);
  }
  if (ctx.signal.aborted && !interrupted()) {
    msg.nak();
    return;
  }
  try {
    await say(note);
    msg.ack();
  } catch {
    // The coordinator did not answer: the shard goes back to the queue.
    msg.nak();
  }
}
