import { realScheduler, type Scheduler } from '../sched/scheduler.js';

// The executor runs synchronously inside `new Promise`, so one module-level executor can hand the resolver
// back without allocating a closure per wait (waits happen once per idle period of every process).
let captured: (() => void) | null = null;
const capture = (resolve: () => void): void => {
  captured = resolve;
};

/**
 * A wait/wake signal with at most one waiter. Every reason a process may stop waiting (a message, a reply,
 * room in a full mailbox, a timeout, an exit signal) wakes it, and it re-checks its own condition, so a
 * wake-up never needs to say why and a spurious one is harmless. Checking and waiting happen in one
 * synchronous step, so no wake-up can be lost in between.
 */
export class Waiter {
  private wakeFn: (() => void) | null = null;

  /**
   * Waits until `wake()`; through `scheduler.waitFor`, so a controlled scheduler counts the task as blocked.
   * `object`: what the waiting code touches when it resumes, up to its next point (see Scheduler.waitFor).
   */
  wait(scheduler: Scheduler, label: string, object?: string): Promise<void> {
    const p = new Promise<void>(capture);
    this.wakeFn = captured;
    captured = null;
    return scheduler === realScheduler ? p : scheduler.waitFor(p, label, object);
  }

  get waiting(): boolean {
    return this.wakeFn !== null;
  }

  wake(): void {
    const w = this.wakeFn;
    if (w !== null) {
      this.wakeFn = null;
      w();
    }
  }
}
