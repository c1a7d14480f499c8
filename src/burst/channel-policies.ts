import type * as grpc from '@grpc/grpc-js';
import { RacelabError, messageOf } from '../core/errors.js';
import { toGrpcMetadata } from '../grpc/transport.js';
import type { BurstCall, CallOutcome } from './call.js';
import { connectChannel, openChannel, sendUnary } from './grpc-call.js';
import type { BurstTransport, FireOptions, FireResult, SyncMode, SyncPolicy } from './sync-policy.js';
import { byOffset, untilMicros } from './timing.js';
import { nowMicros } from '../core/clock.js';

async function connectAll(clients: grpc.Client[], transport: BurstTransport): Promise<void> {
  try {
    await Promise.all(clients.map((c) => connectChannel(c, transport)));
  } catch (e) {
    for (const c of clients) c.close();
    throw new RacelabError(
      'UNREACHABLE',
      `could not connect to ${transport.target} within ${transport.connectTimeoutMs}ms (${messageOf(e)}); check the target and its TLS settings`,
      { subject: 'target' },
    );
  }
}

/** Fires every group at its offset: the calls of one group are issued in one synchronous loop. */
async function fireGroups(calls: readonly BurstCall[], send: (c: BurstCall) => Promise<CallOutcome>, options: FireOptions = {}): Promise<CallOutcome[]> {
  await options.beforeRelease?.();
  const start = nowMicros();
  const pending: Array<Promise<CallOutcome>> = [];
  for (const group of byOffset(calls)) {
    const offset = group[0]?.offsetMicros ?? 0;
    if (offset > 0) await untilMicros(start + offset);
    for (const c of group) pending.push(send(c));
  }
  return Promise.all(pending);
}

/**
 * What every policy that spreads a burst over its own clients shares: the transport, how many clients there are
 * (grpc-js channels of this process, or worker processes each with its channel), and the one rule for which client
 * sends a call: round-robin by the call's index.
 */
export abstract class ChannelsPolicy implements SyncPolicy {
  abstract readonly mode: SyncMode;
  constructor(
    protected readonly transport: BurstTransport,
    readonly clients: number,
  ) {}
  clientOf(index: number): number {
    return index % this.clients;
  }
  abstract open(): Promise<void>;
  abstract fire(calls: readonly BurstCall[], options?: FireOptions): Promise<FireResult>;
  abstract close(): Promise<void>;
}

/** The lifecycle both one-channel policies share: one grpc-js channel, opened and connected before the burst. */
abstract class OneChannelPolicy extends ChannelsPolicy {
  private client: grpc.Client | undefined;
  constructor(transport: BurstTransport) {
    super(transport, 1);
  }
  async open(): Promise<void> {
    this.client = openChannel(this.transport, true);
    await connectAll([this.client], this.transport);
  }
  protected channel(): grpc.Client {
    if (!this.client) throw new Error(`${this.mode} policy: fire before open`);
    return this.client;
  }
  async close(): Promise<void> {
    this.client?.close();
  }
}

/** The seed's client: one channel, each call waits for the previous one. It should never find a race. */
export class SequentialPolicy extends OneChannelPolicy {
  readonly mode: SyncMode = 'sequential';
  async fire(calls: readonly BurstCall[]): Promise<FireResult> {
    const client = this.channel();
    const md = toGrpcMetadata(this.transport.metadata);
    const outcomes: CallOutcome[] = [];
    for (const c of [...calls].sort((a, b) => a.offsetMicros - b.offsetMicros || a.index - b.index)) {
      outcomes.push(await sendUnary(client, c, this.transport, md));
    }
    return { outcomes, warnings: [] };
  }
}

/** Every call at once on one channel (one HTTP/2 connection): grpc-js writes them together. */
export class ParallelPolicy extends OneChannelPolicy {
  readonly mode: SyncMode = 'parallel';
  async fire(calls: readonly BurstCall[], options?: FireOptions): Promise<FireResult> {
    const client = this.channel();
    const md = toGrpcMetadata(this.transport.metadata);
    return { outcomes: await fireGroups(calls, (c) => sendUnary(client, c, this.transport, md), options), warnings: [] };
  }
}

/** Calls spread round-robin over N channels, each its own TCP connection: N separate socket writes. */
export class ConnectionsPolicy extends ChannelsPolicy {
  readonly mode: SyncMode = 'connections';
  private channels: grpc.Client[] = [];
  async open(): Promise<void> {
    this.channels = Array.from({ length: this.clients }, () => openChannel(this.transport, true));
    await connectAll(this.channels, this.transport);
  }
  async fire(calls: readonly BurstCall[], options?: FireOptions): Promise<FireResult> {
    const md = toGrpcMetadata(this.transport.metadata);
    return {
      outcomes: await fireGroups(calls, (c) => {
        const ch = this.channels[c.client % this.channels.length];
        if (!ch) throw new Error('ConnectionsPolicy.fire before open');
        return sendUnary(ch, c, this.transport, md);
      }, options),
      warnings: [],
    };
  }
  async close(): Promise<void> {
    for (const c of this.channels) c.close();
  }
}
