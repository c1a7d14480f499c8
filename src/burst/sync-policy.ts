import type { TransportSettings } from '../grpc/transport.js';
import type { BurstCall, CallOutcome } from './call.js';
import type { BurstSpread } from './stats.js';

/** How the calls of a burst are synchronized. Each is a small policy behind one interface (fast-check's style). */
export type SyncMode = 'sequential' | 'parallel' | 'connections' | 'processes' | 'last-frame';

export const SYNC_MODES: readonly SyncMode[] = ['sequential', 'parallel', 'connections', 'processes', 'last-frame'];

/** Everything a policy needs to reach the target; the request bytes come with each burst. */
export interface BurstTransport extends TransportSettings {
  /** `key: value` metadata sent with every call. */
  readonly metadata: ReadonlyArray<readonly [string, string]>;
  /** Per-call deadline. */
  readonly deadlineMs: number;
  readonly connectTimeoutMs: number;
}

/** What the last-frame policy saw on its own socket handles during one release. */
export interface ReleaseWrites {
  /** HTTP/2 connections the burst used (more than one when the server caps concurrent streams). */
  readonly connections: number;
  /** Socket writes that carried at least one call's final DATA frame (END_STREAM). */
  readonly releaseWrites: number;
  /** Final frames in each of those writes, in write order. */
  readonly finalFramesPerWrite: readonly number[];
  /** Bytes of each of those writes (before TLS, when TLS is on). */
  readonly bytesPerWrite: readonly number[];
  /** Socket writes in total on these connections during the burst (headers, pre-sent data, pings, release). */
  readonly totalWrites: number;
}

/** One agent's part of a burst split over agents (racelab attack --agents). */
export interface AgentShare {
  readonly agent: string;
  readonly calls: number;
  /** The agent's clock minus the coordinator's, estimated before this round, ± uncertaintyMicros. */
  readonly offsetMicros: number;
  readonly uncertaintyMicros: number;
  readonly rttMicros: number;
  /** False: the agent did not report this round (died, partitioned); its calls are unknown outcomes. */
  readonly reported: boolean;
  /** First to last handler start of this agent's calls, at the server. */
  readonly serverSpread?: BurstSpread;
}

/** How a burst split over agents was released, and what the clock correction did. */
export interface AgentsRelease {
  readonly agents: readonly AgentShare[];
  /** Agents that did not report: the round is incomplete. */
  readonly missing: readonly string[];
  /** True: each agent released at the instant on its clock corrected by its offset. */
  readonly corrected: boolean;
  /** How far ahead of the release instant the release message left. */
  readonly leadMicros: number;
  /**
   * The server-side spread the other way round, estimated from the same handler starts shifted by each agent's
   * offset: without correction when the run corrected, with it when it did not.
   */
  readonly otherwayServerSpread?: BurstSpread;
}

export interface FireResult {
  readonly outcomes: CallOutcome[];
  /** last-frame only. */
  readonly release?: ReleaseWrites;
  /** A burst split over agents. */
  readonly agents?: AgentsRelease;
  /** Things the user should know about this burst (it did not fit one packet, the window was short…). */
  readonly warnings: string[];
}

/** What a caller may do between staging a burst and releasing it. */
export interface FireOptions {
  /**
   * Awaited once the calls are staged (last-frame: everything but the final bytes is on the server) and before
   * any is released: an agent waits here for the release instant a coordinator gives. When it rejects, the
   * staged calls are cancelled, never released, and `fire` rejects with its error.
   */
  readonly beforeRelease?: () => Promise<void>;
}

export interface SyncPolicy {
  readonly mode: SyncMode;
  /** Connections or processes the calls are spread over (known after `open`). */
  readonly clients: number;
  /** Which client sends the call at `index` (for `{{client}}` templating and the report). */
  clientOf(index: number): number;
  /** Connects (and warms up) every connection or process, so connecting is not part of any burst. */
  open(): Promise<void>;
  fire(calls: readonly BurstCall[], options?: FireOptions): Promise<FireResult>;
  close(): Promise<void>;
}
