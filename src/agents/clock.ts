import { nowMicros } from '../core/clock.js';
import { untilMicros } from '../burst/timing.js';

let wallMinusMonoMicros: number | undefined;

/**
 * Wall minus monotonic clock, µs, read once per process at an edge of Date.now()'s millisecond: the first read
 * of the new millisecond and the monotonic reads either side of it bound the edge; the tightest of three edges
 * wins (a few µs). Not performance.timeOrigin: Node reads its two halves one after the other at startup, and a
 * process descheduled between them on a loaded machine keeps that gap as a clock error for its whole life (a
 * test of three agents on one kernel clock once saw one agent 5.5ms off, far outside its round trip).
 */
function wallMinusMono(): number {
  if (wallMinusMonoMicros !== undefined) return wallMinusMonoMicros;
  let best = Infinity;
  let anchor = performance.timeOrigin * 1000;
  for (let edge = 0; edge < 3; edge++) {
    const start = Date.now();
    let before = performance.now();
    let ms: number;
    while ((ms = Date.now()) === start) before = performance.now();
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      anchor = ms * 1000 - ((before + after) / 2) * 1000;
    }
  }
  wallMinusMonoMicros = anchor;
  return anchor;
}

/** Wall-clock time in microseconds (the host's own clock: what differs between hosts). */
export function wallMicros(): number {
  return Math.round(wallMinusMono() + performance.now() * 1000);
}

/**
 * An agent's clock: this host's wall clock, shifted by `skewMicros`. The skew exists for tests: network
 * namespaces share one kernel clock, so a test gives each agent a clock that is off, as another host's would be.
 */
export class AgentClock {
  constructor(readonly skewMicros = 0) {
    // The wall clock's anchor is read now, not inside the first clock reading a coordinator times.
    wallMicros();
  }
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
}

/** An agent clock's offset from the coordinator's: agent = coordinator + offsetMicros ± uncertaintyMicros. */
export interface ClockOffset {
  readonly offsetMicros: number;
  /** Half the round trip of the sample used: the agent's reading lies somewhere in that round trip. */
  readonly uncertaintyMicros: number;
  readonly rttMicros: number;
  readonly samples: number;
}

/**
 * NTP's rule: the sample with the smallest round trip wins. Its agent reading was taken somewhere between send
 * and receive; assuming the middle is wrong by at most half the round trip, which is the uncertainty reported.
 * A sample with a long round trip (a queue, a GC pause) has a wide interval and loses.
 */
export function estimateOffset(samples: readonly ClockSample[]): ClockOffset | undefined {
  let best: ClockSample | undefined;
  for (const s of samples) if (!best || s.receivedMicros - s.sentMicros < best.receivedMicros - best.sentMicros) best = s;
  if (!best) return undefined;
  const rtt = best.receivedMicros - best.sentMicros;
  return { offsetMicros: best.agentMicros - (best.sentMicros + best.receivedMicros) / 2, uncertaintyMicros: rtt / 2, rttMicros: rtt, samples: samples.length };
}
