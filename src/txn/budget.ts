/**
 * What an analysis may spend: wall time and/or steps (edges built, transactions read, nodes a search visited).
 * The same contract as the linearizability checker's budget, kept here because DESIGN.md's layers let txn
 * import only history and core: once either runs out the verdict is `unknown` unless anomalies were found.
 */
export class Budget {
  private used = 0;
  private readonly deadline: number;

  /**
   * `interrupt` is a cell of shared memory another thread sets to non-zero (the CLI, on Ctrl+C, while the
   * analysis runs in a worker): from then on the budget is spent, and the analysis stops at its next reading.
   */
  constructor(
    readonly timeMs: number = Infinity,
    readonly maxSteps: number = Infinity,
    private readonly now: () => number = () => performance.now(),
    private readonly interrupt?: Int32Array,
  ) {
    this.deadline = now() + timeMs;
  }

  /** Records `steps` more steps; false once the budget is spent. */
  charge(steps: number): boolean {
    this.used += steps;
    return this.used < this.maxSteps && this.now() < this.deadline && !this.interrupted;
  }

  get interrupted(): boolean {
    return this.interrupt !== undefined && Atomics.load(this.interrupt, 0) !== 0;
  }

  get stepsUsed(): number {
    return this.used;
  }
}
