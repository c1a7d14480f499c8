import { onCleanup, ownerIsGone, ownerTag } from '../core/cleanup.js';
import { RacelabError, isRacelabError } from '../core/errors.js';
import { tracer } from '../core/trace.js';
import { maskStoreUrl } from './store-url.js';
import { openStore, storeKind } from './open.js';
import { isNamespacedStore, type Store } from './store.js';

const trace = tracer('store');

/** Where racelab looks for the real stores when no URL is given (the tests read the same variables). */
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ResolvedStore {
  readonly kind: 'postgres' | 'redis';
  readonly url: string;
  /** Where the URL came from, for error messages: `store` (the caller's spec), `RACELAB_PG_URL`, or the built-in default. */
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
  if (parts.length === 0) throw new RacelabError('BAD_STORE', 'empty; use postgres, redis, or their URLs', { subject: 'store' });
  return parts.map((part) => {
    if (part === 'postgres' || part === 'redis') return fromEnvironment(part, env);
    const kind = storeKind(part);
    if (kind === 'memory') {
      throw new RacelabError('BAD_STORE', 'memory lives inside one process, so replicas cannot share it; use postgres, redis, or their URLs', { subject: 'store' });
    }
    return { kind, url: part, source: 'store' };
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
  if (stores.length > 1) throw new RacelabError('BAD_STORE', `"${maskStoreUrl(s)}" names ${stores.length} stores; give one`, { subject: 'store' });
  return stores[0];
}

/** The same store URL with a `?namespace=` of its own, so that each run starts from an empty counter. */
export function withNamespace(url: string, namespace: string): string {
  const u = new URL(url);
  u.searchParams.set('namespace', namespace);
  return u.href;
}

/**
 * A namespace no other run uses: `<label>-<host>-<pid>-<created>-<random>`. The owner part lets a later run
 * remove it if this process is killed before it can (sweepLeftovers); the label is shortened to fit 64.
 */
export function runNamespace(label: string): string {
  const tag = ownerTag('-');
  return `${label.slice(0, 63 - tag.length)}-${tag}`;
}

/**
 * Registers the removal of a run's namespace for the signal path (src/core/cleanup.ts); the creator still
 * removes it itself on every other path, then calls the returned function. The removal opens a connection of
 * its own, and deletes until a pass finds nothing, so a write already on its way when the signal came is
 * removed too.
 */
export function cleanupOnSignal(url: string): () => void {
  const namespace = new URL(url).searchParams.get('namespace') ?? url;
  return onCleanup(`namespace ${namespace}`, async () => {
    const store = await openStore(url, { poolSize: 1, connectTimeoutMs: 2000 });
    try {
      if (!isNamespacedStore(store)) return;
      for (let pass = 0; pass < 5; pass++) {
        if ((await store.removeNamespace(store.namespace)) === 0 && pass > 0) return;
      }
    } finally {
      await store.close();
    }
  });
}

/** Removes the namespaces that runs of this host left when they were killed (kill -9); returns their names. */
export async function sweepLeftovers(store: Store): Promise<string[]> {
  if (!isNamespacedStore(store)) return [];
  const gone = (await store.listNamespaces()).filter(ownerIsGone);
  for (const namespace of gone) await store.removeNamespace(namespace);
  if (gone.length) trace(`removed ${gone.length} namespaces left by killed runs: ${gone.join(', ')}`);
  return gone;
}

/** For errors about a store that came from the environment: say where it came from. */
export function describeSource(s: ResolvedStore): string {
  return s.source === 'store' ? maskStoreUrl(s.url) : s.source.startsWith('RACELAB_') ? `${maskStoreUrl(s.url)} (from ${s.source})` : `${maskStoreUrl(s.url)} (${s.source})`;
}

/**
 * Opens the store once, at its URL as resolved (before any namespace is added), and closes it: a server that is
 * down, or a bad user or database, fails as one line naming that URL and, when it did not come from the spec given,
 * where it came from, before anything else starts.
 */
export async function probeStore(s: ResolvedStore): Promise<void> {
  let store: Store | undefined;
  try {
    store = await openStore(s.url, { poolSize: 1 });
    await sweepLeftovers(store);
  } catch (e) {
    if (!isRacelabError(e) || s.source === 'store') throw e;
    const variable = s.kind === 'postgres' ? 'RACELAB_PG_URL' : 'RACELAB_REDIS_URL';
    const origin = s.source === variable ? `that URL came from ${variable}` : `that URL is the built-in default, used when ${variable} is not set`;
    throw new RacelabError(e.code, `${e.detail}; ${origin}: point ${variable} or \`store\` at a running ${s.kind === 'postgres' ? 'PostgreSQL' : 'Redis'}`, {
      ...(e.subject !== undefined ? { subject: e.subject } : {}),
      cause: e,
    });
  } finally {
    await store?.close();
  }
}
