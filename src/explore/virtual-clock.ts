import type { Clock } from '../core/clock.js';

/** What every 0 ms sleep returns: one already-settled promise serves them all (awaiting it needs no new one). */
const done = Promise.resolve();

/** How long a sleep of `ms` lasts on the virtual clock: 0 (no timer at all) unless a positive finite number. */
export function sleepDuration(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** A sleep waiting on the virtual clock. */
export interface VirtualTimer {
  readonly deadline: number;
  readonly ms: number;
  /** Creation order: breaks ties when a caller needs one. */
  readonly seq: number;
  /** Whatever the owner of the clock attached to it (the explorer: the sleeping task). */
  readonly owner: unknown;
  fire(): void;
}

/**
 * Virtual time: a `sleep(500)` costs no real time, and time moves only when a timer fires. Under the explorer,
 * running code takes no virtual time, and time advances only when nothing else can run: then it jumps to the
 * earliest deadline (discrete-event simulation). So timer order means what it means on a real event loop: a
 * 100 ms sleep ends before a 500 ms one that started at the same time, a 5 s call timeout fires only if the
 * call is still unanswered when everything else is stuck, and sleeps that end at the same instant may end in
 * any order (the explorer tries them).
 *
 * Without an owner (`owner()` returns undefined: outside any run, in setup or in an invariant), or when `advance`
 * is used directly, the clock runs free: time jumps to each deadline in order.
 */
export class VirtualClock implements Clock {
  private nowMs = 0;
  private seq = 0;
  private readonly pending: VirtualTimer[] = [];

  constructor(
    private readonly hooks: {
      /** The task sleeping now, or undefined to let the sleep end at once (time still advances). */
      owner?(): unknown;
      /** Told about every timer an owned sleep creates. */
      onTimer?(timer: VirtualTimer): void;
    } = {},
  ) {}

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number): Promise<void> {
    const duration = sleepDuration(ms);
    const owner = this.hooks.owner?.();
    if (duration === 0) return done;
    if (owner === undefined) {
      this.nowMs += duration;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer: VirtualTimer = {
        deadline: this.nowMs + duration,
        ms: duration,
        seq: this.seq++,
        owner,
        fire: () => {
          const i = this.pending.indexOf(timer);
          if (i < 0) return;
          this.pending.splice(i, 1);
          if (timer.deadline > this.nowMs) this.nowMs = timer.deadline;
          resolve();
        },
      };
      this.pending.push(timer);
      this.hooks.onTimer?.(timer);
    });
  }

  /** Moves time forward to `ms` (a timer of the run's own code fired then); never backwards. */
  moveTo(ms: number): void {
    if (ms > this.nowMs) this.nowMs = ms;
  }

  /** Timers whose deadline has been reached (virtual time is at or past it), oldest first. */
  expired(): VirtualTimer[] {
    return this.pending.filter((t) => t.deadline <= this.nowMs).sort((a, b) => a.seq - b.seq);
  }

  /** The timers at the earliest deadline, oldest first: those that fire when time next moves. */
  next(): VirtualTimer[] {
    if (this.pending.length === 0) return [];
    let min = Infinity;
    for (const t of this.pending) if (t.deadline < min) min = t.deadline;
    return this.pending.filter((t) => t.deadline === min).sort((a, b) => a.seq - b.seq);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Drops timers whose owner no longer matters (a finished task), so they are not offered as steps. */
  discard(predicate: (timer: VirtualTimer) => boolean): void {
    for (let i = this.pending.length - 1; i >= 0; i--) if (predicate(this.pending[i] as VirtualTimer)) this.pending.splice(i, 1);
  }

  /** Free-running use (tests of time-dependent code without the explorer): fires every timer due within `ms`. */
  advance(ms: number): void {
    const until = this.nowMs + Math.max(0, ms);
    for (;;) {
      const next = this.next()[0];
      if (!next || next.deadline > until) break;
      next.fire();
    }
    this.nowMs = until;
  }
}
