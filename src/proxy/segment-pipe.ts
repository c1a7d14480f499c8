import type { Socket } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { DelaySchedule, ProxyDirection } from './delay-schedule.js';
import type { DirectionRecorder } from './stats.js';

/** One segment as the proxy handled it; given to `onSegment` observers (tests, tracing) when it is released. */
export interface ProxySegment {
  /** Connection number in accept order, from 0. */
  connection: number;
  direction: ProxyDirection;
  /** Segment number within this connection's direction, from 0. */
  index: number;
  bytes: number;
  /** The delay drawn for this segment from the direction's seeded schedule. */
  scheduledDelayMs: number;
  /** Clock times (ms): when the proxy read the bytes, when the segment was due, when it went to the kernel. */
  arrivedAt: number;
  dueAt: number;
  releasedAt: number;
}

interface QueuedSegment {
  readonly bytes: Buffer;
  readonly index: number;
  readonly scheduledDelayMs: number;
  readonly arrivedAt: number;
  readonly dueAt: number;
}

export interface SegmentPipeOptions {
  connection: number;
  direction: ProxyDirection;
  mss: number;
  /** Bytes read but not yet released above which the source is paused (it resumes below half of it). */
  maxQueuedBytes: number;
  schedule: DelaySchedule;
  clock: Clock;
  recorder: DirectionRecorder;
  onSegment?: ((segment: ProxySegment) => void) | undefined;
  /** Called once, after the source ended and every segment was released and the destination was ended. */
  onFinished: () => void;
}

/**
 * One direction of one proxied connection: cuts what the source sends into segments of at most `mss` bytes,
 * and writes each to the destination once its seeded delay has passed.
 *
 * A segment is due at max(its arrival + its delay, the previous segment's due time): jitter delays bytes but
 * never reorders them, as on one TCP path. Each segment is its own write, and the next is written only when
 * the previous one has reached the kernel; with TCP_NODELAY that keeps one segment per send, where Node's
 * write buffering would otherwise merge queued writes into one writev larger than the MSS.
 *
 * Memory is bounded: when `maxQueuedBytes` are waiting, the source is paused, so TCP flow control pushes back
 * on the sender as a slow link would.
 */
export class SegmentPipe {
  private readonly queue: QueuedSegment[] = [];
  private head = 0;
  private queuedBytes = 0;
  private nextIndex = 0;
  private lastDueAt = -Infinity;
  private writing = false;
  private sourceEnded = false;
  private finished = false;
  private aborted = false;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = Infinity;

  constructor(
    private readonly source: Socket,
    private readonly destination: Socket,
    private readonly options: SegmentPipeOptions,
  ) {}

  start(): void {
    this.source.on('data', (chunk: Buffer) => this.onData(chunk));
    this.source.once('end', () => {
      this.sourceEnded = true;
      this.pump();
    });
    // The listener is paused until the dial to the target succeeded (pauseOnConnect); start reading now.
    this.source.resume();
  }

  /** Drops whatever is queued and stops: the connection is being torn down. */
  abort(): void {
    this.aborted = true;
    this.clearTimer();
    this.queue.length = 0;
    this.head = 0;
    this.options.recorder.queueChanged(-this.queuedBytes, 0);
    this.queuedBytes = 0;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  private onData(chunk: Buffer): void {
    if (this.aborted) return;
    const { mss, schedule } = this.options;
    const arrivedAt = this.options.clock.now();
    this.queuedBytes += chunk.length;
    this.options.recorder.queueChanged(chunk.length, this.queuedBytes);
    for (let offset = 0; offset < chunk.length; offset += mss) {
      const scheduledDelayMs = schedule.next();
      const dueAt = Math.max(arrivedAt + scheduledDelayMs, this.lastDueAt);
      this.lastDueAt = dueAt;
      const bytes = chunk.subarray(offset, Math.min(offset + mss, chunk.length));
      this.queue.push({ bytes, index: this.nextIndex++, scheduledDelayMs, arrivedAt, dueAt });
    }
    if (!this.paused && this.queuedBytes >= this.options.maxQueuedBytes) {
      this.paused = true;
      this.source.pause();
    }
    this.pump();
  }

  private pump(): void {
    if (this.aborted || this.writing || this.finished) return;
    const next = this.queue[this.head];
    if (!next) {
      if (this.sourceEnded) this.finish();
      return;
    }
    const now = this.options.clock.now();
    // Timers may fire a little early against performance.now() (libuv's cached loop time); re-arm, never release early.
    if (next.dueAt > now) return this.armTimer(next.dueAt, now);
    this.release(next, now);
  }

  private release(segment: QueuedSegment, now: number): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.queuedBytes -= segment.bytes.length;
    this.options.recorder.queueChanged(-segment.bytes.length, this.queuedBytes);
    if (this.paused && this.queuedBytes < this.options.maxQueuedBytes / 2) {
      this.paused = false;
      this.source.resume();
    }
    if (this.destination.destroyed) return;
    const { connection, direction, recorder, onSegment } = this.options;
    recorder.record(segment.bytes.length, now - segment.arrivedAt);
    onSegment?.({
      connection,
      direction,
      index: segment.index,
      bytes: segment.bytes.length,
      scheduledDelayMs: segment.scheduledDelayMs,
      arrivedAt: segment.arrivedAt,
      dueAt: segment.dueAt,
      releasedAt: now,
    });
    this.writing = true;
    this.destination.write(segment.bytes, (err) => {
      this.writing = false;
      // A failed write surfaces as the destination's 'error', where the connection is torn down.
      if (!err) this.pump();
    });
  }

  private finish(): void {
    this.finished = true;
    this.clearTimer();
    if (!this.destination.destroyed) this.destination.end();
    this.options.onFinished();
  }

  private armTimer(dueAt: number, now: number): void {
    if (this.timer && this.timerDueAt <= dueAt) return;
    this.clearTimer();
    this.timerDueAt = dueAt;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerDueAt = Infinity;
        this.pump();
      },
      Math.max(1, Math.ceil(dueAt - now)),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }
}
