import { createRequire } from 'node:module';
import type { SingleBar } from 'cli-progress';
import { tracer } from '../core/trace.js';

/**
 * Progress of a long run (attack rounds or a flood, explore, a large check, a demo): one live line on stderr,
 * drawn with cli-progress, only when someone watches: stderr and stdout both terminals and no --json. Piped or
 * redirected, or with --json, a run prints nothing but its result. `RACELAB_TRACE=progress` prints the library's
 * progress lines instead, one per line with a timestamp, wherever stderr goes (for a log, or a test that waits
 * for a round to start).
 *
 * The bar is stopped before anything else is written: printResult / printJson / printProgress and main()'s error
 * path call stopProgress(), and an exit listener covers process.exit() from the signal handler, so no run leaves
 * a half-drawn line (or a terminal with line wrapping off: cli-progress turns it off while it draws).
 */
export interface Progress {
  /** A progress line from the library (`round 2/5: race, lost 3`): the live line's text, or a trace line. */
  line(text: string): void;
  /**
   * How much of `total` is done (rounds, runs). Cheap enough for a per-run callback: it stores the number and
   * hands it to the bar at most every 100 ms.
   */
  count(done: number): void;
  /** Clears the line; safe to call more than once, and on a progress that never drew. */
  stop(): void;
}

export interface ProgressOptions {
  /** --json: nothing is drawn (a trace still prints). */
  readonly json?: boolean | undefined;
  /** What count() counts, e.g. `rounds`; with `total`, the bar shows `done/total unit`. */
  readonly unit?: string;
  readonly total?: number;
  /** A run bounded by time (a flood's --duration, a check's --budget, explore's --time-limit): the bar fills with the time spent. */
  readonly forMs?: number;
  /** When the time `forMs` is counted from, ms since the epoch: a budget that started with the process. Default: now. */
  readonly sinceMs?: number;
  /** The live line's text until the first line(). */
  readonly text?: string;
}

const traceProgress = tracer('progress');
/** Redraws per second, and so the least time between two count() hand-overs to the bar. */
const FPS = 10;
const UPDATE_EVERY_MS = 1000 / FPS;
const BAR_WIDTH = 20;

let active: LiveLine | undefined;
let exitHooked = false;

/** Whether a live line would be drawn now: both stdout and stderr are terminals, no --json, no progress trace. */
export function drawsProgress(json: boolean | undefined): boolean {
  return !json && !traceProgress.enabled && process.stderr.isTTY === true && process.stdout.isTTY === true && process.env.TERM !== 'dumb';
}

/** Starts the run's progress: a live line, the trace's lines, or nothing (see the module's comment). */
export function startProgress(options: ProgressOptions = {}): Progress {
  if (traceProgress.enabled) return { line: (text) => traceProgress(text), count: () => undefined, stop: () => undefined };
  if (!drawsProgress(options.json)) return { line: () => undefined, count: () => undefined, stop: () => undefined };
  stopProgress();
  const live = new LiveLine(options);
  active = live;
  if (!exitHooked) {
    exitHooked = true;
    // process.exit() from the signal handler (a second Ctrl+C) runs no finally: the line is cleared here.
    process.on('exit', () => stopProgress());
  }
  return live;
}

/** Clears the live line, if one is drawn, so that what follows starts on a clean line. */
export function stopProgress(): void {
  const live = active;
  active = undefined;
  live?.stop();
}

class LiveLine implements Progress {
  private readonly bar: SingleBar;
  private readonly started: number;
  private text: string;
  private done = 0;
  private handedAt = 0;
  private stopped = false;

  constructor(private readonly options: ProgressOptions) {
    this.started = options.sinceMs ?? Date.now();
    this.text = options.text ?? '';
    // Loaded only when a line is drawn: a piped run never loads it.
    const { SingleBar: Bar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
    this.bar = new Bar({
      stream: process.stderr,
      fps: FPS,
      // The line is cleared, not left above the result; the cursor stays visible (a killed run cannot hide it).
      clearOnComplete: true,
      hideCursor: false,
      linewrap: false,
      format: () => this.render(),
    });
    this.bar.start(options.total ?? 1, 0);
  }

  line(text: string): void {
    if (this.stopped) return;
    this.text = text.trim();
    this.bar.update(this.done);
  }

  count(done: number): void {
    this.done = done;
    const now = performance.now();
    if (this.stopped || now - this.handedAt < UPDATE_EVERY_MS) return;
    this.handedAt = now;
    this.bar.update(done);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (active === this) active = undefined;
    this.bar.stop();
  }

  /** The line: a bar when there is a total or a time bound (the fuller of the two), the count, time spent, the text. */
  private render(): string {
    const { total, forMs, unit } = this.options;
    const elapsedMs = Date.now() - this.started;
    const parts: string[] = [];
    const fractions = [total ? this.done / total : undefined, forMs ? elapsedMs / forMs : undefined].filter((f): f is number => f !== undefined);
    if (fractions.length > 0) {
      const filled = Math.round(Math.min(1, Math.max(...fractions)) * BAR_WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`);
    } else {
      // No end known: a spinner shows the line is alive.
      parts.push('|/-\\'[Math.floor(elapsedMs / UPDATE_EVERY_MS) % 4] as string);
    }
    if (total) parts.push(`${this.done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}${unit ? ` ${unit}` : ''}`);
    parts.push(forMs ? `${seconds(elapsedMs)} of ${seconds(forMs)}` : seconds(elapsedMs));
    if (this.text) parts.push(this.text);
    return parts.join(' | ');
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
