import * as net from 'node:net';
import { realClock, type Clock } from '../core/clock.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { Random } from '../core/random.js';
import { tracer } from '../core/trace.js';
import { listenError } from '../core/tcp.js';
import { formatHostPort, parseHostPort, type HostPort } from './address.js';
import { DelaySchedule, type ProxyDirection } from './delay-schedule.js';
import { SegmentPipe, type ProxySegment } from './segment-pipe.js';
import { DirectionRecorder, type ProxyStats } from './stats.js';

const trace = tracer('proxy');

export interface JitterProxyOptions {
  /** Address to listen on; default 127.0.0.1 (loopback only). */
  listenHost?: string;
  /** 0 picks a free port. */
  listenPort: number;
  /** `host:port` of the service behind the proxy. */
  target: string;
  /** Fixed one-way delay added to every segment, in each direction. */
  delayMs: number;
  /** Each segment gets an extra uniform random delay in [0, jitterMs), drawn from the seeded schedule. */
  jitterMs: number;
  /** Largest segment the proxy forwards, in bytes (1..65535); 1460 is Ethernet's TCP MSS. */
  mss: number;
  /** Seeds every connection's delay schedule; a fresh seed is drawn (and reported in the stats) if omitted. */
  seed?: number;
  /** Bytes read but not yet released, per direction of a connection, above which the sender is paused. */
  maxQueuedBytes?: number;
  /** How long a dial to the target may take before the accepted connection is reset. */
  connectTimeoutMs?: number;
  /** Observes every segment as it is released: for tests and tracing, not needed to run the proxy. */
  onSegment?: (segment: ProxySegment) => void;
  clock?: Clock;
}

export interface JitterProxy {
  readonly port: number;
  readonly host: string;
  readonly seed: number;
  stats(): ProxyStats;
  /** Stops listening and resets every proxied connection at once (queued segments are dropped). */
  close(): Promise<void>;
}

const MAX_DELAY_MS = 60_000;

function checkOptions(options: JitterProxyOptions): void {
  const bad = (message: string): never => {
    throw new RacelabError('BAD_OPTION', message);
  };
  const { delayMs, jitterMs, mss, seed, listenPort } = options;
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) bad(`delay: ${delayMs}ms must be from 0 to ${MAX_DELAY_MS}ms`);
  if (!Number.isFinite(jitterMs) || jitterMs < 0 || jitterMs > MAX_DELAY_MS) bad(`jitter: ${jitterMs}ms must be from 0 to ${MAX_DELAY_MS}ms`);
  if (!Number.isInteger(mss) || mss < 1 || mss > 65535) bad(`mss: ${mss} must be a whole number of bytes from 1 to 65535`);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) bad(`seed: ${seed} must be a whole number from 0 to 4294967295`);
  if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535) {
    throw new RacelabError('BAD_PORT', `listen port ${listenPort} is not a TCP port; use 1 to 65535 (0 picks a free one)`);
  }
  if (options.maxQueuedBytes !== undefined && !(options.maxQueuedBytes >= mss)) bad(`maxQueuedBytes must be at least one segment (${mss} bytes)`);
}

/** How long close() waits for the sockets it reset to close. */
const CLOSE_WAIT_MS = 2000;

/** Sends RST where the socket is connected (the peer sees the error as an error), else just destroys it. */
function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) return void socket.destroy();
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** One accepted connection and its dial to the target, with a segment pipe each way once both are up. */
class ProxiedConnection {
  private readonly pipes: SegmentPipe[] = [];
  private closedSockets = 0;
  private torn = false;
  private connectTimer: NodeJS.Timeout | undefined;
  readonly upstream: net.Socket;

  constructor(
    readonly id: number,
    readonly client: net.Socket,
    private readonly proxy: JitterProxyCore,
  ) {
    client.setNoDelay(true);
    this.upstream = net.connect({ host: proxy.target.host, port: proxy.target.port, allowHalfOpen: true, noDelay: true });
    this.connectTimer = setTimeout(() => this.upstream.destroy(new Error(`no answer within ${proxy.connectTimeoutMs}ms`)), proxy.connectTimeoutMs);
    this.upstream.once('connect', () => this.onConnected());
    client.on('error', (e) => this.tearDown('client', e));
    this.upstream.on('error', (e) => this.tearDown('target', e));
    for (const socket of [client, this.upstream]) {
      socket.once('close', (hadError) => this.onSocketClosed(socket, hadError));
    }
  }

  private onConnected(): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.upstream.setNoDelay(true);
    trace(`connection ${this.id}: connected to ${formatHostPort(this.proxy.target)}`);
    this.pipes.push(this.proxy.pipe(this, 'clientToTarget', this.client, this.upstream));
    this.pipes.push(this.proxy.pipe(this, 'targetToClient', this.upstream, this.client));
    for (const p of this.pipes) p.start();
  }

  private onSocketClosed(socket: net.Socket, hadError: boolean): void {
    // Without an error a socket closes only once it has read the peer's FIN and the proxy has ended it, i.e. once
    // the pipe into it finished (the pipe out of it may still be delivering delayed segments to the other side).
    // Closing any other way means it was cut off: pass that on, as an error.
    const into = this.pipes[socket === this.client ? 1 : 0];
    const cleanly = !hadError && into !== undefined && into.isFinished;
    if (!cleanly && !this.torn) this.tearDown(socket === this.client ? 'client' : 'target');
    if (++this.closedSockets === 2) this.proxy.forget(this);
  }

  /** An error on one side: drop what is queued and reset the other side, so the error reaches it. */
  tearDown(side: 'client' | 'target', error?: Error): void {
    if (this.torn) return;
    this.torn = true;
    clearTimeout(this.connectTimer);
    const dialFailed = this.pipes.length === 0 && side === 'target';
    this.proxy.countTearDown(dialFailed);
    trace(`connection ${this.id}: ${side} ${dialFailed ? 'dial failed' : 'closed with an error'}${error ? `: ${messageOf(error)}` : ''}`);
    for (const p of this.pipes) p.abort();
    resetSocket(this.client);
    resetSocket(this.upstream);
  }

  /**
   * The proxy is shutting down: reset both sockets now. A reset, not a FIN, because queued segments are dropped:
   * a peer must not mistake the cut for the end of the stream.
   */
  destroy(): void {
    this.torn = true;
    clearTimeout(this.connectTimer);
    for (const p of this.pipes) p.abort();
    resetSocket(this.client);
    resetSocket(this.upstream);
  }
}

/** The proxy's shared state; ProxiedConnection reaches it through this narrow surface. */
class JitterProxyCore {
  readonly connections = new Set<ProxiedConnection>();
  readonly recorders: Record<ProxyDirection, DirectionRecorder>;
  readonly counts = { accepted: 0, targetFailures: 0, reset: 0 };
  readonly connectTimeoutMs: number;
  private readonly clock: Clock;
  private nextId = 0;
  private readonly emptyWaiters: Array<() => void> = [];

  constructor(
    readonly options: JitterProxyOptions,
    readonly target: HostPort,
    readonly seed: number,
  ) {
    this.clock = options.clock ?? realClock;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    // The stats' percentile sampling has its own stream, so it never shifts the delay schedules.
    const sampling = Random.seeded(seed ^ 0x5a5a5a5a);
    this.recorders = { clientToTarget: new DirectionRecorder(sampling.clone()), targetToClient: new DirectionRecorder(sampling) };
  }

  accept(client: net.Socket): void {
    const id = this.nextId++;
    this.counts.accepted++;
    this.connections.add(new ProxiedConnection(id, client, this));
  }

  pipe(connection: ProxiedConnection, direction: ProxyDirection, source: net.Socket, destination: net.Socket): SegmentPipe {
    const { delayMs, jitterMs, mss } = this.options;
    return new SegmentPipe(source, destination, {
      connection: connection.id,
      direction,
      mss,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 1024 * 1024,
      schedule: DelaySchedule.forDirection(this.seed, connection.id, direction, delayMs, jitterMs),
      clock: this.clock,
      recorder: this.recorders[direction],
      onSegment: this.options.onSegment,
      onFinished: () => trace(`connection ${connection.id}: ${direction} finished`),
    });
  }

  countTearDown(dialFailed: boolean): void {
    if (dialFailed) this.counts.targetFailures++;
    else this.counts.reset++;
  }

  forget(connection: ProxiedConnection): void {
    this.connections.delete(connection);
    if (this.connections.size === 0) for (const resolve of this.emptyWaiters.splice(0)) resolve();
  }

  /** Resolves once every connection's sockets have closed. */
  allClosed(): Promise<void> {
    if (this.connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }
}

/**
 * Starts a TCP proxy that emulates a WAN path in user space (like toxiproxy's latency toxic, with segments):
 * for each accepted connection it dials `target`, and in each direction forwards what it reads cut into
 * segments of at most `mss` bytes, each released `delayMs` plus a seeded random jitter after it arrived, in
 * order. Half-closes are passed on once the queued segments are out; an error on one side resets the other.
 */
export async function startJitterProxy(options: JitterProxyOptions): Promise<JitterProxy> {
  checkOptions(options);
  const target = parseHostPort(options.target, 'target');
  const seed = options.seed ?? Random.freshSeed();
  const core = new JitterProxyCore(options, target, seed);
  const clock = options.clock ?? realClock;
  const listenHost = options.listenHost ?? '127.0.0.1';

  let closing = false;
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) => {
    if (closing) return void client.destroy();
    core.accept(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, listenHost, options.listenPort, 'listen')));
    server.listen({ host: listenHost, port: options.listenPort }, () => resolve());
  });
  server.on('error', (e) => trace(`listener error: ${messageOf(e)}`));
  const address = server.address() as net.AddressInfo;
  const startedAt = clock.now();
  const listen = formatHostPort({ host: address.address, port: address.port });
  trace(`listening on ${listen} → ${formatHostPort(target)} (delay ${options.delayMs}ms, jitter ${options.jitterMs}ms, mss ${options.mss}, seed ${seed})`);

  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    host: address.address,
    seed,
    stats: () => ({
      listen,
      target: formatHostPort(target),
      seed,
      delayMs: options.delayMs,
      jitterMs: options.jitterMs,
      mss: options.mss,
      uptimeMs: clock.now() - startedAt,
      connections: { ...core.counts, open: core.connections.size },
      clientToTarget: core.recorders.clientToTarget.snapshot(),
      targetToClient: core.recorders.targetToClient.snapshot(),
    }),
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const c of core.connections) c.destroy();
        // Reset sockets close at once; the wait is bounded all the same, so a stop (Ctrl+C) never hangs on one.
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((resolve) => (timer = setTimeout(() => {
          trace(`close: ${core.connections.size} connection(s) had not closed ${CLOSE_WAIT_MS}ms after their reset; not waiting longer`);
          resolve();
        }, CLOSE_WAIT_MS)));
        await Promise.race([Promise.all([stopped, core.allClosed()]), bound]);
        clearTimeout(timer);
      })();
      return closed;
    },
  };
}
