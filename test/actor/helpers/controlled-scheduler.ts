import { Random, type Clock } from '../../../src/core/index.js';
import type { Operation, Scheduler } from '../../../src/sched/index.js';

interface Task {
  readonly name: string;
  done: boolean;
}

interface Ready {
  readonly task: Task;
  readonly label: string;
  readonly resume: () => void;
}

/**
 * A minimal controlled scheduler for the actor tests (the real explorer is another module): one task runs at a
 * time; at every scheduling point, waitFor wake-up and task start, a seeded random choice picks which ready
 * task continues; time is virtual and jumps to the next timer when every task is blocked. A task that awaits
 * anything the scheduler does not know about (a real timer, a socket) is reported, not tolerated: that is the
 * property the actor runtime must have for the explorer to control it.
 */
export class ControlledScheduler implements Scheduler {
  readonly clock: Clock;
  readonly trace: string[] = [];
  readonly points: Operation[] = [];
  steps = 0;
  private now = 0;
  private readonly rng: Random;
  private readonly ready: Ready[] = [];
  private readonly timers: Array<{ at: number; seq: number; fire: () => void }> = [];
  private timerSeq = 0;
  private readonly tasks = new Set<Task>();
  private current: Task | null = null;
  private yielded = false;

  constructor(
    seed: number,
    private readonly maxSteps = 200_000,
  ) {
    this.rng = Random.seeded(seed);
    this.clock = {
      now: () => this.now,
      sleep: (ms) => this.waitFor(new Promise<void>((resolve) => this.timers.push({ at: this.now + Math.max(0, ms), seq: this.timerSeq++, fire: resolve })), `sleep ${ms}`),
    };
  }

  point(op: Operation): Promise<void> {
    this.points.push(op);
    const task = this.running('point');
    return new Promise<void>((resume) => {
      this.ready.push({ task, label: op.label, resume });
      this.yielded = true;
    });
  }

  spawn(name: string, body: () => Promise<void>): Promise<void> {
    const task: Task = { name, done: false };
    this.tasks.add(task);
    return new Promise<void>((resolve, reject) => {
      this.ready.push({
        task,
        label: `start ${name}`,
        resume: () => {
          body().then(
            () => this.finish(task, resolve),
            (e: unknown) => this.finish(task, () => reject(e)),
          );
        },
      });
    });
  }

  waitFor<T>(promise: Promise<T>, label: string): Promise<T> {
    const task = this.running(`waitFor ${label}`);
    this.yielded = true; // blocked
    return promise.then(
      (value) => new Promise<T>((resume) => this.ready.push({ task, label: `wake ${label}`, resume: () => resume(value) })),
      (error: unknown) => new Promise<T>((_, fail) => this.ready.push({ task, label: `wake ${label}`, resume: () => fail(error) })),
    );
  }

  /** Runs `fn` (outside any task) and every task it starts to completion; throws on deadlock or stray async. */
  async drive<T>(fn: () => Promise<T>): Promise<T> {
    let settled = false;
    let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    fn().then(
      (value) => ((settled = true), (result = { ok: true, value })),
      (error: unknown) => ((settled = true), (result = { ok: false, error })),
    );
    await macrotask();
    while (!settled || this.ready.length > 0 || this.timers.length > 0) {
      if (++this.steps > this.maxSteps) throw new Error(`controlled scheduler: more than ${this.maxSteps} steps`);
      if (this.ready.length > 0) {
        const [r] = this.ready.splice(this.rng.int(this.ready.length), 1) as [Ready];
        this.trace.push(`${r.task.name}: ${r.label}`);
        this.current = r.task;
        this.yielded = false;
        r.resume();
        await macrotask();
        if (!this.yielded && !r.task.done) {
          throw new Error(`controlled scheduler: task ${r.task.name} escaped control after "${r.label}" (it awaits something that is not a scheduling point)`);
        }
        this.current = null;
      } else if (this.timers.length > 0) {
        this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const t = this.timers.shift()!;
        this.now = Math.max(this.now, t.at);
        t.fire();
        await macrotask();
      } else if (!settled) {
        const blocked = [...this.tasks].filter((t) => !t.done).map((t) => t.name);
        throw new Error(`controlled scheduler: deadlock; blocked tasks: ${blocked.join(', ') || '(none: the caller awaits something uncontrolled)'}`);
      }
    }
    const r = result!;
    if (!r.ok) throw r.error;
    return r.value;
  }

  /** Tasks that have not finished. */
  unfinished(): string[] {
    return [...this.tasks].filter((t) => !t.done).map((t) => t.name);
  }

  private running(what: string): Task {
    if (this.current === null) throw new Error(`controlled scheduler: ${what} outside any task`);
    return this.current;
  }

  private finish(task: Task, settle: () => void): void {
    task.done = true;
    this.tasks.delete(task);
    this.yielded = true;
    settle();
  }
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
