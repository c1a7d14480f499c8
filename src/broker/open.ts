import { RacelabError } from '../core/errors.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { Broker } from './broker.js';
import { MemoryBroker } from './memory.js';
import { maskBrokerUrl } from './names.js';

export type BrokerKind = 'memory' | 'nats' | 'rabbitmq';

/** Where racelab looks for the real brokers when only their kind is named (the tests read the same variables). */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

export interface ResolvedBroker {
  readonly kind: BrokerKind;
  /** Absent for memory. */
  readonly url?: string;
}

/**
 * What a broker spec names: `memory`, `nats` or `rabbitmq` (their URLs from RACELAB_NATS_URL / RACELAB_AMQP_URL or
 * the local defaults), or a `nats://` or `amqp://` URL. Anything else is BAD_BROKER.
 */
export function resolveBroker(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedBroker {
  const s = (spec ?? 'memory').trim();
  if (s === 'memory') return { kind: 'memory' };
  if (s === 'nats') return { kind: 'nats', url: env.RACELAB_NATS_URL || DEFAULT_NATS_URL };
  if (s === 'rabbitmq' || s === 'amqp') return { kind: 'rabbitmq', url: env.RACELAB_AMQP_URL || DEFAULT_AMQP_URL };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1]?.toLowerCase();
  if (scheme === 'nats') return { kind: 'nats', url: s };
  if (scheme === 'amqp') return { kind: 'rabbitmq', url: s };
  throw new RacelabError(
    'BAD_BROKER',
    `broker "${maskBrokerUrl(s)}" is not one racelab knows; use memory, nats, rabbitmq, nats://host:4222 or amqp://user:pass@host:5672 (amqps:// TLS is not supported)`,
  );
}

export interface OpenBrokerOptions {
  /** Carried by every name the broker creates; required for real brokers (see brokerNamespace). */
  readonly namespace: string;
  /** The memory broker's scheduler (the explorer's, or the real one). */
  readonly scheduler?: Scheduler;
  readonly connectTimeoutMs?: number;
  /** Real brokers: use what another process declared under `namespace`; create and delete nothing. */
  readonly attach?: boolean;
  /** NATS only: survive a broker restart of at most this long (see NatsBrokerOptions.reconnectWithinMs). */
  readonly reconnectWithinMs?: number;
}

/**
 * Opens a broker. The real adapters (and `nats` / `amqplib`) load only when asked for, so the memory broker needs
 * nothing but Node. A server that is down answers UNREACHABLE, wrong credentials or a refused name BAD_BROKER.
 */
export async function openBroker(spec: string | ResolvedBroker | undefined, options: OpenBrokerOptions): Promise<Broker> {
  const r = typeof spec === 'object' ? spec : resolveBroker(spec);
  if (r.kind === 'memory' || r.url === undefined) return new MemoryBroker(options.scheduler ? { scheduler: options.scheduler } : {});
  const adapterOptions = {
    namespace: options.namespace,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.attach ? { attach: true } : {}),
  };
  if (r.kind === 'nats') {
    const { NatsBroker } = await import('./nats.js');
    return NatsBroker.open(r.url, { ...adapterOptions, ...(options.reconnectWithinMs !== undefined ? { reconnectWithinMs: options.reconnectWithinMs } : {}) });
  }
  if (options.reconnectWithinMs !== undefined) throw new RacelabError('BAD_OPTION', 'surviving a broker restart (reconnectWithinMs) is implemented for NATS only; use a nats broker');
  const { RabbitBroker } = await import('./rabbitmq.js');
  return RabbitBroker.open(r.url, adapterOptions);
}
