import { realClock } from '../core/clock.js';
import { sleep, type Scheduler } from '../sched/scheduler.js';

/** Something a timer calls when it fires (a reply slot that times out, a receive, a delayed send). */
export interface TimerTarget {
  onTimer(): void | Promise<void>;
}

/** A timer on a clock other than the real one: a task of the scheduler that sleeps on its clock. */
class ScheduledTimer {
  cancelled = false;
}

export type TimerHandle = ReturnType<typeof setTimeout> | ScheduledTimer;

function fire(target: TimerTarget): void {
  const r = target.onTimer();
  if (r instanceof Promise) r.catch(() => undefined);
}

/**
 * Starts a cancellable timer on the scheduler's clock. On the real clock it is a plain `setTimeout`, so a
 * cancelled timer leaves nothing behind (no process kept alive for a call timeout that no longer matters). On
 * any other clock (the explorer's virtual time) it is a task of the scheduler that does `sleep(ms)`, so the
 * controlled scheduler sees the timer and decides when virtual time reaches it; a cancelled one wakes and does
 * nothing.
 */
export function startTimer(scheduler: Scheduler, ms: number, target: TimerTarget, label: string): TimerHandle {
  if (scheduler.clock === realClock) return setTimeout(fire, Math.max(0, ms), target);
  const timer = new ScheduledTimer();
  void scheduler
    .spawn(`timer ${label}`, async () => {
      await sleep(ms, scheduler);
      if (!timer.cancelled) await target.onTimer();
    })
    .catch(() => undefined);
  return timer;
}

export function cancelTimer(handle: TimerHandle | null): void {
  if (handle === null) return;
  if (handle instanceof ScheduledTimer) handle.cancelled = true;
  else clearTimeout(handle);
}
