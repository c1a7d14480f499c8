import { RacelabError } from '../core/errors.js';
import type { Chooser, StepRecord } from './controlled-scheduler.js';
import type { Strategy } from './strategy.js';
import type { Transition } from './transition.js';

/**
 * Runs one recorded schedule exactly: at every step the recorded transition must be enabled, and the run must
 * end when the schedule does. Anything else means the schedule was made for other code or other parameters.
 */
export function replayStrategy(schedule: readonly string[]): Strategy {
  let used = false;
  return {
    name: 'replay',
    beginRun() {
      if (used) return undefined;
      used = true;
      return strictChooser(schedule);
    },
    endRun(_run, record) {
      if (record.status !== 'abandoned' && record.steps.length < schedule.length) {
        throw new RacelabError(
          'BAD_TOKEN',
          `replay: the run ended after ${record.steps.length} steps but the schedule has ${schedule.length}: it was recorded for different code or parameters`,
        );
      }
    },
  };
}

export function strictChooser(schedule: readonly string[]): Chooser {
  return {
    choose(enabled, step) {
      const key = schedule[step];
      if (key === undefined) {
        throw new RacelabError(
          'BAD_TOKEN',
          `replay: the schedule has ${schedule.length} steps but the run goes on (enabled: ${describe(enabled)}): it was recorded for different code or parameters`,
        );
      }
      const i = enabled.findIndex((t) => t.key === key);
      if (i < 0) {
        throw new RacelabError(
          'BAD_TOKEN',
          `replay: at step ${step + 1} the schedule picks transition "${key}" but only ${describe(enabled)} can run: it was recorded for different code or parameters`,
        );
      }
      return i;
    },
  };
}

/**
 * Follows a candidate schedule as far as it makes sense, for shrinking: entries whose transition is not
 * enabled are skipped; when the candidate runs out, the run finishes without preemptions (the task that ran
 * last keeps running while it can, else the lowest-numbered enabled task runs). Whatever it picked is recorded
 * by the run, so the result is always an exact, replayable schedule.
 */
export function guidedChooser(candidate: readonly string[]): Chooser {
  let next = 0;
  return {
    choose(enabled, _step, previous: StepRecord | undefined) {
      while (next < candidate.length) {
        const key = candidate[next++];
        const i = enabled.findIndex((t) => t.key === key);
        if (i >= 0) return i;
      }
      if (previous) {
        const same = enabled.findIndex((t) => t.task === previous.task);
        if (same >= 0) return same;
      }
      return 0;
    },
  };
}

function describe(enabled: readonly Transition[]): string {
  return enabled.map((t) => `"${t.key}" (${t.taskName} ${t.op.label})`).join(', ') || 'nothing';
}
