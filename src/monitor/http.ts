import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { RacelabError, messageOf } from '../core/errors.js';
import { listenError } from '../core/tcp.js';
import type { RaceMonitor } from './monitor.js';

/**
 * A request handler for node:http (or Express: `app.get('/metrics', metricsHandler(monitor))`) that answers with
 * the monitor's metrics in the Prometheus text format.
 */
export function metricsHandler(monitor: RaceMonitor): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    monitor.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': monitor.registry.contentType });
        res.end(text);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics failed: ${messageOf(e)}\n`);
      },
    );
  };
}

export interface MetricsEndpoint {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/metrics` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Parses `:9464`, `9464` or `host:9464`; a missing host is loopback (metrics say what a service does, so they are
 * not published on every interface unless asked).
 */
export function parseListenAddress(spec: string, what: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(spec.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new RacelabError('BAD_PORT', `${what}: "${spec}" is not a listen address; use :9464 (loopback) or host:9464`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1';
  return { host, port };
}

/** Serves `/metrics` (and nothing else: 404) on its own HTTP listener. */
export async function serveMetrics(monitor: RaceMonitor, address: { host?: string; port: number }, what = 'metrics'): Promise<MetricsEndpoint> {
  const host = address.host ?? '127.0.0.1';
  const handler = metricsHandler(monitor);
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) handler(req, res);
    else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('racelab serves metrics at /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    server.close();
    throw listenError(e, host, address.port, what);
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${shown}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
