import type { StepRecord } from './controlled-scheduler.js';

/** The one-line trace: `c1 get counter->0 . c2 get counter->0 . c2 set counter=1 . c1 set counter=1`. */
export function traceLine(steps: readonly StepRecord[]): string {
  return steps.map((s) => `${s.taskName} ${s.label}${s.note}`).join(' . ');
}

/**
 * The trace as numbered lines, marking each preemption (the task before could have continued) and, when
 * virtual time moved during the run, the time of each step.
 */
export function traceLines(steps: readonly StepRecord[]): string[] {
  const timed = steps.some((s) => s.atMs > 0);
  const width = String(steps.length).length;
  const nameWidth = Math.max(0, ...steps.map((s) => s.taskName.length));
  return steps.map((s, i) => {
    const previous = steps[i - 1];
    const at = timed ? ` @${+s.atMs.toFixed(3)}ms` : '';
    const mark = s.preemption && previous ? `   <- preempts ${previous.taskName}` : '';
    return `${String(i + 1).padStart(width)}  ${s.taskName.padEnd(nameWidth)}  ${s.label}${s.note}${at}${mark}`;
  });
}
