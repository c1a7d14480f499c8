/**
 * Time is reached only through a Clock. The real clock is wall time; a virtual clock is advanced by whoever
 * owns it (the explorer), so a 500 ms sleep in a handler costs nothing under exploration.
 */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => (ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms))),
};

/** Monotonic high-resolution time in microseconds, for spreads and latencies. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
