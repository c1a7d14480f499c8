import { nowMicros } from '../core/clock.js';
import { untilMicros } from '../burst/timing.js';

/** Where the wall clock stands against `performance.now()`: wall = now + offset, ± the bracket's half-width. */
interface WallCalibration {
  readonly offsetMs: number;
  readonly uncertaintyMicros: number;
}
let calibration: WallCalibration | undefined;

/**
 * Ties `performance.now()` to the wall clock at a millisecond edge of `Date.now()`. Node's `performance.timeOrigin`
 * is not enough: it is two readings taken one after the other at process start (the wall clock, then the
 * monotonic one), and a process started on a loaded host can be preempted between them. Seen on an agent started
 * beside a test run: its clock 0.67 ms further from another process's than the round trips allowed. Here the wall
 * clock's tick from one millisecond to the next is caught between two monotonic readings; the tightest of a few
 * such brackets wins (a few milliseconds of spinning, once per process; after 25 ms on a host too loaded to give a
 * tight one, the first tick caught ends it; the width it got is kept as this clock's uncertainty).
 */
export function calibrateWallClock(): WallCalibration {
  if (calibration) return calibration;
  const deadline = performance.now() + 25;
  let best = catchTick();
  for (let ticks = 1; ticks < 8 && performance.now() < deadline && !(ticks >= 3 && best.widthMs < 0.01); ticks++) {
    const tick = catchTick();
    if (tick.widthMs < best.widthMs) best = tick;
  }
  calibration = { offsetMs: best.offsetMs, uncertaintyMicros: Math.ceil((best.widthMs * 1000) / 2) };
  return calibration;
}

/** Spins until `Date.now()` moves on: the new millisecond began between the two monotonic readings around it. */
function catchTick(): { offsetMs: number; widthMs: number } {
  let before = performance.now();
  let date = Date.now();
  for (;;) {
    const nextBefore = performance.now();
    const nextDate = Date.now();
    const nextAfter = performance.now();
    // The wall clock reached nextDate ms after the earlier Date.now() began and before the later one ended.
    if (nextDate !== date) return { offsetMs: nextDate - (before + nextAfter) / 2, widthMs: nextAfter - before };
    [before, date] = [nextBefore, nextDate];
  }
}

/** Wall-clock time in microseconds (the host's own clock: what differs between hosts). */
export function wallMicros(): number {
  return Math.round((calibrateWallClock().offsetMs + performance.now()) * 1000);
}

/**
 * An agent's clock: this host's wall clock, shifted by `skewMicros`. The skew exists for tests: network
 * namespaces share one kernel clock, so a test gives each agent a clock that is off, as another host's would be.
 */
export class AgentClock {
  constructor(readonly skewMicros = 0) {}
  now(): number {
    return wallMicros() + this.skewMicros;
  }
  /** Waits until this clock reads `atMicros`, on the monotonic clock (a wall-clock step during the wait is ignored). */
  until(atMicros: number): Promise<void> {
    return untilMicros(nowMicros() + (atMicros - this.now()));
  }
}

/** One round trip to an agent: coordinator send and receive times, and the agent's clock when it answered. */
export interface ClockSample {
  readonly sentMicros: number;
  readonly agentMicros: number;
  readonly receivedMicros: number;
  /** How far the agent's wall-clock reading may be off on its own (see calibrateWallClock). */
  readonly clockUncertaintyMicros?: number;
}

/**
 * One round trip's sample from an agent's answer (a `ClockReading`), or undefined when the answer is not a finite
 * time with, if stated, a finite non-negative uncertainty: an uncertainty below zero would narrow the bound.
 */
export function clockSample(sentMicros: number, receivedMicros: number, reading: unknown): ClockSample | undefined {
  if (typeof reading !== 'object' || reading === null) return undefined;
  const { agentMicros, clockUncertaintyMicros } = reading as { agentMicros?: unknown; clockUncertaintyMicros?: unknown };
  if (typeof agentMicros !== 'number' || !Number.isFinite(agentMicros)) return undefined;
  if (clockUncertaintyMicros === undefined) return { sentMicros, receivedMicros, agentMicros };
  if (typeof clockUncertaintyMicros !== 'number' || !Number.isFinite(clockUncertaintyMicros) || clockUncertaintyMicros < 0) return undefined;
  return { sentMicros, receivedMicros, agentMicros, clockUncertaintyMicros };
}

/** An agent clock's offset from the coordinator's: agent = coordinator + offsetMicros ± uncertaintyMicros. */
export interface ClockOffset {
  readonly offsetMicros: number;
  /**
   * Half the round trip of the sample used (the agent's reading lies somewhere in that round trip), plus how far
   * each side's reading of its own wall clock may be off (see calibrateWallClock).
   */
  readonly uncertaintyMicros: number;
  readonly rttMicros: number;
  readonly samples: number;
}

/**
 * NTP's rule: the sample with the smallest round trip wins. Its agent reading was taken somewhere between send
 * and receive; assuming the middle is wrong by at most half the round trip, which is the uncertainty reported.
 * A sample with a long round trip (a queue, a GC pause) has a wide interval and loses.
 */
export function estimateOffset(samples: readonly ClockSample[], ownClockUncertaintyMicros = 0): ClockOffset | undefined {
  let best: ClockSample | undefined;
  for (const s of samples) if (!best || s.receivedMicros - s.sentMicros < best.receivedMicros - best.sentMicros) best = s;
  if (!best) return undefined;
  const rtt = best.receivedMicros - best.sentMicros;
  return { offsetMicros: best.agentMicros - (best.sentMicros + best.receivedMicros) / 2, uncertaintyMicros: rtt / 2 + (best.clockUncertaintyMicros ?? 0) + ownClockUncertaintyMicros, rttMicros: rtt, samples: samples.length };
}
