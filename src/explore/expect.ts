import { explore, type ExploreOptions, type ExploreResult, type FailureReport } from './explore.js';
import type { Workload } from './workload.js';
import { SHRINK_STOPS } from './shrink-stop.js';

/** The failure as a test runner should print it: what broke, the minimal trace, and how to replay it. */
export function describeFailure(result: ExploreResult, failure: FailureReport): string {
  return [
    `${result.workload}: ${failure.kind === 'invariant' ? 'invariant violated' : failure.kind} after ${failure.runsToFailure} run(s) with ${result.strategy} (seed ${result.seed}): ${failure.message}`,
    `${failure.shrinkStopped ? 'smallest schedule found' : 'minimal schedule'}: ${failure.shrunk.steps} steps, ${failure.shrunk.preemptions} preemption(s) (found: ${failure.found.steps} steps, ${failure.found.preemptions} preemption(s)${failure.shrinkStopped ? `; then shrinking stopped: ${SHRINK_STOPS[failure.shrinkStopped]}` : ''})`,
    `trace: ${failure.shrunk.trace}`,
    ...failure.shrunk.traceLines.map((l) => `  ${l}`),
    `replay token: ${failure.replayToken}`,
  ].join('\n');
}

/**
 * For tests: explores `workload` and throws when a schedule breaks it. The Error's message holds the failure,
 * the minimal trace, the seed and the replay token, so a red test says exactly how to reproduce it.
 * Resolves with the result (for assertions on runs or dfs counts) when nothing failed.
 */
export async function expectNoRace(workload: Workload, options: ExploreOptions = {}): Promise<ExploreResult> {
  const result = await explore(workload, options);
  if (result.firstFailure) {
    const error = new Error(`expected no race, but a schedule fails.\n${describeFailure(result, result.firstFailure)}`);
    Object.assign(error, { result });
    throw error;
  }
  if (result.inconclusive) {
    const error = new Error(
      `expected no race, but the exploration is inconclusive: ${result.inconclusive.first} (${result.inconclusive.events} uncontrolled event(s) in ${result.inconclusive.runs} of ${result.runs} run(s)); a pass proves nothing until every await is controlled`,
    );
    Object.assign(error, { result });
    throw error;
  }
  return result;
}

/**
 * For tests of a known-vulnerable form: explores and throws when no failing schedule is found within the
 * budget. Resolves with the failure report.
 */
export async function expectRace(workload: Workload, options: ExploreOptions = {}): Promise<FailureReport & { readonly result: ExploreResult }> {
  const result = await explore(workload, options);
  if (!result.firstFailure) {
    throw new Error(
      `expected a failing schedule, but ${result.runs} run(s) with ${result.strategy} (seed ${result.seed}) all passed (stopped: ${result.stopReason}${result.dfs ? `, ${result.dfs.prunedByPor} transitions pruned by partial-order reduction` : ''})`,
    );
  }
  return { ...result.firstFailure, result };
}
