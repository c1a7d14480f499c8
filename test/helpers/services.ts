/**
 * Real PostgreSQL and Redis for tests. Under CI=true a test that cannot reach them fails; elsewhere it skips
 * with a one-line reason.
 */
import { tcpAnswers } from '../../src/core/tcp.js';
import { DEFAULT_PG_URL, DEFAULT_REDIS_URL } from '../../src/store/specs.js';

export const PG_URL = process.env.RACELAB_PG_URL ?? DEFAULT_PG_URL;
export const REDIS_URL = process.env.RACELAB_REDIS_URL ?? DEFAULT_REDIS_URL;
export const MARIADB_URL = process.env.RACELAB_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/test';

/** Resolves whether a TCP connection to the URL's host:port succeeds within `timeoutMs`. */
export function reachable(url: string, timeoutMs = 1000): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol.startsWith('redis') ? 6379 : /^(mariadb|mysql)/.test(u.protocol) ? 3306 : 5432));
  return tcpAnswers(u.hostname, port, timeoutMs);
}

/**
 * For `describe.skipIf(!(await serviceAvailable(...)))`: true when reachable; under CI=true an unreachable
 * service throws, so the suite fails instead of skipping.
 */
export async function serviceAvailable(name: string, url: string): Promise<boolean> {
  if (await reachable(url)) return true;
  const why = `${name} is not reachable at ${url.replace(/\/\/[^@/]*@/, '//')}`;
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: tests that need it fail rather than skip)`);
  console.warn(`skipping ${name} tests: ${why}`);
  return false;
}

export const NATS_URL = process.env.RACELAB_NATS_URL ?? 'nats://127.0.0.1:4222';
export const AMQP_URL = process.env.RACELAB_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
