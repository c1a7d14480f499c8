import { nowMicros } from '../core/clock.js';

/**
 * Waits until the monotonic clock reaches `atMicros` while letting I/O run: a timer for the long part, then
 * `setImmediate` turns, which keep sockets flushing (a synchronous spin would hold back the writes of calls
 * already issued). Precision is a few tens of microseconds, enough for per-call offsets inside a burst.
 */
export async function untilMicros(atMicros: number): Promise<void> {
  const coarse = (atMicros - nowMicros()) / 1000 - 2;
  if (coarse > 0) await new Promise((resolve) => setTimeout(resolve, coarse));
  while (nowMicros() < atMicros) await new Promise((resolve) => setImmediate(resolve));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Waits until `atMicros` precisely without burning CPU: a timer for the coarse part, then `Atomics.wait`, a
 * futex sleep with a sub-millisecond timeout, for the rest. For worker processes that have nothing else in
 * flight: on a machine with fewer cores than workers, spinning workers would starve each other and the
 * server, and the start barrier would be late by whole scheduler slices.
 */
export async function untilMicrosBlocking(atMicros: number): Promise<void> {
  const coarse = Math.floor((atMicros - nowMicros()) / 1000) - 2;
  if (coarse > 0) await new Promise((resolve) => setTimeout(resolve, coarse));
  for (let left = atMicros - nowMicros(); left > 0; left = atMicros - nowMicros()) {
    Atomics.wait(sleeper, 0, 0, left / 1000);
  }
}

/** Groups calls by their intended offset, earliest first: each group is released together. */
export function byOffset<T extends { offsetMicros: number }>(calls: readonly T[]): T[][] {
  const groups = new Map<number, T[]>();
  for (const c of calls) {
    const g = groups.get(c.offsetMicros);
    if (g) g.push(c);
    else groups.set(c.offsetMicros, [c]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}
