import { RacelabError } from '../core/errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]*):(\d{1,5})$/;

/**
 * Parses `host:port`, `[::1]:port`, and (with `defaultHost`) `:port` or a bare port. IPv6 brackets are removed,
 * so the result can be handed to `net` as is. `minPort` is 0 where 0 means "pick a free port".
 */
export function parseHostPort(text: string, what: string, options: { defaultHost?: string; minPort?: number } = {}): HostPort {
  const s = String(text).trim();
  const bare = /^\d{1,5}$/.test(s) && options.defaultHost !== undefined;
  const m = bare ? ['', '', s] : HOST_PORT.exec(s);
  const minPort = options.minPort ?? 1;
  const example = options.defaultHost !== undefined ? ':8080, 127.0.0.1:8080 or [::1]:8080' : 'localhost:50051 or [::1]:50051';
  if (!m) throw new RacelabError('BAD_OPTION', `${what}: "${text}" is not host:port; write e.g. ${example}`);
  const rawHost = m[1] ?? '';
  if (rawHost === '' && options.defaultHost === undefined) {
    throw new RacelabError('BAD_OPTION', `${what}: "${text}" has no host; write e.g. ${example}`);
  }
  const port = Number(m[2]);
  if (port < minPort || port > 65535) {
    throw new RacelabError('BAD_PORT', `${what}: port ${m[2]} is out of range; use ${minPort} to 65535${minPort === 0 ? ' (0 picks a free one)' : ''}`);
  }
  const host = rawHost === '' ? (options.defaultHost as string) : rawHost.replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** `host:port` for printing, with IPv6 hosts in brackets. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
