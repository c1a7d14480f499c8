import type { Broker } from '../../broker/broker.js';
import { brokerNamespace } from '../../broker/names.js';
import { startPrivateNatsServer, type PrivateNatsServer } from '../../broker/nats-server.js';
import { openBroker, resolveBroker, type BrokerKind } from '../../broker/open.js';
import { RacelabError } from '../../core/errors.js';
import { formatMs, plural } from '../../core/units.js';
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
  /**
   * Acks held past the ack wait, per variant that is about duplicates, with two consumers so the broker hands the
   * message to the other meanwhile; default 0. Not on RabbitMQ (3.10 has no per-queue consumer timeout).
   */
  readonly pauses?: number;
  /**
   * Times a private nats-server (started for the run, on a loopback port and a store directory of its own) is
   * killed with SIGKILL and started again mid-run, in every variant; default 0. NATS only: the shared brokers
   * are never restarted.
   */
  readonly restarts?: number;
  /** The nats-server executable for `restarts`; default /usr/sbin/nats-server. */
  readonly natsServer?: string;
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
  /** Acks that got no answer (the broker was being restarted). */
  readonly acksLost: number;
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
    /** Broker restarts asked for, per variant (on a private nats-server). */
    readonly restarts: number;
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
  const restarts = options.restarts ?? 0;
  for (const [name, n] of [
    ['crashes', crashes],
    ['pauses', pauses],
    ['restarts', restarts],
  ] as const) {
    if (!Number.isInteger(n) || n < 0 || n > messages) throw new RacelabError('BAD_COUNT', `"${n}" must be a whole number from 0 to the number of messages (${messages})`, { subject: name });
  }
  const windowMs = options.windowMs ?? 5;
  const ackWaitMs = options.ackWaitMs ?? 1000;
  const progress = options.onProgress ?? (() => undefined);
  const storeSpec = resolveStore(options.store);
  if (options.killProcesses && (resolved.kind === 'memory' || !storeSpec)) {
    throw new RacelabError('BAD_OPTION', 'killing consumer processes needs a real broker (nats or rabbitmq) and a store they share (postgres or redis)');
  }
  if (restarts > 0 && resolved.kind !== 'nats') {
    throw new RacelabError('BAD_OPTION', `restarting the broker is implemented for NATS only (a private nats-server); use \`broker\` nats, or \`restarts\` 0 with ${resolved.kind}`, { subject: 'restarts' });
  }
  if (restarts > 0 && options.killProcesses) throw new RacelabError('BAD_OPTION', '`restarts` and `killProcesses`: use one at a time');
  if (pauses > 0 && resolved.kind === 'rabbitmq') {
    throw new RacelabError('BAD_OPTION', 'RabbitMQ 3.10 has no per-queue consumer timeout (x-consumer-timeout is ignored), so a held ack is never redelivered; use `broker` nats or memory', { subject: 'pauses' });
  }
  if (storeSpec) await probeStore(storeSpec);
  const namespace = brokerNamespace(options.prefix ?? 'racelab');
  // The shared broker is never restarted: restarts run on a nats-server of this run's own.
  const privateServer: PrivateNatsServer | undefined = restarts > 0 ? await startPrivateNatsServer(options.natsServer ? { binary: options.natsServer } : {}) : undefined;
  let broker: Broker;
  try {
    broker = await openBroker(privateServer ? privateServer.url : resolved, { namespace, ...(privateServer ? { reconnectWithinMs: 15_000 } : {}) });
  } catch (e) {
    await privateServer?.stop();
    throw e;
  }
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
        const { tally: t, settled, consumers, acksLost } = killed
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
          ...(privateServer ? { restarts, restartBroker: () => privateServer.restart() } : {}),
          seed: options.seed,
          windowMs,
          ackWaitMs,
          settleTimeoutMs: Math.max(10_000, (crashes + pauses + restarts + 2) * ackWaitMs * 2),
          ...(options.signal ? { signal: options.signal } : {}),
          onPublished: (sent) =>
            progress(
              `${variant.name}: ${sent === messages ? messages : `${sent} of ${messages}`} messages published to ${broker.description}, under names that start with ${namespace}${privateServer ? `; it will be killed (SIGKILL) and restarted ${plural(restarts, 'time')} (store ${privateServer.storeDir})` : ''}`,
            ),
        });
        const bad = violations(variant, t);
        const verdict = !settled ? 'inconclusive' : bad.length ? 'race' : 'holds';
        const explanation = !settled
          ? `only part of the run was measured: ${t.effectsApplied} effects applied for ${t.published} messages before ${options.signal?.aborted ? 'Ctrl+C' : 'the settle timeout'}; the counts are partial${bad.length ? ` (so far: ${bad.join(', ')})` : ''}.`
          : explainTally(variant, t);
        const wallMs = performance.now() - t0;
        runs.push({ variant: variant.name, form: variant.form, summary: variant.summary, consumers, tally: t, acksLost, verdict, wallMs, explanation });
        progress(
          `${variant.name}: ${t.published} published, ${t.effectsApplied} effects, ${t.duplicates} duplicates, ${t.lostUpdates} lost updates, ${t.outOfOrder} out of order, ${t.redeliveries} redeliveries${privateServer ? `, ${t.brokerRestarts} broker restarts` : ''}: ${verdict} (${formatMs(wallMs)})`,
        );
      } finally {
        await store.reset().catch(() => undefined);
        await store.close();
        forget();
      }
    }
  } finally {
    await broker.close();
    await privateServer?.stop();
  }
  return {
    kind: 'broker-demo',
    settings: {
      broker: resolved.kind,
      brokerDescription: privateServer ? `a private nats-server (${privateServer.url}, JetStream on file storage; the shared broker is not touched)` : broker.description,
      store: storeDescription,
      namespace,
      seed: options.seed,
      messages,
      crashes,
      pauses,
      windowMs,
      ackWaitMs,
      killProcesses: options.killProcesses === true,
      restarts,
    },
    runs,
    created: broker.createdNames(),
    interrupted: options.signal?.aborted === true,
  };
}

export function renderBrokerDemo(r: BrokerDemoReport): string {
  const s = r.settings;
  const out = [
    `racelab demo brokers: ${s.brokerDescription}, store ${s.store}, seed ${s.seed}; ${s.messages} messages per variant, ${plural(s.crashes, 'consumer kill')} between effect and ack for naive and idempotent (${s.killProcesses ? 'SIGKILL of a consumer process' : 'its connection dropped with the message unacked'})${s.pauses ? `, ${s.pauses} acks held past the ${formatMs(s.ackWaitMs)} ack wait (two consumers: the other may take the message meanwhile, if it is not paused too)` : ''}${s.restarts ? `, the broker killed (SIGKILL) and restarted ${plural(s.restarts, 'time')} per variant` : ''}, a ${formatMs(s.windowMs)} read-modify-write window`,
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
        ...(s.pauses ? [rows('acks held past the wait', (x) => String(x.tally.pauses))] : []),
        ...(s.restarts ? [rows('broker restarts', (x) => String(x.tally.brokerRestarts)), rows('acks unanswered', (x) => String(x.acksLost))] : []),
        rows('verdict', (x) => (x.verdict === 'race' ? 'RACE' : x.verdict)),
        rows('wall time', (x) => formatMs(x.wallMs)),
      ],
    ),
  );
  for (const x of r.runs) out.push(wrap(`${x.variant} (${x.summary}).`, 100, '  '), wrap(x.explanation, 100, '    '));
  out.push(
    r.interrupted
      ? `interrupted: ${plural(r.runs.length, 'variant')} measured; ${plural(r.created.length, 'broker object')} deleted (${r.created.join(', ')})`
      : `deleted afterwards: ${r.created.join(', ') || 'nothing was created'}`,
  );
  return out.join('\n\n');
}
