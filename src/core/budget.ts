/**
 * How much an analysis may spend: wall time and/or steps (the linearizability search: one candidate tried or one
 * backtrack; the transactional check: edges built, transactions read, nodes a search visited). When either runs
 * out the verdict is `unknown` (unless the transactional check found anomalies), never a guess. One budget is
 * shared by every partition of a check.
 *
 * `interrupt` is a cell of shared memory that another thread sets to non-zero to stop the check at once (a
 * Ctrl+C seen by the main thread while a worker checks): a check is synchronous, so no signal handler could run
 * in its own thread until it ends. It is read where the clock is, every thousand steps or so.
 */
export class Budget {
  private used = 0;
  private readonly deadline: number;

  constructor(
    readonly timeMs: number = Infinity,
    readonly maxSteps: number = Infinity,
    private readonly now: () => number = () => performance.now(),
    readonly interrupt?: Int32Array,
  ) {
    this.deadline = now() + timeMs;
  }

  /** Records `steps` more steps; false once the budget is spent. */
  charge(steps: number): boolean {
    this.used += steps;
    return this.used < this.maxSteps && this.now() < this.deadline && !this.interrupted;
  }

  get stepsUsed(): number {
    return this.used;
  }

  get exhausted(): boolean {
    return this.used >= this.maxSteps || this.now() >= this.deadline || this.interrupted;
  }

  /** True once another thread asked the check to stop. */
  get interrupted(): boolean {
    return this.interrupt !== undefined && Atomics.load(this.interrupt, 0) !== 0;
  }

  /** Milliseconds left (Infinity when unbounded). */
  get remainingMs(): number {
    return Math.max(0, this.deadline - this.now());
  }

  /** A budget for one part of this one's work: at most `timeMs` of what is left, its own steps, the same interrupt. */
  child(timeMs: number, maxSteps: number = Infinity): Budget {
    return new Budget(Math.min(timeMs, this.remainingMs), maxSteps, this.now, this.interrupt);
  }
}
