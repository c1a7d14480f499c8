/**
 * How much search a check may spend: wall time and/or steps (one step = one candidate tried or one backtrack).
 * When either runs out the verdict is `unknown`, never a guess. One budget is shared by every partition.
 */
export class Budget {
  private used = 0;
  private readonly deadline: number;

  constructor(
    readonly timeMs: number = Infinity,
    readonly maxSteps: number = Infinity,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.deadline = now() + timeMs;
  }

  /** Records `steps` more steps; false once the budget is spent. */
  charge(steps: number): boolean {
    this.used += steps;
    return this.used < this.maxSteps && this.now() < this.deadline;
  }

  get stepsUsed(): number {
    return this.used;
  }

  get exhausted(): boolean {
    return this.used >= this.maxSteps || this.now() >= this.deadline;
  }

  /** Milliseconds left (Infinity when unbounded). */
  get remainingMs(): number {
    return Math.max(0, this.deadline - this.now());
  }
}
