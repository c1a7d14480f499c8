import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from 'nats';
import { maskBrokerUrl } from '../broker/names.js';
import { RacelabError, messageOf } from '../core/errors.js';

/**
 * How an agent or a coordinator reaches NATS: the server URL and the `nats` client's own credentials and TLS.
 * Secrets are read here, from files or the caller's options, never from a command line a child could inherit,
 * and no report carries them (the URL is masked).
 */
export interface NatsAccess {
  readonly url: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** A `.creds` file (JWT and NKey seed), as `nsc` writes it. */
  readonly credsFile?: string;
  /** A file holding an NKey seed (`SU…`). */
  readonly nkeySeedFile?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
}

function readSecret(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new RacelabError('BAD_OPTION', `cannot read ${file} (${messageOf(e)})`, { subject: what });
  }
}

export function natsConnectionOptions(a: NatsAccess, name: string): ConnectionOptions {
  const authenticator = a.credsFile
    ? credsAuthenticator(readSecret(a.credsFile, 'natsCreds'))
    : a.nkeySeedFile
      ? nkeyAuthenticator(new TextEncoder().encode(new TextDecoder().decode(readSecret(a.nkeySeedFile, 'natsNkey')).trim()))
      : undefined;
  return {
    servers: a.url,
    name,
    timeout: 3000,
    // A short reconnect: a blip is ridden out, a NATS that went away ends the agent (it says so).
    maxReconnectAttempts: 5,
    reconnectTimeWait: 500,
    ...(a.user !== undefined ? { user: a.user } : {}),
    ...(a.pass !== undefined ? { pass: a.pass } : {}),
    ...(a.token !== undefined ? { token: a.token } : {}),
    ...(authenticator ? { authenticator } : {}),
    ...(a.tls ? { tls: { ...(a.tls.caFile ? { caFile: a.tls.caFile } : {}), ...(a.tls.certFile ? { certFile: a.tls.certFile } : {}), ...(a.tls.keyFile ? { keyFile: a.tls.keyFile } : {}) } } : {}),
  };
}

/** `flag`: the option the URL came from, named in the error (`--nats` for an agent, `--agents` for attack). */
export async function connectNats(a: NatsAccess, name: string, flag: 'nats' | 'agents' = 'nats'): Promise<NatsConnection> {
  const options = natsConnectionOptions(a, name);
  try {
    return await connect(options);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'AUTHORIZATION_VIOLATION' || code === 'AUTHENTICATION_EXPIRED') {
      throw new RacelabError('BAD_BROKER', `NATS at ${maskBrokerUrl(a.url)} refused the credentials; give ones it accepts`, { subject: flag, cause: e });
    }
    throw new RacelabError('UNREACHABLE', `NATS at ${maskBrokerUrl(a.url)} is not reachable (${code ?? messageOf(e)}); start nats-server there or give the URL of one`, { subject: flag, cause: e });
  }
}
