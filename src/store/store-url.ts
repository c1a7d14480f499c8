import { RacelabError } from '../core/errors.js';

/**
 * A `--store` URL split into what the driver gets and what is racelab's own: `?namespace=` keeps runs and
 * tests sharing one server apart, `?table=` (PostgreSQL) picks the table. The password never leaves this
 * module in anything printable: `safe` is the URL with it masked.
 */
export interface StoreUrl {
  /** The URL for the driver, without racelab's parameters. */
  readonly driverUrl: string;
  readonly url: URL;
  readonly namespace: string;
  readonly table: string | undefined;
  /** Printable: the password replaced by `***`. */
  readonly safe: string;
}

export const DEFAULT_NAMESPACE = 'racelab';
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;
const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Masks the password of anything that looks like a URL, parseable or not, for error messages. */
export function maskStoreUrl(spec: string): string {
  // Up to the last '@': a password with an unencoded '/' or '#' makes the URL unparseable, and must still be hidden.
  return spec.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:).*@/i, '$1***@');
}

export function parseStoreUrl(spec: string, kind: 'postgres' | 'redis'): StoreUrl {
  const example = kind === 'postgres' ? 'postgres://user@127.0.0.1:5432/db' : 'redis://127.0.0.1:6379';
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new RacelabError('BAD_STORE', `"${maskStoreUrl(spec)}" is not a valid URL; write e.g. ${example}`, { subject: 'store' });
  }
  if (!url.hostname) throw new RacelabError('BAD_STORE', `"${maskStoreUrl(spec)}" names no host; write e.g. ${example}`, { subject: 'store' });
  const namespace = url.searchParams.get('namespace') ?? DEFAULT_NAMESPACE;
  if (!NAMESPACE.test(namespace)) {
    throw new RacelabError('BAD_STORE', `namespace "${namespace}" must be 1 to 64 letters, digits, '_', '.' or '-'`, { subject: 'store' });
  }
  const table = url.searchParams.get('table') ?? undefined;
  if (table !== undefined && (kind !== 'postgres' || !TABLE.test(table))) {
    throw new RacelabError(
      'BAD_STORE',
      kind === 'postgres'
        ? `table "${table}" must be a lower-case SQL name (letters, digits, '_', at most 63)`
        : '?table= is for PostgreSQL stores; a Redis store takes ?namespace= only',
      { subject: 'store' },
    );
  }
  const driver = new URL(url.href);
  driver.searchParams.delete('namespace');
  driver.searchParams.delete('table');
  const safe = new URL(url.href);
  if (safe.password) safe.password = '***';
  return { driverUrl: driver.href, url, namespace, table, safe: safe.href };
}

/** Where a store URL points, for error messages: `host:port`. */
export function hostPort(url: URL, defaultPort: number): string {
  return `${url.hostname}:${url.port || defaultPort}`;
}
