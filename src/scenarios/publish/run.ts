import { randomBytes } from 'node:crypto';
import { plural } from '../../core/units.js';
import { T, parseExpression, type Expression, type InvariantType } from '../../attack/expression.js';
import { applyTemplate, templatePlaceholders } from '../../attack/template.js';
import { brokerNamespace } from '../../broker/names.js';
import { resolveBroker, type BrokerKind } from '../../broker/open.js';
import { openPublisher, type LaneResult, type OutgoingMessage, type PublishLane, type Reply } from '../../broker/publisher.js';
import { RacelabError, messageOf } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import { openValueReader, type ValueReader } from '../../store/read.js';

/** Hard caps: a burst is at most this many messages, a flood at most this long. */
export const PUBLISH_LIMITS = { maxCount: 100_000, maxConnections: 256, maxFloodRate: 1_000_000, maxFloodDurationMs: 300_000, maxSettleMs: 600_000 } as const;

export interface PublishOptions {
  /** nats, rabbitmq, or a nats:// / amqp:// URL (credentials in the URL). */
  readonly broker: string;
  /** NATS subject; RabbitMQ routing key (a queue's name, with the default exchange). */
  readonly subject: string;
  /** RabbitMQ exchange (default '': the default exchange). */
  readonly exchange?: string;
  /** NATS: publish through JetStream, every message acked by its stream. */
  readonly jetstream?: boolean;
  /** Messages in the burst (default 100). */
  readonly count?: number;
  /** `parallel`: one connection, every message written at once; `connections`: one connection per lane, released together. */
  readonly sync?: 'parallel' | 'connections';
  /** --sync connections: lanes (default min(count, 16)). */
  readonly connections?: number;
  /** The message body, a JSON template: {{index}} {{client}} {{round}} {{uuid}} are filled per message. */
  readonly data?: unknown;
  /** Flood instead of a burst: a rate (messages/s) or `max`, for a duration. */
  readonly flood?: { readonly rate: number | 'max'; readonly durationMs: number };
  /** Collect replies: every message carries a reply-to address made for the run (or `replySubject`, NATS). */
  readonly replies?: boolean;
  readonly replySubject?: string;
  /** A store the service writes: read before and after (`before`, `after` in the invariant). */
  readonly store?: { readonly url: string; readonly read: string };
  /** Must hold once the service settled; default from what is read: `after - before == published`, `size(replies) == published`. */
  readonly invariant?: string;
  /** Longest wait after publishing for the store and replies to settle (default 3 s). */
  readonly settleMs?: number;
  readonly seed?: number;
  /** The first word of every name the run makes (reply subject, reply queue); default racelab. */
  readonly prefix?: string;
  readonly connectTimeoutMs?: number;
  /** Ctrl+C: the flood stops, the settle wait ends, what was measured is reported, what was made is deleted. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
}

export type PublishVerdict = 'holds' | 'violated' | 'inconclusive' | 'unchecked' | 'interrupted';

export interface PublishReport {
  readonly kind: 'publish';
  readonly settings: {
    readonly broker: BrokerKind;
    readonly brokerDescription: string;
    readonly namespace: string;
    readonly mode: 'burst' | 'flood';
    readonly sync: 'parallel' | 'connections';
    readonly connections: number;
    readonly count: number;
    readonly flood?: { readonly rate: number | 'max'; readonly durationMs: number };
    readonly seed: number;
    readonly settleMs: number;
    readonly invariant?: string;
    readonly store?: string;
    readonly replyAddress?: string;
  };
  /** Messages the broker took (NATS: flushed, or acked by JetStream; RabbitMQ: confirmed and routed). */
  readonly published: number;
  readonly failed: number;
  /** RabbitMQ: returned unroutable (no queue bound for the routing key). */
  readonly unroutable: number;
  /** Flood: due while every lane was still busy, not sent. */
  readonly skipped: number;
  readonly errors: ReadonlyArray<{ readonly message: string; readonly count: number }>;
  /** From the first message handed to a connection to the last (burst: the release spread, client side). */
  readonly releaseMs: number;
  /** From the first message sent to the broker's last word (flush, ack or confirm). */
  readonly publishMs: number;
  readonly messagesPerSecond: number;
  readonly replies: number;
  /** Replies whose `inReplyTo` named a message more than once (a message answered twice). */
  readonly duplicateReplies: number;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly verdict: PublishVerdict;
  readonly explanation: string;
  /** What the run made on the broker; deleted before the report was made. */
  readonly created: readonly string[];
  /** Of `created`, what the broker still had after the cleanup (empty unless something went wrong). */
  readonly leftBehind: readonly string[];
  readonly interrupted: boolean;
}

const DEFAULT_DATA = { index: '{{index}}', id: '{{uuid}}' };

function defaultInvariant(o: PublishOptions): string | undefined {
  const parts: string[] = [];
  if (o.store) parts.push('after - before == published');
  if (o.replies || o.replySubject !== undefined) parts.push('size(replies) == published');
  return parts.length ? parts.join(' && ') : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function checkOptions(o: PublishOptions): { count: number; connections: number; settleMs: number; invariant: Expression | undefined } {
  const count = o.count ?? 100;
  if (!Number.isInteger(count) || count < 1 || count > PUBLISH_LIMITS.maxCount) throw new RacelabError('BAD_COUNT', `count "${count}" must be a whole number from 1 to ${PUBLISH_LIMITS.maxCount}`, { subject: 'count' });
  const sync = o.sync ?? 'parallel';
  if (sync !== 'parallel' && sync !== 'connections') throw new RacelabError('BAD_OPTION', `sync "${String(sync)}": publish takes parallel or connections`, { subject: 'sync' });
  const connections = sync === 'parallel' ? 1 : (o.connections ?? Math.min(count, 16));
  if (!Number.isInteger(connections) || connections < 1 || connections > PUBLISH_LIMITS.maxConnections) {
    throw new RacelabError('BAD_COUNT', `connections "${connections}" must be a whole number from 1 to ${PUBLISH_LIMITS.maxConnections}`, { subject: 'connections' });
  }
  const settleMs = o.settleMs ?? 3000;
  if (o.flood) {
    const { rate, durationMs } = o.flood;
    if (rate !== 'max' && (!Number.isInteger(rate) || rate < 1 || rate > PUBLISH_LIMITS.maxFloodRate)) throw new RacelabError('BAD_COUNT', `rate "${rate}" must be max or 1 to ${PUBLISH_LIMITS.maxFloodRate} messages/s`, { subject: 'rate' });
    if (!(durationMs > 0 && durationMs <= PUBLISH_LIMITS.maxFloodDurationMs)) throw new RacelabError('BAD_DURATION', `duration must be above 0 and at most 5m`, { subject: 'duration' });
  }
  if (o.store && !o.store.read.trim()) throw new RacelabError('BAD_OPTION', 'say what to read from the store: a Redis key or a PostgreSQL query', { subject: 'read' });
  templatePlaceholders(o.data ?? DEFAULT_DATA);
  const source = o.invariant ?? defaultInvariant(o);
  if (o.invariant !== undefined && !o.store && !o.replies && o.replySubject === undefined) {
    throw new RacelabError('BAD_OPTION', 'an invariant needs something to check: a store to read (before, after) or replies to collect', { subject: 'invariant' });
  }
  const hasReplies = Boolean(o.replies) || o.replySubject !== undefined;
  const noStore = { kind: 'absent', why: 'before and after need a store to read; add one' } as const;
  const vars: Record<string, InvariantType> = {
    before: o.store ? T.dyn : noStore,
    after: o.store ? T.dyn : noStore,
    published: T.int,
    count: T.int,
    failed: T.int,
    unroutable: T.int,
    replies: hasReplies ? T.list(T.dyn) : { kind: 'absent', why: 'replies need a reply address; ask for replies' },
  };
  const invariant = source !== undefined ? parseExpression(source, vars) : undefined;
  return { count, connections, settleMs, invariant };
}

/**
 * `racelab publish`: a synchronized burst of `count` messages at a subject (or a flood: a rate for a duration), then
 * an invariant over what the service the messages are for did with them: a value it keeps in a store, read before
 * and after, and the replies it sent to the run's reply address. The numbers in the report are the run's.
 */
export async function runPublish(o: PublishOptions): Promise<PublishReport> {
  const resolved = resolveBroker(o.broker);
  if (resolved.kind === 'memory') throw new RacelabError('BAD_BROKER', 'publish needs a real broker: nats, rabbitmq, or a nats:// or amqp:// URL', { subject: 'broker' });
  const { count, connections, settleMs, invariant } = checkOptions(o);
  const progress = o.onProgress ?? (() => undefined);
  const seed = o.seed ?? Random.freshSeed();
  const random = Random.seeded(seed);
  const runId = randomBytes(4).toString('hex');
  const namespace = brokerNamespace(o.prefix ?? 'racelab');
  const template = o.data ?? DEFAULT_DATA;
  const encoder = new TextEncoder();
  const message = (index: number, client: number): OutgoingMessage => ({
    id: `${namespace}-${index}`,
    body: encoder.encode(JSON.stringify(applyTemplate(template, { index, client, round: 1, uuid: () => random.uuid(), run: runId }))),
  });

  let reader: ValueReader | undefined;
  if (o.store) reader = await openValueReader(o.store.url, o.store.read);
  const publisher = await openPublisher({
    broker: resolved,
    subject: o.subject,
    ...(o.exchange !== undefined ? { exchange: o.exchange } : {}),
    ...(o.jetstream ? { jetstream: true } : {}),
    namespace,
    ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
  }).catch(async (e: unknown) => {
    await reader?.close();
    throw e;
  });
  const totals = { published: 0, failed: 0, unroutable: 0, skipped: 0, errors: new Map<string, number>() };
  const add = (r: LaneResult): void => {
    totals.published += r.ok;
    totals.failed += r.failed;
    totals.unroutable += r.unroutable;
    for (const e of r.errors) totals.errors.set(e.message, (totals.errors.get(e.message) ?? 0) + e.count);
  };
  let replies: readonly Reply[] = [];
  let replyAddress: string | undefined;
  let before: unknown;
  let after: unknown;
  let releaseMs: number;
  let publishMs: number;
  let leftBehind: string[];
  let verdict: PublishVerdict = 'unchecked';
  let explanation: string;
  try {
    if (o.replies || o.replySubject !== undefined) ({ address: replyAddress, replies } = await publisher.inbox(o.replySubject));
    const lanes = await publisher.lanes(connections);
    if (reader) before = await reader.read();
    // Once before anything is published: a name the invariant does not know is bad input now, not after the burst.
    if (invariant) {
      after = before;
      invariant.evaluate(scope());
      after = undefined;
    }
    if (o.flood) {
      progress(`flooding ${publisher.description} at ${o.flood.rate === 'max' ? 'max rate' : `${o.flood.rate} messages/s`} for ${o.flood.durationMs} ms over ${plural(lanes.length, 'connection')} (Ctrl+C stops)`);
      const r = await flood(lanes, o.flood, message, o.signal);
      add(r.result);
      totals.skipped = r.skipped;
      releaseMs = r.wallMs;
      publishMs = r.wallMs;
    } else {
      // Every message is made before the release: the release itself only hands bodies to connections.
      const batches: OutgoingMessage[][] = lanes.map(() => []);
      for (let i = 0; i < count; i++) batches[i % lanes.length]?.push(message(i, i % lanes.length));
      const t0 = performance.now();
      // One tick: each lane writes its whole batch before any lane awaits the broker.
      const sending = lanes.map((lane, i) => lane.send(batches[i] as OutgoingMessage[]));
      releaseMs = performance.now() - t0;
      for (const r of await Promise.all(sending)) add(r);
      publishMs = performance.now() - t0;
    }
    progress(`published ${totals.published} of ${o.flood ? totals.published + totals.failed + totals.unroutable : count} to ${publisher.description}${totals.failed ? `, ${totals.failed} failed` : ''}${totals.unroutable ? `, ${totals.unroutable} unroutable` : ''}; waiting up to ${settleMs} ms for the service to settle`);
    if (invariant && !o.signal?.aborted) {
      // Settled: the invariant holds and nothing changed for a quiet spell, or the settle time ran out.
      const quietMs = Math.min(500, Math.max(100, settleMs / 4));
      const deadline = performance.now() + settleMs;
      let last = '';
      let lastChange = performance.now();
      let holds = false;
      for (;;) {
        if (reader) after = await reader.read();
        const state = JSON.stringify([after, replies.length]);
        if (state !== last) {
          last = state;
          lastChange = performance.now();
        }
        holds = Boolean(invariant.evaluate(scope()));
        const now = performance.now();
        if ((holds && now - lastChange >= quietMs) || now >= deadline || o.signal?.aborted) break;
        await sleep(50, o.signal);
      }
      const stillChanging = performance.now() - lastChange < quietMs;
      if (o.signal?.aborted) {
        verdict = 'interrupted';
        explanation = `interrupted before the service settled; so far ${describeState()}, and the invariant ${holds ? 'holds' : 'does not hold'}`;
      } else if (totals.published === 0) {
        verdict = 'inconclusive';
        explanation = `no message reached the broker's consumers (${describeState()}${totals.unroutable ? `, ${totals.unroutable} unroutable: no queue is bound for the routing key` : ''}${totals.failed ? `, ${totals.failed} failed` : ''}), so the invariant proves nothing.`;
      } else if (holds) {
        verdict = 'holds';
        explanation = `${invariant.source} holds once the service settled: ${describeState()}.`;
      } else if (stillChanging) {
        verdict = 'inconclusive';
        explanation = `${invariant.source} does not hold yet, but the service was still changing when the ${settleMs} ms settle time ran out (${describeState()}); give it longer with a larger settle time.`;
      } else {
        verdict = 'violated';
        explanation = `${invariant.source} does not hold: ${describeState()}; nothing changed in the last ${Math.round(performance.now() - lastChange)} ms of the wait.`;
      }
    } else if (o.signal?.aborted) {
      verdict = 'interrupted';
      explanation = `interrupted: ${plural(totals.published, 'message')} published before Ctrl+C.`;
    } else {
      explanation = `${plural(totals.published, 'message')} published; nothing was checked (no store to read and no replies to collect).`;
    }
  } finally {
    await publisher.close();
    leftBehind = await publisher.leftBehind().catch((e: unknown) => [`(could not check: ${messageOf(e)})`]);
    await reader?.close();
  }
  const replyIds = replies.map((r) => r.inReplyTo).filter((x): x is string => x !== undefined);
  const duplicateReplies = replyIds.length - new Set(replyIds).size;
  return {
    kind: 'publish',
    settings: {
      broker: resolved.kind,
      brokerDescription: publisher.description,
      namespace,
      mode: o.flood ? 'flood' : 'burst',
      sync: o.sync ?? 'parallel',
      connections,
      count: o.flood ? totals.published + totals.failed + totals.unroutable : count,
      ...(o.flood ? { flood: o.flood } : {}),
      seed,
      settleMs,
      ...(invariant ? { invariant: invariant.source } : {}),
      ...(reader ? { store: reader.description } : {}),
      ...(replyAddress !== undefined ? { replyAddress } : {}),
    },
    published: totals.published,
    failed: totals.failed,
    unroutable: totals.unroutable,
    skipped: totals.skipped,
    errors: [...totals.errors].map(([message, n]) => ({ message, count: n })),
    releaseMs,
    publishMs,
    messagesPerSecond: publishMs > 0 ? totals.published / (publishMs / 1000) : 0,
    replies: replies.length,
    duplicateReplies,
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    verdict,
    explanation,
    created: publisher.createdNames(),
    leftBehind,
    interrupted: o.signal?.aborted === true,
  };

  function scope(): Record<string, unknown> {
    return { before: before ?? null, after: after ?? null, published: totals.published, count: totals.published, failed: totals.failed, unroutable: totals.unroutable, replies: replies.map((r) => r.body) };
  }
  function describeState(): string {
    const parts = [`${totals.published} published`];
    if (reader) parts.push(`before ${JSON.stringify(before ?? null)}, after ${JSON.stringify(after ?? null)}`);
    if (replyAddress !== undefined) parts.push(`${replies.length} replies`);
    return parts.join(', ');
  }
}

/** A flood over the lanes: `max` keeps every lane busy back to back; a rate hands each lane its share every tick. */
async function flood(
  lanes: readonly PublishLane[],
  f: { readonly rate: number | 'max'; readonly durationMs: number },
  message: (index: number, client: number) => OutgoingMessage,
  signal: AbortSignal | undefined,
): Promise<{ result: LaneResult; skipped: number; wallMs: number }> {
  const results: LaneResult[] = [];
  let next = 0;
  let skipped = 0;
  const batchOf = (n: number, client: number): OutgoingMessage[] => Array.from({ length: n }, () => message(next++, client));
  const t0 = performance.now();
  const end = t0 + f.durationMs;
  if (f.rate === 'max') {
    await Promise.all(
      lanes.map(async (lane, client) => {
        while (performance.now() < end && !signal?.aborted) results.push(await lane.send(batchOf(256, client)));
      }),
    );
  } else {
    const rate = f.rate;
    const total = Math.max(1, Math.floor((f.durationMs / 1000) * rate));
    const busy = new Set<number>();
    const pending = new Set<Promise<void>>();
    let handled = 0;
    while (handled < total && !signal?.aborted) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      const n = due - handled;
      if (n > 0) {
        const share = Math.ceil(n / lanes.length);
        let left = n;
        lanes.forEach((lane, client) => {
          const take = Math.min(share, left);
          if (take <= 0) return;
          left -= take;
          handled += take;
          if (busy.has(client)) {
            skipped += take;
            return;
          }
          busy.add(client);
          const p = lane.send(batchOf(take, client)).then((r) => {
            results.push(r);
            busy.delete(client);
          });
          pending.add(p);
          void p.then(() => pending.delete(p));
        });
      }
      if (handled < total) await sleep(Math.max(1, Math.min(10, 1000 / rate)), signal);
    }
    await Promise.all(pending);
  }
  const merged = new Map<string, number>();
  for (const r of results) for (const e of r.errors) merged.set(e.message, (merged.get(e.message) ?? 0) + e.count);
  return {
    result: {
      ok: results.reduce((s, r) => s + r.ok, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      unroutable: results.reduce((s, r) => s + r.unroutable, 0),
      errors: [...merged].map(([message, count]) => ({ message, count })),
    },
    skipped,
    wallMs: performance.now() - t0,
  };
}
