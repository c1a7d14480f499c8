import type { StepRecord } from './controlled-scheduler.js';

/** What shrinking minimizes, in this order: the number of steps, then the number of preemptions. */
export interface ScheduleCost {
  readonly steps: number;
  /** Steps at which the previous step's task could have continued and another task was run instead. */
  readonly preemptions: number;
}

export function costOf(steps: readonly StepRecord[]): ScheduleCost {
  let preemptions = 0;
  for (const s of steps) if (s.preemption) preemptions++;
  return { steps: steps.length, preemptions };
}

export function cheaper(a: ScheduleCost, b: ScheduleCost): boolean {
  return a.steps < b.steps || (a.steps === b.steps && a.preemptions < b.preemptions);
}

export function scheduleOf(steps: readonly StepRecord[]): string[] {
  return steps.map((s) => s.key);
}
