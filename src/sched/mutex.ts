import { currentScheduler, type Operation, type Scheduler } from './scheduler.js';

/**
 * An async mutex whose acquire is a scheduling point, so the explorer sees lock contention as a choice.
 * FIFO: waiters are served in the order they asked. It is an in-process lock, which is exactly the seed's
 * fix and exactly what stops being a fix once there are two server processes.
 */
export class Mutex {
  private locked = false;
  private readonly waiters: Array<() => void> = [];
  /** The operation of every acquire, made once: it never changes. */
  private lockOp: Operation | undefined;

  constructor(readonly name = 'mutex', private readonly scheduler?: Scheduler) {}

  get isLocked(): boolean {
    return this.locked;
  }

  async acquire(): Promise<() => void> {
    const s = this.scheduler ?? currentScheduler();
    const p = s.point((this.lockOp ??= { kind: 'lock', object: this.name, label: `lock ${this.name}` }));
    if (p) await p;
    if (this.locked) {
      const blocked = s.block?.(`wait for ${this.name}`);
      if (blocked) {
        this.waiters.push(blocked.wake);
        await blocked.promise;
      } else {
        await s.waitFor(new Promise<void>((resolve) => this.waiters.push(resolve)), `wait for ${this.name}`);
      }
    }
    this.locked = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next(); // hand the lock straight to the next waiter: `locked` stays true
      else this.locked = false;
    };
  }

  async runExclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
