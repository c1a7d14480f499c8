import { Random } from '../core/random.js';

/** Which way bytes flow through the proxy: from the accepted client to the target, or back. */
export type ProxyDirection = 'clientToTarget' | 'targetToClient';

const DIRECTION_SALT: Record<ProxyDirection, number> = { clientToTarget: 0x6a09e667, targetToClient: 0xbb67ae85 };

/** murmur3's 32-bit finalizer: every input bit reaches every output bit, so neighbouring inputs diverge. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The seed of one connection's one direction, derived from the proxy's seed. Each direction has its own stream,
 * so how much one side sends never shifts the delays the other side gets, and connection n (in accept order)
 * gets the same delays in every run with the same proxy seed.
 */
export function directionSeed(proxySeed: number, connection: number, direction: ProxyDirection): number {
  let h = fmix32((proxySeed ^ 0x3c6ef372) >>> 0);
  h = fmix32((h ^ Math.imul(connection + 1, 0x9e3779b1)) >>> 0);
  return fmix32((h ^ DIRECTION_SALT[direction]) >>> 0);
}

/**
 * The delay each segment of one direction gets: `delayMs` plus a uniform draw in [0, jitterMs). Pure and
 * seeded, so a run's schedule can be recomputed (and tested) without any socket or clock.
 */
export class DelaySchedule {
  private readonly random: Random;

  constructor(
    readonly seed: number,
    readonly delayMs: number,
    readonly jitterMs: number,
  ) {
    this.random = Random.seeded(seed);
  }

  /** The schedule of connection `connection`'s `direction` under a proxy seeded with `proxySeed`. */
  static forDirection(proxySeed: number, connection: number, direction: ProxyDirection, delayMs: number, jitterMs: number): DelaySchedule {
    return new DelaySchedule(directionSeed(proxySeed, connection, direction), delayMs, jitterMs);
  }

  /** The next segment's delay in milliseconds. */
  next(): number {
    // Draw even when there is no jitter, so the stream's position is the segment's index whatever the settings.
    const u = this.random.next();
    return this.delayMs + u * this.jitterMs;
  }
}
