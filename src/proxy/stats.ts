import { Random } from '../core/random.js';
import { quantile, type Summary } from '../core/stats.js';
import type { ProxyDirection } from './delay-schedule.js';

/** What one direction of every connection carried, summed over the proxy's life. */
export interface ProxyDirectionStats {
  bytes: number;
  segments: number;
  largestSegmentBytes: number;
  /** Bytes read and not yet released, over every open connection, now. */
  queuedBytes: number;
  /** The most bytes one connection's direction ever held queued: bounded by maxQueuedBytes plus one read. */
  peakQueuedBytes: number;
  /**
   * Measured per segment: from the moment the proxy read its bytes to the moment it handed the segment to the
   * kernel. count, min, max, mean and stddev cover every segment; the percentiles come from a uniform sample of
   * at most RESERVOIR_SIZE segments, so a proxy that runs for days keeps bounded memory.
   */
  addedDelayMs: Summary;
}

export interface ProxyConnectionStats {
  /** Connections the proxy accepted. */
  accepted: number;
  /** Connections still open (both sockets not yet closed). */
  open: number;
  /** Accepted connections whose dial to the target failed (refused, unreachable, timed out). */
  targetFailures: number;
  /** Connections torn down by an error on either side (reset, broken pipe); the other side was reset too. */
  reset: number;
}

export interface ProxyStats {
  listen: string;
  target: string;
  seed: number;
  delayMs: number;
  jitterMs: number;
  mss: number;
  /** Milliseconds since the proxy started listening. */
  uptimeMs: number;
  connections: ProxyConnectionStats;
  clientToTarget: ProxyDirectionStats;
  targetToClient: ProxyDirectionStats;
}

const RESERVOIR_SIZE = 8192;

/** Accumulates one direction's counts and delays: exact moments (Welford) plus a bounded reservoir for percentiles. */
export class DirectionRecorder {
  private bytes = 0;
  private segments = 0;
  private largest = 0;
  private queued = 0;
  private peakQueued = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly reservoir: number[] = [];

  constructor(private readonly random: Random) {}

  record(bytes: number, addedDelayMs: number): void {
    this.bytes += bytes;
    this.segments++;
    if (bytes > this.largest) this.largest = bytes;
    const d = addedDelayMs - this.mean;
    this.mean += d / this.segments;
    this.m2 += d * (addedDelayMs - this.mean);
    if (addedDelayMs < this.min) this.min = addedDelayMs;
    if (addedDelayMs > this.max) this.max = addedDelayMs;
    if (this.reservoir.length < RESERVOIR_SIZE) this.reservoir.push(addedDelayMs);
    else {
      const slot = this.random.int(this.segments);
      if (slot < RESERVOIR_SIZE) this.reservoir[slot] = addedDelayMs;
    }
  }

  /** A pipe's queue changed by `delta` bytes and now holds `pipeQueued`. */
  queueChanged(delta: number, pipeQueued: number): void {
    this.queued += delta;
    if (pipeQueued > this.peakQueued) this.peakQueued = pipeQueued;
  }

  snapshot(): ProxyDirectionStats {
    const n = this.segments;
    const sorted = [...this.reservoir].sort((a, b) => a - b);
    const addedDelayMs: Summary =
      n === 0
        ? { count: 0, min: NaN, max: NaN, mean: NaN, stddev: NaN, p50: NaN, p90: NaN, p99: NaN }
        : {
            count: n,
            min: this.min,
            max: this.max,
            mean: this.mean,
            stddev: Math.sqrt(this.m2 / n),
            p50: quantile(sorted, 0.5),
            p90: quantile(sorted, 0.9),
            p99: quantile(sorted, 0.99),
          };
    return {
      bytes: this.bytes,
      segments: n,
      largestSegmentBytes: this.largest,
      queuedBytes: this.queued,
      peakQueuedBytes: this.peakQueued,
      addedDelayMs,
    };
  }
}

export const DIRECTIONS: readonly ProxyDirection[] = ['clientToTarget', 'targetToClient'];
