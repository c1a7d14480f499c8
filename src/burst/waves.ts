import { quantile } from '../core/stats.js';
import type { CallOutcome } from './call.js';

/**
 * A burst whose handlers the server started in waves: a group at once, then, about one handler's run later, the
 * next group. What a server that runs at most so many handlers at once does to a burst larger than that.
 */
export interface HandlerWaves {
  /** Handlers that started in each wave, in order; they add up to the calls the server reported a start for. */
  readonly sizes: readonly number[];
  /** From each wave's first handler start to the next wave's, µs: one fewer than `sizes`. */
  readonly intervalsMicros: readonly number[];
  /** The median latency of the first wave's calls (sent to answered, on the client), µs: about one handler's run. */
  readonly firstWaveLatencyMicros: number;
}

/** A gap between two handler starts shorter than this is never a wave boundary (scheduling noise). */
const MIN_WAVE_GAP_MICROS = 1000;

/**
 * The waves of one burst's handler starts (intended offsets removed), or undefined when the starts do not show
 * them. Only the server's clock is compared with itself and only the client's with itself, so this holds for a
 * server on another host too. The starts count as waves when all of these hold:
 *
 * - they split at gaps of at least half the largest gap (and at least 1 ms), and every other gap is at most a
 *   quarter of the largest: groups clearly apart, not a spread-out burst;
 * - the first wave is the largest and smaller than the burst (what a limit on handlers at once leaves);
 * - the client sent every call within half the first interval (`sendRangeMicros`): the calls waited at the server,
 *   not in the client (`--sync sequential` sends one call per answer, which this rules out);
 * - the second wave began between half and one and a half times the first wave's median latency after the first:
 *   when the first wave's handlers were finishing, which is when a limit lets the next ones in.
 */
export function handlerWaves(outcomes: readonly CallOutcome[], offsetOf: (index: number) => number, sendRangeMicros: number | undefined): HandlerWaves | undefined {
  const started: Start[] = outcomes
    .filter((o) => o.handlerStartMicros !== undefined)
    .map((o) => ({ start: (o.handlerStartMicros as number) - offsetOf(o.index), latency: o.doneMicros - o.sentMicros }))
    .sort((a, b) => a.start - b.start);
  if (started.length < 2 || sendRangeMicros === undefined) return undefined;
  const gaps = started.slice(1).map((s, i) => s.start - at(started, i).start);
  const largest = Math.max(...gaps);
  if (largest < MIN_WAVE_GAP_MICROS || gaps.some((g) => g < largest / 2 && g > largest / 4)) return undefined;
  const waves: Start[][] = [[at(started, 0)]];
  gaps.forEach((g, i) => {
    if (g >= largest / 2) waves.push([]);
    at(waves, waves.length - 1).push(at(started, i + 1));
  });
  const sizes = waves.map((w) => w.length);
  const firstSize = at(sizes, 0);
  if (sizes.length < 2 || sizes.some((n) => n > firstSize)) return undefined;
  const intervalsMicros = waves.slice(1).map((w, i) => at(w, 0).start - at(at(waves, i), 0).start);
  const firstInterval = at(intervalsMicros, 0);
  if (sendRangeMicros > firstInterval / 2) return undefined;
  const firstWaveLatencyMicros = quantile(at(waves, 0).map((s) => s.latency).sort((a, b) => a - b), 0.5);
  if (firstInterval < firstWaveLatencyMicros / 2 || firstInterval > firstWaveLatencyMicros * 1.5) return undefined;
  return { sizes, intervalsMicros, firstWaveLatencyMicros };
}

interface Start {
  readonly start: number;
  readonly latency: number;
}

/** `list[i]`, which the caller knows is there. */
const at = <T>(list: readonly T[], i: number): T => list[i] as T;
