import { formatMs, plural } from '../core/units.js';
import { MAX_FLOOD_DURATION_MS, MAX_FLOOD_IN_FLIGHT, MAX_FLOOD_RATE } from '../burst/flood.js';
import type { BurstSpread, LatencyReport, SpreadSummary, StatusCount } from '../burst/stats.js';
import type { HandlerWaves } from '../burst/waves.js';
import type { AgentsRelease, ReleaseWrites, SyncMode, SyncPolicy } from '../burst/sync-policy.js';
import type { PolicyOptions } from '../burst/create-policy.js';
import type { TlsFiles } from '../grpc/transport.js';

/** Defaults and hard caps: the attack is bounded by design. */
export const ATTACK_LIMITS = {
  defaultCount: 20,
  maxCallsPerBurst: 1000,
  defaultRounds: 5,
  maxRounds: 1000,
  defaultPauseMs: 100,
  maxPauseMs: 60_000,
  defaultDeadlineMs: 10_000,
  maxDeadlineMs: 300_000,
  defaultFloodDurationMs: 5_000,
  maxFloodDurationMs: MAX_FLOOD_DURATION_MS,
  maxFloodRate: MAX_FLOOD_RATE,
  maxFloodInFlight: MAX_FLOOD_IN_FLIGHT,
} as const;

export interface AttackEndpointOptions {
  /** `pkg.Service/Method` (also `/pkg.Service/Method`, `.Counter/Increment`, or a bare method name). */
  readonly method: string;
  /** Calls of this method per burst; `count` when absent. */
  readonly count?: number;
  /** Offset inside the burst, ms (fractions allowed). */
  readonly offsetMs?: number;
  /** Request JSON (placeholders allowed); `{}` when absent. */
  readonly data?: unknown;
  /** How the data was given, for error messages. */
  readonly dataSource?: string;
}

export interface AttackCheckCall {
  readonly method: string;
  readonly data?: unknown;
}

export interface FloodSettings {
  /** Calls per second, or `max` (a throughput run: `concurrency` calls kept in flight). */
  readonly rate: number | 'max';
  readonly durationMs: number;
  readonly concurrency?: number;
}

/** How to reach a target and type its calls: what attack, list, describe and call share. */
export interface TargetOptions {
  /** `host:port`. */
  readonly target: string;
  /** .proto files; server reflection when absent. */
  readonly proto?: readonly string[];
  readonly importPaths?: readonly string[];
  /** `key: value` strings. */
  readonly metadata?: readonly string[];
  /** TLS settings; plaintext when absent. */
  readonly tls?: TlsFiles;
  readonly deadlineMs?: number;
  readonly connectTimeoutMs?: number;
}

export interface AttackOptions extends TargetOptions {
  readonly endpoints?: readonly AttackEndpointOptions[];
  /** Calls per burst for an endpoint without its own count. */
  readonly count?: number;
  /** How a burst's calls are synchronized: last-frame, or for a flood parallel (one connection). */
  readonly sync?: SyncMode;
  readonly connections?: number;
  readonly processes?: number;
  /** Packet size last-frame's release should fit in (TCP MSS); 1460. */
  readonly mss?: number;
  readonly rounds?: number;
  readonly pauseMs?: number;
  /** Wait after a burst before the `after` read (for effects that land late). */
  readonly settleMs?: number;
  /** A call made before each round's `before` read (or the flood's), e.g. issuing that round's coupon code. */
  readonly setup?: AttackCheckCall;
  readonly before?: AttackCheckCall;
  readonly after?: AttackCheckCall;
  readonly invariant?: string;
  readonly scenario?: string;
  /** Path of a JSON Lines history to write (invoke/ok/fail/info per call). */
  readonly record?: string;
  readonly seed?: number;
  /** Stops the run between rounds (or a flood at once) with the report of what ran: Ctrl+C. */
  readonly signal?: AbortSignal;
  readonly flood?: FloodSettings;
  readonly onProgress?: (line: string) => void;
  /** Called after each burst round is judged, with its number and the rounds asked for: a progress bar's count. */
  readonly onRound?: (round: number, rounds: number) => void;
  /** Keep every burst call in the report (`calls`), for a page's timeline. */
  readonly keepCalls?: boolean;
  /**
   * Makes the burst's sync policy instead of the built-in ones: racelab attack --agents passes one that splits
   * each burst over agents on other hosts.
   */
  readonly policy?: (o: PolicyOptions) => SyncPolicy;
}

/** One burst call as the driver saw it; times are monotonic µs (the server's handler start from its trailer). */
export interface AttackCall {
  readonly round: number;
  readonly index: number;
  readonly client: number;
  readonly method: string;
  readonly sentMicros: number;
  readonly doneMicros: number;
  readonly code: number;
  readonly handlerStartMicros?: number;
}

export type RoundVerdict = 'race' | 'ok' | 'unknown' | 'unchecked';
export type AttackVerdict = 'race' | 'no-race' | 'unknown' | 'unchecked';

export interface RoundReport {
  readonly round: number;
  readonly verdict: RoundVerdict;
  readonly calls: number;
  readonly ok: number;
  readonly failed: number;
  readonly unknown: number;
  /** For an invariant `observed == expected`: its two sides. */
  readonly observed?: number;
  readonly expected?: number;
  /** Effects the invariant expected but the state does not show (expected − observed), and the other way. */
  readonly lost: number;
  readonly extra: number;
  /** Every call of the burst was refused: the invariant held because nothing happened (verdict unknown). */
  readonly nothingAccepted?: boolean;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly sendSpread?: BurstSpread;
  readonly serverSpread?: BurstSpread;
  /**
   * The server started the burst's handlers in waves (src/burst/waves.ts says when starts count as waves): what a
   * limit on handlers at once makes of a larger burst. Absent when the starts show no waves or were not reported.
   */
  readonly serverWaves?: HandlerWaves;
  readonly release?: ReleaseWrites;
  /** A burst split over agents: each agent's share, offset and spread. */
  readonly agents?: AgentsRelease;
  readonly wallMs: number;
}

export interface AttackReport {
  readonly kind: 'attack';
  readonly target: string;
  readonly schemaSource: string;
  readonly sync: SyncMode;
  /** Connections or processes a burst was spread over. */
  readonly clients: number;
  readonly seed: number;
  readonly endpoints: ReadonlyArray<{ readonly method: string; readonly count: number; readonly offsetMicros: number }>;
  readonly callsPerBurst: number;
  readonly roundsRequested: number;
  readonly roundsRun: number;
  readonly pauseMs: number;
  readonly scenario?: string;
  readonly invariant?: string;
  readonly verdict: AttackVerdict;
  /** Rounds with a race over rounds checked. */
  readonly detectionRate?: number;
  readonly racesFound: number;
  readonly rounds: RoundReport[];
  readonly sendSpread?: SpreadSummary;
  readonly serverSpread?: SpreadSummary;
  readonly latency?: LatencyReport;
  readonly statusCodes: StatusCount[];
  readonly totals: { calls: number; ok: number; failed: number; unknown: number; lost: number; extra: number };
  readonly flood?: {
    readonly rate: number | 'max';
    readonly durationMs: number;
    readonly concurrency: number;
    readonly sent: number;
    readonly completed: number;
    readonly skipped: number;
    readonly callsPerSecond: number;
  };
  readonly record?: { readonly path: string; readonly events: number; readonly format: string; readonly model?: string };
  readonly warnings: string[];
  readonly wallMs: number;
  /** Every burst call (with `keepCalls`). */
  readonly calls?: AttackCall[];
  /** True when the run was stopped early (Ctrl+C): the report covers the rounds (or flood) that ran. */
  readonly interrupted?: boolean;
  /** The target stopped answering between bursts: the attack stopped there (a denial of service). */
  readonly targetDown?: TargetDown;
}

/**
 * The target stopped answering after a burst: the read before the next burst (or after this one) found it
 * unavailable, and still did after retrying for about a second. What the burst did to availability, not bad input.
 */
export interface TargetDown {
  /** The burst after which the target was found down. */
  readonly afterRound: number;
  /** Which call found it: the read after that burst, or the setup call or read before the next. */
  readonly read: 'setup' | 'before' | 'after';
  /** What the read was answered (or why it could not connect). */
  readonly message: string;
  /** How long the reads kept failing before the attack gave up, ms. */
  readonly downForMs: number;
}

export const shortName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** `1 connection`, `16 processes`. */
export function clientsWord(sync: SyncMode, n: number): string {
  return sync === 'processes' ? plural(n, 'process', 'processes') : plural(n, 'connection');
}

export const formatMicros = (us: number): string => (us >= 1000 ? formatMs(us / 1000) : `${Math.round(us)}µs`);
