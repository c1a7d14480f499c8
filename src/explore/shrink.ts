import type { Chooser } from './controlled-scheduler.js';
import { guidedChooser } from './replay-strategy.js';
import type { CutReason, ShrinkStop } from './shrink-stop.js';
import { executeRun, type RunOptions, type RunRecord } from './run.js';
import { cheaper, costOf, scheduleOf } from './schedule.js';
import type { Workload } from './workload.js';

export interface ShrinkOutcome {
  /** The smallest failing run found (the original one if nothing smaller fails the same way). */
  readonly record: RunRecord;
  /** Candidate runs executed while shrinking. */
  readonly runs: number;
  /**
   * Why shrinking stopped before no move helped any more, if it did: the record is then the smallest found so
   * far, not a minimal one.
   */
  readonly stopped?: ShrinkStop;
}

/** The exploration's stop inside shrinking: `reason` once it must stop; `wrap` abandons a run at its next step then. */
export interface ShrinkCut {
  readonly reason: CutReason | undefined;
  /** Looks at the clock and the signal now (between runs, which may all be promise jobs that no timer interrupts). */
  poll(): void;
  wrap(chooser: Chooser): Chooser;
}

/**
 * Shrinks a failing schedule to a minimal one: fewest steps first, then fewest preemptions. A candidate is a
 * list of step keys followed loosely (guidedChooser): keys that cannot run are skipped, and once the list ends
 * the run completes without preemptions. A candidate is kept when its run fails the same way (same failure
 * kind) and costs less. Moves, retried from the start after every improvement until none helps:
 *
 * 1. the shortest prefix of the schedule that still fails (everything after it runs without preemptions);
 * 2. dropping one step (its task then runs where the schedule next allows);
 * 3. swapping two neighbouring steps.
 *
 * Runs are deterministic, so a candidate that did not help once never will: each is tried once.
 */
export async function shrinkFailure(workload: Workload, failing: RunRecord, options: RunOptions & { readonly budgetRuns: number; readonly cut?: ShrinkCut }): Promise<ShrinkOutcome> {
  const kind = failing.failure?.kind;
  const cut = options.cut;
  let best = failing;
  let runs = 0;
  let stopped: ShrinkStop | undefined;
  const tried = new Set<string>();
  const attempt = async (candidate: string[]): Promise<boolean> => {
    const id = candidate.join('.');
    if (stopped || tried.has(id)) return false;
    cut?.poll();
    if (cut?.reason) stopped = cut.reason;
    else if (runs >= options.budgetRuns) stopped = 'shrink-runs';
    if (stopped) return false;
    tried.add(id);
    const record = await executeRun(workload, cut ? cut.wrap(guidedChooser(candidate)) : guidedChooser(candidate), options);
    // Abandoned only when the cut stopped it at a step: not a candidate tried.
    if (record.status === 'abandoned' && cut?.reason) {
      stopped = cut.reason;
      return false;
    }
    runs++;
    if (record.status !== 'failed' || record.failure?.kind !== kind || !cheaper(costOf(record.steps), costOf(best.steps))) return false;
    best = record;
    return true;
  };
  improve: for (;;) {
    const keys = scheduleOf(best.steps);
    for (let length = 0; length < keys.length; length++) if (await attempt(keys.slice(0, length))) continue improve;
    for (let i = 0; i < keys.length; i++) if (await attempt([...keys.slice(0, i), ...keys.slice(i + 1)])) continue improve;
    for (let i = 0; i + 1 < keys.length; i++) {
      const swapped = [...keys];
      [swapped[i], swapped[i + 1]] = [swapped[i + 1] as string, swapped[i] as string];
      if (await attempt(swapped)) continue improve;
    }
    break;
  }
  return { record: best, runs, ...(stopped ? { stopped } : {}) };
}
