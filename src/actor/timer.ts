import { realClock } from '../core/clock.js';
import { sleep, type Scheduler } from '../sched/scheduler.js';

/** Something a timer calls when it fires (a reply slot that times out, a receive, a delayed send). */
export interface TimerTarget {
  /** @internal the runtime calls it; not part of what a user implements. */
  onTimer(): void | Promise<void>;
}

/** A timer on a clock other than the real one: a task of the scheduler that sleeps on its clock. */
class ScheduledTimer {
  cancelled = false;
  /** The scheduler's own cancel (Scheduler.timer), when it has one. */
  cancel: (() => void) | undefined;
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
 * controlled scheduler sees the timer and decides when virtual time reaches it; cancelled, it is dropped by a
 * scheduler that can (Scheduler.timer), and otherwise wakes and does nothing.
 */
export function startTimer(scheduler: Scheduler, ms: number, target: TimerTarget, label: string): TimerHandle {
  if (scheduler.clock === realClock) return setTimeout(fire, Math.max(0, ms), target);
  const timer = new ScheduledTimer();
  if (scheduler.timer) {
    timer.cancel = scheduler.timer(ms, `timer ${label}`, () => {
      if (!timer.cancelled) return target.onTimer();
    });
    return timer;
  }
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
  if (handle instanceof ScheduledTimer) {
    handle.cancelled = true;
    handle.cancel?.();
  } else clearTimeout(handle);
}

/** A call timeout kept in a DeadlineQueue: its absolute deadline and whether it still waits. */
export interface DeadlineTarget extends TimerTarget {
  deadline: number;
  readonly pending: boolean;
}

/**
 * Call timeouts on the real clock without a `setTimeout` per call (it costs as much as the rest of a round trip).
 * Every call with the same timeout joins one FIFO queue, in deadline order by construction; one timer is armed
 * for the oldest deadline, and when it fires it fails every target that is due and still pending, then re-arms.
 * A settled target is skipped lazily. When nothing is pending the timer is unref'd, so it never keeps a process
 * alive, and it is ref'd again as soon as a call waits on it.
 */
export class DeadlineQueue {
  private entries: DeadlineTarget[] = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private waiting = 0;
  private firing = false;

  constructor(readonly ms: number) {}

  add(target: DeadlineTarget): void {
    target.deadline = performance.now() + this.ms;
    this.entries.push(target);
    if (this.waiting++ === 0 && this.timer !== null) this.timer.ref();
    this.timer ??= setTimeout(DeadlineQueue.fire, this.ms, this);
    // Keep the queue short when replies come in order: drop settled entries at the front.
    while (this.head < this.entries.length && !(this.entries[this.head] as DeadlineTarget).pending) this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) this.compact();
  }

  /** A target settled (replied, failed, timed out). */
  release(): void {
    if (--this.waiting === 0 && !this.firing) {
      this.entries.length = 0;
      this.head = 0;
      this.timer?.unref();
    }
  }

  private compact(): void {
    this.entries = this.entries.slice(this.head);
    this.head = 0;
  }

  private static fire(q: DeadlineQueue): void {
    q.timer = null;
    q.firing = true;
    const now = performance.now();
    try {
      while (q.head < q.entries.length) {
        const t = q.entries[q.head] as DeadlineTarget;
        if (t.pending && t.deadline > now) break;
        q.head++;
        if (t.pending) fire(t);
      }
    } finally {
      q.firing = false;
    }
    q.compact();
    if (q.waiting > 0 && q.entries.length > 0) {
      q.timer = setTimeout(DeadlineQueue.fire, Math.max(1, (q.entries[0] as DeadlineTarget).deadline - now), q);
    } else {
      q.entries = [];
    }
  }
}

const deadlineQueues = new Map<number, DeadlineQueue>();

/** The shared DeadlineQueue for timeouts of `ms` on the real clock. */
export function deadlineQueue(ms: number): DeadlineQueue {
  let q = deadlineQueues.get(ms);
  if (q === undefined) {
    q = new DeadlineQueue(ms);
    deadlineQueues.set(ms, q);
  }
  return q;
}
