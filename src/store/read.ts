import { RacelabError, messageOf } from '../core/errors.js';
import { maskStoreUrl } from './store-url.js';

/**
 * Reads one value from a store the user's own service writes (not racelab's namespaced Store): a Redis key (GET),
 * or the first column of the first row of a PostgreSQL query. What `racelab publish` compares before and after a
 * burst. Numbers come back as numbers, JSON as its value, anything else as text; a missing key or row (or SQL NULL) reads as 0.
 */
export interface ValueReader {
  readonly description: string;
  read(): Promise<unknown>;
  close(): Promise<void>;
}

function decode(v: unknown): unknown {
  // A key or row not there yet reads as 0, as INCR and a COUNT(*) would count it.
  if (typeof v !== 'string') return v ?? 0;
  if (/^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

export async function openValueReader(url: string, query: string): Promise<ValueReader> {
  const safe = maskStoreUrl(url);
  if (!query.trim()) throw new RacelabError('BAD_OPTION', 'what to read is empty: give a Redis key or a PostgreSQL query', { subject: 'read' });
  if (/^redis:/i.test(url)) {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 5000 });
    let lastError: string | undefined;
    redis.on('error', (e: Error) => {
      lastError = messageOf(e);
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new RacelabError('UNREACHABLE', `cannot use Redis at ${safe}: ${lastError ?? messageOf(e)}`, { subject: 'store' });
    }
    return {
      description: `Redis ${safe} key ${query}`,
      read: async () => {
        try {
          return decode(await redis.get(query));
        } catch (e) {
          throw new RacelabError('BAD_OPTION', `Redis GET ${query}: ${messageOf(e)}`, { subject: 'read' });
        }
      },
      close: async () => {
        redis.disconnect();
      },
    };
  }
  if (/^postgres(ql)?:/i.test(url)) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: 'racelab-publish' });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw new RacelabError('UNREACHABLE', `cannot use PostgreSQL at ${safe}: ${messageOf(e)}`, { subject: 'store' });
    }
    const read = async (): Promise<unknown> => {
      try {
        const r = await client.query({ text: query, rowMode: 'array' });
        const row = r.rows[0] as unknown[] | undefined;
        return decode(row?.[0] ?? null);
      } catch (e) {
        throw new RacelabError('BAD_OPTION', `PostgreSQL refused "${query}": ${messageOf(e)}`, { subject: 'read' });
      }
    };
    return { description: `PostgreSQL ${safe}: ${query}`, read, close: () => client.end().catch(() => undefined) };
  }
  throw new RacelabError('BAD_STORE', `"${safe}" is not a store racelab reads; give a redis:// or postgres:// URL`, { subject: 'store' });
}
