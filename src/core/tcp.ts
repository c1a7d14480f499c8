import { connect, createServer } from 'node:net';
import { RacelabError, messageOf } from './errors.js';

/** Whether something accepts a TCP connection at host:port within `timeoutMs` (a server that is up, or not yet). */
export function tcpAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * A loopback port free at the moment of asking (the kernel's pick for port 0). Another process may take it before
 * the caller binds it; a server started on it that fails to bind says so.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The parameter a listen error is about (`RacelabError.subject`): the port when it is taken, the host when it is not this machine's. */
export interface ListenSubjects {
  readonly port: string;
  readonly host: string;
}

/**
 * The one-line error for a listener that could not bind host:port; every listener (the gRPC server, the metrics
 * endpoint, the proxy) goes through it so each says the same thing. Node's `net` gives the errno as `code`;
 * grpc-js gives only a message ("No address added out of total 1 resolved errors: [listen EADDRNOTAVAIL: …]"),
 * so the code is read from the message when there is none.
 */
export function listenError(e: unknown, host: string, port: number, subjects: ListenSubjects | string): RacelabError {
  const subject = typeof subjects === 'string' ? { port: subjects, host: subjects } : subjects;
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const message = messageOf(e);
  const code = (e as { code?: unknown } | undefined)?.code;
  const errno = typeof code === 'string' ? code : /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN)\b/.exec(message)?.[1];
  switch (errno) {
    case 'EADDRINUSE':
      return new RacelabError('PORT_IN_USE', `${where} is already in use; stop what listens there or pick another port (0 picks a free one)`, { subject: subject.port });
    case 'EACCES':
      return new RacelabError('BAD_PORT', `${where} needs privileges to listen on; use a port above 1023`, { subject: subject.port });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RacelabError('BAD_OPTION', `${host} is not an address of this machine; use 127.0.0.1, or an address of one of its interfaces (0.0.0.0 for all of them)`, { subject: subject.host });
    default:
      return new RacelabError('BAD_OPTION', `cannot listen on ${where}: ${message}`, { subject: subject.host });
  }
}
