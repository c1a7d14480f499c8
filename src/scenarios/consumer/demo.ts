import type { Broker } from '../../broker/broker.js';
import { brokerNamespace } from '../../broker/names.js';
import { openBroker, resolveBroker, type BrokerKind } from '../../broker/open.js';
import { RacelabError } from '../../core/errors.js';
import { formatMs } from '../../core/units.js';
import { renderTable, wrap } from '../../report/table.js';
import { openStore } from '../../store/open.js';
import { maskStoreUrl } from '../../store/store-url.js';
import { cleanupOnSignal, probeStore, resolveStore, runNamespace, withNamespace } from '../../store/specs.js';
import type { Store } from '../../store/store.js';
import { runKilledConsumers } from './kill.js';
import { checkSizes, runConsumerVariant } from './run.js';
import { explainTally, violations, type ConsumerTally } from './tally.js';
import { consumerVariant, consumerVariants, type ConsumerVariant } from './variants.js';

export interface BrokerDemoOptions {
  /** `memory` (default), `nats`, `rabbitmq`, or a URL. */
  readonly broker?: string;
  /** `memory` (default), `postgres`, `redis`, or a URL. */
  readonly store?: string;
  /** Default: every variant. */
  readonly variants?: readonly string[];
  /** Messages per variant; default 40. */
  readonly messages?: number;
  /** Consumers killed between effect and ack, per variant that is about duplicates; default 5. */
  readonly crashes?: number;
  /** Acks held past the ack wait, per variant that is about duplicates; default 0. */
  readonly pauses?: number;
  readonly seed: number;
  /** The read-modify-write window; default 5 ms. */
  readonly windowMs?: number;
  /** JetStream ack_wait (and the memory broker's); default 1 s. */
  readonly ackWaitMs?: number;
  /** The first word of every stream, queue and exchange name; default `racelab`. */
  readonly prefix?: string;
  /**
   * Naive and idempotent: run each consumer as a process of its own and kill it with SIGKILL between effect and
   * ack (`crashes` times), instead of dropping its connection inside this process. Needs a real broker and a
   * PostgreSQL or Redis store.
   */
  readonly killProcesses?: boolean;
  /** Ctrl+C: the variant running stops, everything created is deleted, and the report says so. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
}

export interface BrokerDemoRun {
  readonly variant: string;
  readonly form: 'vulnerable' | 'fixed';
  readonly summary: string;
  readonly consumers: number;
  readonly tally: ConsumerTally;
  /** `race` (a number the variant is about is not zero), `holds`, or `inconclusive` (not every message was acked in time). */
  readonly verdict: 'race' | 'holds' | 'inconclusive';
  readonly wallMs: number;
  readonly explanation: string;
}

export interface BrokerDemoReport {
  readonly kind: 'broker-demo';
  readonly settings: {
    readonly broker: BrokerKind;
    readonly brokerDescription: string;
    readonly store: string;
    readonly namespace: string;
    readonly seed: number;
    readonly messages: number;
    readonly crashes: number;
    readonly pauses: number;
    readonly windowMs: number;
    readonly ackWaitMs: number;
    /** The kills were SIGKILLs of consumer processes, not connections dropped inside this one. */
    readonly killProcesses: boolean;
  };
  readonly runs: BrokerDemoRun[];
  /** What was created on the broker and deleted afterwards. */
  readonly created: readonly string[];
  readonly interrupted: boolean;
}

/** Keys per variant: the races of one key need messages of one key; the duplicates show on any. */
function keysFor(v: ConsumerVariant): string[] {
  return v.checks.includes('lostUpdates') && v.consumers > 1 ? ['k1'] : ['k1', 'k2', 'k3'];
}

/**
 * `racelab demo brokers`: every consumer variant on one broker and one store, with the seeded faults each lesson
 * needs (consumers killed between effect and ack for naive and idempotent), and for each the numbers that run
 * measured: messages published, effects applied, duplicates, lost effects, lost updates, out-of-order
 * applications, redeliveries. Everything made on the broker and in the store carries the run's namespace and is
 * deleted before this returns, also when `signal` fires.
 */
export async function runBrokerDemo(options: BrokerDemoOptions): Promise<BrokerDemoReport> {
  const resolved = resolveBroker(options.broker);
  const variants = (options.variants ?? consumerVariants.map((v) => v.name)).map(consumerVariant);
  const messages = options.messages ?? 40;
  checkSizes(messages, 1, undefined);
  const crashes = options.crashes ?? 5;
  const pauses = options.pauses ?? 0;
  for (const [flag, n] of [
    ['--crashes', crashes],
    ['--pauses', pauses],
  ] as const) {
    if (!Number.isInteger(n) || n < 0 || n > messages) throw new RacelabError('BAD_COUNT', `${flag}: "${n}" must be a whole number from 0 to the number of messages (${messages})`);
  }
  const windowMs = options.windowMs ?? 5;
  const ackWaitMs = options.ackWaitMs ?? 1000;
  const progress = options.onProgress ?? (() => undefined);
  const storeSpec = resolveStore(options.store);
  if (options.killProcesses && (resolved.kind === 'memory' || !storeSpec)) {
    throw new RacelabError('BAD_OPTION', 'killing consumer processes needs a real broker (nats or rabbitmq) and a store they share (postgres or redis)');
  }
  if (storeSpec) await probeStore(storeSpec);
  const namespace = brokerNamespace(options.prefix ?? 'racelab');
  const broker: Broker = await openBroker(resolved, { namespace });
  const runs: BrokerDemoRun[] = [];
  const storeDescription = storeSpec ? `${storeSpec.kind} ${maskStoreUrl(storeSpec.url)} (a namespace of its own per variant, removed afterwards)` : 'memory (in this process)';
  try {
    for (const variant of variants) {
      if (options.signal?.aborted) break;
      const storeUrl = storeSpec ? withNamespace(storeSpec.url, runNamespace(`brokers-${variant.name}`)) : undefined;
      const forget = storeUrl ? cleanupOnSignal(storeUrl) : () => undefined;
      const store: Store = await openStore(storeUrl ?? 'memory');
      const t0 = performance.now();
      try {
        const duplicatesLesson = variant.checks.includes('duplicates');
        const killed = options.killProcesses && duplicatesLesson && storeSpec;
        const { tally: t, settled } = killed
          ? await runKilledConsumers({
              broker: resolved,
              storeUrl: storeSpec.url,
              variant,
              messages,
              keys: keysFor(variant),
              kills: crashes,
              seed: options.seed,
              ackWaitMs,
              windowMs,
              timeoutMs: Math.max(30_000, (crashes + 2) * 5000),
              prefix: options.prefix ?? 'racelab',
              ...(options.signal ? { signal: options.signal } : {}),
              onPublished: (ns) => progress(`${variant.name}: ${messages} messages published to ${broker.description}, under names that start with ${ns}; consumers are processes, killed with SIGKILL between effect and ack`),
            })
          : await runConsumerVariant({
          broker,
          store,
          variant,
          messages,
          keys: keysFor(variant),
          crashes: duplicatesLesson ? crashes : 0,
          pauses: duplicatesLesson ? pauses : 0,
          seed: options.seed,
          windowMs,
          ackWaitMs,
          settleTimeoutMs: Math.max(10_000, (crashes + pauses + 2) * ackWaitMs * 2),
          ...(options.signal ? { signal: options.signal } : {}),
          onPublished: () => progress(`${variant.name}: ${messages} messages published to ${broker.description}, under names that start with ${namespace}`),
        });
        const bad = violations(variant, t);
        const verdict = !settled ? 'inconclusive' : bad.length ? 'race' : 'holds';
        const explanation = !settled
          ? `only part of the run was measured: ${t.effectsApplied} effects applied for ${t.published} messages before ${options.signal?.aborted ? 'Ctrl+C' : 'the settle timeout'}; the counts are partial${bad.length ? ` (so far: ${bad.join(', ')})` : ''}.`
          : explainTally(variant, t);
        const wallMs = performance.now() - t0;
        runs.push({ variant: variant.name, form: variant.form, summary: variant.summary, consumers: variant.consumers, tally: t, verdict, wallMs, explanation });
        progress(`${variant.name}: ${t.published} published, ${t.effectsApplied} effects, ${t.duplicates} duplicates, ${t.lostUpdates} lost updates, ${t.outOfOrder} out of order, ${t.redeliveries} redeliveries: ${verdict} (${formatMs(wallMs)})`);
      } finally {
        await store.reset().catch(() => undefined);
        await store.close();
        forget();
      }
    }
  } finally {
    await broker.close();
  }
  return {
    kind: 'broker-demo',
    settings: {
      broker: resolved.kind,
      brokerDescription: broker.description,
      store: storeDescription,
      namespace,
      seed: options.seed,
      messages,
      crashes,
      pauses,
      windowMs,
      ackWaitMs,
      killProcesses: options.killProcesses === true,
    },
    runs,
    created: broker.createdNames(),
    interrupted: options.signal?.aborted === true,
  };
}

export function renderBrokerDemo(r: BrokerDemoReport): string {
  const s = r.settings;
  const out = [
    `racelab demo brokers: ${s.brokerDescription}, store ${s.store}, seed ${s.seed}; ${s.messages} messages per variant, ${s.crashes} consumer kill${s.crashes === 1 ? '' : 's'} between effect and ack for naive and idempotent (${s.killProcesses ? 'SIGKILL of a consumer process' : 'its connection dropped with the message unacked'})${s.pauses ? `, ${s.pauses} acks held past the ${formatMs(s.ackWaitMs)} ack wait` : ''}, a ${formatMs(s.windowMs)} read-modify-write window`,
  ];
  const rows = (label: string, f: (x: BrokerDemoRun) => string): string[] => [label, ...r.runs.map(f)];
  out.push(
    renderTable(
      ['', ...r.runs.map((x) => x.variant)],
      [
        rows('form', (x) => x.form),
        rows('consumers', (x) => String(x.consumers)),
        rows('messages published', (x) => String(x.tally.published)),
        rows('effects applied', (x) => String(x.tally.effectsApplied)),
        rows('duplicates', (x) => String(x.tally.duplicates)),
        rows('lost effects', (x) => String(x.tally.lostEffects)),
        rows('lost updates', (x) => String(x.tally.lostUpdates)),
        rows('out of order', (x) => String(x.tally.outOfOrder)),
        rows('consumers killed', (x) => String(x.tally.crashes)),
        rows('redeliveries', (x) => String(x.tally.redeliveries)),
        rows('verdict', (x) => (x.verdict === 'race' ? 'RACE' : x.verdict)),
        rows('wall time', (x) => formatMs(x.wallMs)),
      ],
    ),
  );
  for (const x of r.runs) out.push(wrap(`${x.variant} (${x.summary}).`, 100, '  '), wrap(x.explanation, 100, '    '));
  out.push(
    r.interrupted
      ? `interrupted: ${r.runs.length} variant${r.runs.length === 1 ? '' : 's'} measured; ${r.created.length} broker object${r.created.length === 1 ? '' : 's'} deleted (${r.created.join(', ')})`
      : `deleted afterwards: ${r.created.join(', ') || 'nothing was created'}`,
  );
  return out.join('\n\n');
}
