import { RacelabError } from '../core/errors.js';
import { ConnectionsPolicy, ParallelPolicy, SequentialPolicy } from './channel-policies.js';
import { LastFramePolicy } from './last-frame.js';
import { ProcessesPolicy } from './processes.js';
import { SYNC_MODES, type BurstTransport, type SyncMode, type SyncPolicy } from './sync-policy.js';

/** Hard caps: a burst tool must not become a load generator by accident. */
export const MAX_CONNECTIONS = 256;
export const MAX_PROCESSES = 64;
/** Processes spawned when the user does not say: one per call, like the seed's terminals, up to this many. */
export const DEFAULT_PROCESSES = 16;

export interface PolicyOptions {
  readonly mode: SyncMode;
  readonly transport: BurstTransport;
  /** Calls per burst. */
  readonly count: number;
  /** `connections`: channels to spread the calls over (default: one per call, up to the cap). */
  readonly connections?: number;
  /** `processes`: worker processes (default: one per call, up to DEFAULT_PROCESSES). */
  readonly processes?: number;
  /** `last-frame`: the packet size the release should fit in. */
  readonly mss?: number;
}

export function parseSyncMode(text: string): SyncMode {
  if ((SYNC_MODES as readonly string[]).includes(text)) return text as SyncMode;
  throw new RacelabError('BAD_OPTION', `"${text}" is not a sync mode; use one of ${SYNC_MODES.join(', ')}`, { subject: 'sync' });
}

export function createSyncPolicy(o: PolicyOptions): SyncPolicy {
  switch (o.mode) {
    case 'sequential':
      return new SequentialPolicy(o.transport);
    case 'parallel':
      return new ParallelPolicy(o.transport);
    case 'connections':
      return new ConnectionsPolicy(o.transport, Math.min(o.connections ?? o.count, o.count, MAX_CONNECTIONS));
    case 'processes':
      return new ProcessesPolicy(o.transport, Math.min(o.processes ?? Math.min(o.count, DEFAULT_PROCESSES), o.count, MAX_PROCESSES));
    case 'last-frame':
      return new LastFramePolicy(o.transport, o.count, o.mss ?? 1460);
  }
}
