import { RacelabError } from '../core/errors.js';
import type { Scheduler } from '../sched/scheduler.js';
import { MemoryStore } from './memory.js';
import type { Store } from './store.js';

/**
 * Opens a store from a `--store` value: `memory` (the default), `postgres://…` or `redis://…`.
 * Adapters for real servers are loaded lazily so `racelab demo` needs nothing but Node.
 */
export async function openStore(spec: string | undefined, options: { scheduler?: Scheduler } = {}): Promise<Store> {
  const s = (spec ?? 'memory').trim();
  if (s === 'memory') return new MemoryStore(options.scheduler);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1]?.toLowerCase();
  throw new RacelabError(
    'BAD_STORE',
    scheme === 'postgres' || scheme === 'postgresql' || scheme === 'redis'
      ? `--store: ${scheme} stores are not available in this build yet; use --store memory`
      : `--store: "${s}" is not a store; use memory, postgres://user@host:5432/db or redis://host:6379`,
  );
}
