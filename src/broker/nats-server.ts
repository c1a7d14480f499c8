import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackChild } from '../core/children.js';
import { onCleanup } from '../core/cleanup.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { freeLoopbackPort, tcpAnswers } from '../core/tcp.js';
import { realDelay } from './names.js';

export const DEFAULT_NATS_SERVER = '/usr/sbin/nats-server';

export interface PrivateNatsServerOptions {
  /** The nats-server executable; default /usr/sbin/nats-server. */
  readonly binary?: string;
  /** How long a start may take until the port answers; default 10 s. */
  readonly startTimeoutMs?: number;
}

/**
 * A nats-server of this run's own, with JetStream, on a loopback port and a store directory of its own: the
 * broker a demo may kill. The machine's shared NATS is never restarted; this one is, on the same port and store
 * directory, so clients that reconnect find their streams again (if they were on file storage).
 */
export interface PrivateNatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Times the server was killed and started again. */
  readonly restarts: number;
  /** SIGKILLs the server (no shutdown, no flush: what a crash or kill -9 does) and waits until it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store directory and waits until the port answers. */
  start(): Promise<void>;
  /** kill() then start(). */
  restart(): Promise<void>;
  /** Kills the server and removes its store directory. Safe to call twice. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a private nats-server (`-js -a 127.0.0.1 -p <free port> -sd <tmp dir>`). Everything it makes goes with
 * stop(), which the caller runs in a `finally`; a signal reaches it through the child registry (the process) and
 * the cleanup registry (the directory).
 */
export async function startPrivateNatsServer(options: PrivateNatsServerOptions = {}): Promise<PrivateNatsServer> {
  const binary = options.binary ?? DEFAULT_NATS_SERVER;
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const storeDir = await mkdtemp(join(tmpdir(), 'racelab-nats-'));
  const forget = onCleanup(`nats-server store ${storeDir}`, () => rm(storeDir, { recursive: true, force: true }));
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined;
  let restarts = 0;
  let stopped = false;

  const start = async (): Promise<void> => {
    const c = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    trackChild(c);
    let stderr = '';
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const failed = new Promise<string>((resolve) => {
      c.once('error', (e) => resolve(messageOf(e)));
      c.once('exit', (code, signal) => resolve(`it exited (${code ?? signal}): ${/\[FTL\][^\n]*/.exec(stderr)?.[0] ?? stderr.trim().split('\n').pop() ?? ''}`));
    });
    let why: string | undefined;
    void failed.then((w) => (why = w));
    const deadline = Date.now() + startTimeoutMs;
    while (why === undefined && Date.now() < deadline) {
      if (await tcpAnswers('127.0.0.1', port, 200)) return;
      await realDelay(25);
    }
    c.kill('SIGKILL');
    await exited(c);
    throw new RacelabError('UNREACHABLE', `could not start ${binary} on 127.0.0.1:${port}: ${why ?? `its port did not answer within ${startTimeoutMs} ms`}`);
  };

  const kill = async (): Promise<void> => {
    const c = child;
    if (!c) return;
    child = undefined;
    c.kill('SIGKILL');
    await exited(c);
  };

  try {
    await start();
  } catch (e) {
    await rm(storeDir, { recursive: true, force: true });
    forget();
    throw e;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get restarts() {
      return restarts;
    },
    kill,
    start: async () => {
      if (stopped) throw new RacelabError('BAD_OPTION', 'this private nats-server was stopped; start a new one');
      if (!child) await start();
    },
    restart: async () => {
      if (stopped) throw new RacelabError('BAD_OPTION', 'this private nats-server was stopped; start a new one');
      await kill();
      await start();
      restarts++;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await kill();
      await rm(storeDir, { recursive: true, force: true });
      forget();
    },
  };
}
