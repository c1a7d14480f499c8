import { RacelabError, isRacelabError } from '../core/errors.js';
import { maskStoreUrl } from './store-url.js';
import { openStore, storeKind } from './open.js';
import type { Store } from './store.js';

/** Where racelab looks for the real stores when no URL is given (the tests read the same variables). */
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ResolvedStore {
  readonly kind: 'postgres' | 'redis';
  readonly url: string;
  /** Where the URL came from, for error messages: `--store`, `RACELAB_PG_URL`, or the built-in default. */
  readonly source: string;
}

function fromEnvironment(kind: 'postgres' | 'redis', env: NodeJS.ProcessEnv): ResolvedStore {
  const variable = kind === 'postgres' ? 'RACELAB_PG_URL' : 'RACELAB_REDIS_URL';
  const value = env[variable];
  if (value) return { kind, url: value, source: variable };
  return { kind, url: kind === 'postgres' ? DEFAULT_PG_URL : DEFAULT_REDIS_URL, source: `the default; ${variable} overrides it` };
}

/**
 * Resolves `--store` for commands that need a store shared by processes: a comma-separated list of URLs or
 * the shorthands `postgres` and `redis` (their URLs from the environment); nothing means `postgres`.
 */
export function resolveSharedStores(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedStore[] {
  const parts = (spec ?? 'postgres').split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new RacelabError('BAD_STORE', '--store: empty; use postgres, redis, or their URLs');
  return parts.map((part) => {
    if (part === 'postgres' || part === 'redis') return fromEnvironment(part, env);
    const kind = storeKind(part);
    if (kind === 'memory') {
      throw new RacelabError(
        'BAD_STORE',
        '--store: memory lives inside one process, so replicas cannot share it; use postgres, redis, or their URLs',
      );
    }
    return { kind, url: part, source: '--store' };
  });
}

/**
 * Resolves a `--store` naming one store: `memory` (the default), or what resolveSharedStores takes (`postgres`,
 * `redis`, or a URL); undefined for memory.
 */
export function resolveStore(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedStore | undefined {
  const s = (spec ?? 'memory').trim();
  if (s === 'memory') return undefined;
  const stores = resolveSharedStores(s, env);
  if (stores.length > 1) throw new RacelabError('BAD_STORE', `--store: "${maskStoreUrl(s)}" names ${stores.length} stores; give one`);
  return stores[0];
}

/** The same store URL with a `?namespace=` of its own, so that each run starts from an empty counter. */
export function withNamespace(url: string, namespace: string): string {
  const u = new URL(url);
  u.searchParams.set('namespace', namespace);
  return u.href;
}

/** A namespace no other run on this machine uses. */
export function runNamespace(label: string): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 64);
}

/** For errors about a store that came from the environment: say where it came from. */
export function describeSource(s: ResolvedStore): string {
  return s.source === '--store' ? maskStoreUrl(s.url) : s.source.startsWith('RACELAB_') ? `${maskStoreUrl(s.url)} (from ${s.source})` : `${maskStoreUrl(s.url)} (${s.source})`;
}

/**
 * Opens the store once, at its URL as resolved (before any namespace is added), and closes it: a server that is
 * down, or a bad user or database, fails as one line naming that URL and, when it did not come from --store,
 * where it came from, before anything else starts.
 */
export async function probeStore(s: ResolvedStore): Promise<void> {
  let store: Store | undefined;
  try {
    store = await openStore(s.url, { poolSize: 1 });
  } catch (e) {
    if (!isRacelabError(e) || s.source === '--store') throw e;
    const variable = s.kind === 'postgres' ? 'RACELAB_PG_URL' : 'RACELAB_REDIS_URL';
    const origin = s.source === variable ? `that URL came from ${variable}` : `that URL is the built-in default, used when ${variable} is not set`;
    throw new RacelabError(e.code, `${e.message}; ${origin}: point ${variable} or --store at a running ${s.kind === 'postgres' ? 'PostgreSQL' : 'Redis'}`, { cause: e });
  } finally {
    await store?.close();
  }
}
