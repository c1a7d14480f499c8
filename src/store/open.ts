import { RacelabError } from '../core/errors.js';
import type { Scheduler } from '../sched/scheduler.js';
import { MemoryStore } from './memory.js';
import type { Store } from './store.js';
import { maskStoreUrl } from './store-url.js';

export interface OpenStoreOptions {
  scheduler?: Scheduler;
  /** PostgreSQL pool size; default 10. */
  poolSize?: number;
  connectTimeoutMs?: number;
}

/** The kind of store a `--store` value names, without opening it; throws BAD_STORE for anything else. */
export function storeKind(spec: string | undefined): 'memory' | 'postgres' | 'redis' {
  const s = (spec ?? 'memory').trim();
  if (s === 'memory') return 'memory';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'redis') return 'redis';
  throw new RacelabError(
    'BAD_STORE',
    `"${maskStoreUrl(s)}" is not a store; use memory, postgres://user@host:5432/db or redis://host:6379 (rediss:// TLS is not supported)`,
    { subject: 'store' },
  );
}

/**
 * Opens a store from a `--store` value: `memory` (the default), `postgres://…` or `redis://…`, each URL
 * optionally with `?namespace=` (and `?table=` for PostgreSQL). Adapters for real servers are loaded lazily so
 * `racelab demo` needs nothing but Node. A server that is down answers UNREACHABLE; a bad URL, wrong
 * credentials or an unknown database answer BAD_STORE; both print as one line without the password.
 */
export async function openStore(spec: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  const s = (spec ?? 'memory').trim();
  const kind = storeKind(s);
  const adapterOptions = {
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
  };
  if (kind === 'memory') return new MemoryStore(options.scheduler);
  if (kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(s, { ...adapterOptions, ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}) });
  }
  const { openRedisStore } = await import('./redis.js');
  return openRedisStore(s, adapterOptions);
}
