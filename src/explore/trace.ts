import type { StepRecord } from './controlled-scheduler.js';

/**
 * The one-line trace: `c1 get counter->0 . c2 get counter->0 . c2 set counter=1 . c1 set counter=1`. A task's
 * start step (ambient runs) shows only where another task's step came between it and the task's next step. An
 * instrumented await whose response is the very next step of the same task reads as one entry, as the code does:
 * `w1 wallet.ts:35 findById("acc1") -> {balance:100}`, named as the response names it: with the argument values
 * the call was made with (traceLines keeps every step apart).
 */
export function traceLine(steps: readonly StepRecord[]): string {
  const entries: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as StepRecord;
    const next = steps[i + 1];
    // A start the same task's next step follows says nothing that step does not: its first appearance is its start.
    if (s.kind === 'start' && next && next.task === s.task) continue;
    if (s.kind === 'point' && next && next.kind === 'wake' && next.task === s.task && isResponse(s.label, next.label)) {
      entries.push(`${s.taskName} ${next.label.slice(0, -' returns'.length)}${s.note}${next.note}`);
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

/**
 * Whether `wake` is the response to the call `point` made: the same label with ` returns`, or, for an instrumented
 * await whose response names the call by its values (`wallet.ts:35 findById("acc1") returns` after
 * `wallet.ts:35 this.accounts.findById(accountId)`), the same place. A task's step after its point is the
 * delivery of that await, so the same place is enough.
 */
function isResponse(point: string, wake: string): boolean {
  if (!wake.endsWith(' returns')) return false;
  if (wake === `${point} returns`) return true;
  const space = point.indexOf(' ');
  return space > 0 && /:\d+$/.test(point.slice(0, space)) && wake.startsWith(point.slice(0, space + 1));
}
