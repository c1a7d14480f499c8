import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { RacelabError, messageOf } from '../core/errors.js';
import { maskBrokerUrl } from './names.js';

/**
 * The client options for a nats:// URL. Credentials in the URL are passed as the client's own options (nats.js
 * does not read a URL's user part): `nats://user:pass@host` as user and pass, `nats://token@host` as a token.
 */
export function natsConnectOptions(url: string, name: string, timeoutMs: number): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RacelabError('BAD_BROKER', `broker "${maskBrokerUrl(url)}" is not a URL; write nats://host:4222 or nats://user:pass@host:4222`);
  }
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  const server = `${u.protocol}//${u.host}`;
  const auth = user && u.password !== '' ? { user, pass } : user ? { token: user } : {};
  return { servers: server, name, reconnect: false, timeout: timeoutMs, ...auth };
}

/** Connects to NATS; a server that is down is UNREACHABLE, refused credentials BAD_BROKER, each one line. */
export async function openNats(url: string, name: string, timeoutMs: number, extra: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  const options = { ...natsConnectOptions(url, name, timeoutMs), ...extra };
  try {
    return await connect(options);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'AUTHORIZATION_VIOLATION' || code === 'AUTHENTICATION_EXPIRED' || /authorization/i.test(messageOf(e))) {
      throw new RacelabError('BAD_BROKER', `NATS at ${maskBrokerUrl(url)} refused the credentials: give a user and password (or token) it accepts`, { cause: e });
    }
    throw new RacelabError('UNREACHABLE', `NATS at ${maskBrokerUrl(url)} is not reachable (${code ?? messageOf(e)}): start nats-server -js there, or give the URL of one`, { cause: e });
  }
}
