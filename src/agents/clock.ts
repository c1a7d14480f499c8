import { nowMicros } from '../core/clock.js';
import { untilMicros } from '../burst/timing.js';

/** Wall-clock time in microseconds (the host's own clock: what differs between hosts). */
export function wallMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
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
