import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { RacelabError, messageOf } from '../core/errors.js';

/**
 * How racelab reaches a target: plaintext (h2c) or TLS with an optional CA and client certificate. The same
 * settings feed grpc-js channels, the raw HTTP/2 sockets of the last-frame burst, and the probe that turns
 * "nothing happens" into a one-line reason (nothing listens, TLS on one side only, an untrusted certificate).
 */
export interface TlsFiles {
  /** PEM file of the CA that signed the server's certificate; the system CAs when absent. */
  ca?: string;
  /** PEM client certificate and key, for servers that require mutual TLS. */
  cert?: string;
  key?: string;
  /** Name to verify the server's certificate against (and send as SNI), when it differs from the target host. */
  serverName?: string;
}

export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly serverName?: string;
}

export interface TransportSettings {
  readonly target: string;
  /** Undefined: plaintext HTTP/2. */
  readonly tls?: TlsMaterial;
}

function readPem(file: string, what: 'ca' | 'cert' | 'key'): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new RacelabError('TLS', `cannot read ${file} (${messageOf(e)}); pass the path of a PEM file`, { subject: what });
  }
}

/** Reads the PEM files the settings name; a client certificate needs its key and the other way round. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  if (Boolean(files.cert) !== Boolean(files.key)) {
    throw new RacelabError('TLS', 'a client certificate needs both `cert` and `key`', { subject: files.cert ? 'cert' : 'key' });
  }
  return {
    ...(files.ca ? { ca: readPem(files.ca, 'ca') } : {}),
    ...(files.cert ? { cert: readPem(files.cert, 'cert') } : {}),
    ...(files.key ? { key: readPem(files.key, 'key') } : {}),
    ...(files.serverName ? { serverName: files.serverName } : {}),
  };
}

export function channelCredentials(settings: TransportSettings): grpc.ChannelCredentials {
  const t = settings.tls;
  if (!t) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(t.ca ?? null, t.key ?? null, t.cert ?? null);
}

/**
 * Channel options for one grpc-js channel. `separateConnection` gives the channel its own subchannel pool:
 * by default grpc-js shares one connection among every channel to the same target, which would turn
 * "N connections" into one.
 */
export function channelOptions(settings: TransportSettings, separateConnection = false): grpc.ChannelOptions {
  const o: grpc.ChannelOptions = {};
  if (settings.tls?.serverName) {
    o['grpc.ssl_target_name_override'] = settings.tls.serverName;
    o['grpc.default_authority'] = settings.tls.serverName;
  }
  if (separateConnection) o['grpc.use_local_subchannel_pool'] = 1;
  return o;
}

export function splitTarget(target: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(target.trim());
  if (!m) throw new RacelabError('BAD_OPTION', `"${target}" is not host:port`, { subject: 'target' });
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

/** A connected socket (TLS with ALPN h2, or plain TCP) for a hand-driven HTTP/2 session. */
export function connectSocket(settings: TransportSettings, timeoutMs = 5000): Promise<net.Socket> {
  const { host, port } = splitTarget(settings.target);
  return new Promise((resolve, reject) => {
    const t = settings.tls;
    const socket = t
      ? tls.connect({
          host,
          port,
          ALPNProtocols: ['h2'],
          servername: t.serverName ?? (net.isIP(host) ? '' : host),
          ...(t.ca ? { ca: t.ca } : {}),
          ...(t.cert ? { cert: t.cert } : {}),
          ...(t.key ? { key: t.key } : {}),
        })
      : net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RacelabError('UNREACHABLE', `${settings.target} did not accept a connection within ${timeoutMs}ms; check host and port`, { subject: 'target' }));
    }, timeoutMs);
    const ok = (): void => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.setNoDelay(true);
      if (t && (socket as tls.TLSSocket).alpnProtocol !== 'h2') {
        socket.destroy();
        reject(new RacelabError('NOT_GRPC', `the TLS server at ${settings.target} did not agree to HTTP/2 (ALPN h2); it is not a gRPC server`, { subject: 'target' }));
        return;
      }
      resolve(socket);
    };
    const fail = (e: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(classifyConnectError(e, settings));
    };
    socket.once(t ? 'secureConnect' : 'connect', ok);
    socket.once('error', fail);
  });
}

/** OpenSSL's messages carry a path and line; the reason is the part after "SSL routines:function:". */
function tlsReason(e: Error): string {
  const msg = messageOf(e);
  return /SSL routines:[^:]*:([^:]+)/.exec(msg)?.[1] ?? msg;
}

function classifyConnectError(e: Error, settings: TransportSettings): RacelabError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const msg = tlsReason(e);
  const target = settings.target;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    // The name never became an address: no connection was tried, so "nothing accepts connections" would mislead.
    return new RacelabError('UNREACHABLE', `the host name in ${target} does not resolve (${code}); check its spelling, or give an IP address such as 127.0.0.1`, { subject: 'target' });
  }
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(code)) {
    return new RacelabError('UNREACHABLE', `nothing accepts connections at ${target} (${code}); check host and port, or start the server`, { subject: 'target' });
  }
  if (settings.tls) {
    if (/wrong version number|packet length too long|http request|unknown protocol/i.test(msg) || code === 'ECONNRESET') {
      return new RacelabError('TLS', `the server at ${target} does not speak TLS (${code || msg}); drop \`tls\`, \`ca\`, \`cert\` and \`key\``, { subject: 'tls' });
    }
    if (/ALTNAME|Hostname\/IP does not match/i.test(code + msg)) {
      return new RacelabError('TLS', `the certificate of ${target} is not for this host name (${msg}); pass the name it was issued for with \`serverName\``, { subject: 'tls' });
    }
    if (/CERT|certificate|SELF_SIGNED|UNABLE_TO_VERIFY|unable to get/i.test(code + msg)) {
      const hint = /required|TLSV13_ALERT_CERTIFICATE_REQUIRED|handshake failure|bad certificate/i.test(code + msg)
        ? 'the server wants a client certificate: pass `cert` and `key`'
        : "pass the CA that signed the server's certificate with `ca`";
      return new RacelabError('TLS', `the TLS handshake with ${target} failed (${msg}); ${hint}`, { subject: 'tls' });
    }
    return new RacelabError('TLS', `the TLS handshake with ${target} failed (${msg})`, { subject: 'tls' });
  }
  return new RacelabError('UNREACHABLE', `cannot connect to ${target}: ${msg}`, { subject: 'target' });
}

/** Whether something at `target` completes a TLS handshake (any certificate). */
function speaksTls(target: string, timeoutMs: number): Promise<boolean> {
  const { host, port } = splitTarget(target);
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], servername: net.isIP(host) ? '' : host });
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (yes: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(yes);
    };
    socket.once('secureConnect', () => finish(true));
    socket.once('error', (e) => finish(/alert|certificate/i.test(messageOf(e))));
  });
}

const SPEAKS_TLS = (target: string): string => `the server at ${target} speaks TLS; add \`tls\` (and \`ca\` if its certificate is not signed by a public CA)`;

/** The client connection preface of HTTP/2 (RFC 9113 3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

/**
 * Connects, speaks the HTTP/2 preface and waits for the server's first frame. Distinguishes what a grpc-js
 * channel would only report as "unavailable" after its deadline: nothing listening, a TLS server hit in
 * plaintext (it answers with a TLS alert or hangs up), a plaintext server hit with TLS, a certificate that is
 * not trusted, a client certificate the server wants.
 */
export async function probeTarget(settings: TransportSettings, timeoutMs = 5000): Promise<void> {
  const socket = await connectSocket(settings, timeoutMs);
  const target = settings.target;
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = Buffer.alloc(0);
      const timer = setTimeout(() => done(new RacelabError('NOT_GRPC', `${target} accepted a connection but sent no HTTP/2 settings within ${timeoutMs}ms; is it a gRPC server?`, { subject: 'target' })), timeoutMs);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        socket.removeAllListeners('close');
        if (err) reject(err);
        else resolve();
      };
      socket.on('data', (d: Buffer) => {
        seen = Buffer.concat([seen, d]);
        if (seen.length < 9) return;
        if (seen[3] === 0x04) return done();
        if (!settings.tls && (seen[0] === 0x15 || seen[0] === 0x16) && seen[1] === 0x03) {
          return done(new RacelabError('TLS', SPEAKS_TLS(target), { subject: 'target' }));
        }
        if (seen.subarray(0, 5).toString('latin1') === 'HTTP/') {
          return done(new RacelabError('NOT_GRPC', `${target} answers HTTP/1.x, not HTTP/2; it is not a gRPC server`, { subject: 'target' }));
        }
        return done(new RacelabError('NOT_GRPC', `${target} did not answer the HTTP/2 preface with settings; it is not a gRPC server`, { subject: 'target' }));
      });
      socket.on('error', (e: Error) => done(classifyConnectError(e, settings)));
      socket.on('close', () => {
        if (settings.tls) {
          done(new RacelabError('TLS', `${target} closed the connection after the TLS handshake; it may require a client certificate (\`cert\`, \`key\`)`, { subject: 'tls' }));
          return;
        }
        // A TLS server hangs up on an HTTP/2 preface without a word; a TLS hello tells it apart.
        void speaksTls(settings.target, timeoutMs).then((tlsServer) =>
          done(
            tlsServer
              ? new RacelabError('TLS', SPEAKS_TLS(target), { subject: 'target' })
              : new RacelabError('NOT_GRPC', `${target} closed the connection on the HTTP/2 preface; it is not a gRPC server`, { subject: 'target' }),
          ),
        );
      });
      socket.write(Buffer.concat([H2_PREFACE, EMPTY_SETTINGS]));
    });
  } finally {
    socket.destroy();
  }
}

/**
 * Metadata from `key: value` strings. Keys ending in `-bin` carry base64 values, as
 * the gRPC spec says.
 */
export function parseMetadata(entries: readonly string[], what = 'metadata'): Array<[string, string]> {
  return entries.map((entry) => {
    const i = entry.indexOf(':');
    const key = i > 0 ? entry.slice(0, i).trim().toLowerCase() : '';
    if (!key || !/^[0-9a-z_.-]+$/.test(key)) {
      throw new RacelabError('BAD_OPTION', `"${entry}" is not "key: value" with a key of lowercase letters, digits, - _ .`, { subject: what });
    }
    if (key.startsWith('grpc-') || key.startsWith(':') || ['content-type', 'te', 'user-agent'].includes(key)) {
      throw new RacelabError('BAD_OPTION', `"${key}" is reserved by gRPC; pick another header name`, { subject: what });
    }
    return [key, entry.slice(i + 1).trim()];
  });
}

export function toGrpcMetadata(pairs: ReadonlyArray<readonly [string, string]>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of pairs) md.add(k, k.endsWith('-bin') ? Buffer.from(v, 'base64') : v);
  return md;
}
