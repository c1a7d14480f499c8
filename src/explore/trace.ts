import type { StepRecord } from './controlled-scheduler.js';

/**
 * The one-line trace: `c1 get counter->0 . c2 get counter->0 . c2 set counter=1 . c1 set counter=1`. A task's
 * start step (ambient runs) shows only where another task's step came between it and the task's next step. An
 * instrumented await whose response is the very next step of the same task reads as one entry, as the code does:
 * `w1 wallet.ts:35 this.accounts.findById(accountId) -> {balance:100}` (traceLines keeps every step apart).
 */
export function traceLine(steps: readonly StepRecord[]): string {
  const entries: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as StepRecord;
    const next = steps[i + 1];
    // A start the same task's next step follows says nothing that step does not: its first appearance is its start.
    if (s.kind === 'start' && next && next.task === s.task) continue;
    if (s.kind === 'point' && next && next.kind === 'wake' && next.task === s.task && next.label === `${s.label} returns`) {
      entries.push(`${s.taskName} ${s.label}${s.note}${next.note}`);
      i++;
    } else entries.push(`${s.taskName} ${s.label}${s.note}`);
  }
  return entries.join(' . ');
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
