import { formatMs, plural } from '../core/units.js';
import type { StopReason } from '../explore/explore.js';
import { SHRINK_STOPS } from '../explore/shrink-stop.js';
import type { ScheduleReport } from '../explore/explore.js';
import type { ExploreReport, ReplayReport } from '../workloads/run-explore.js';

/**
 * A schedule's numbered steps, ending at the workload's last: steps that only wound the run down after the
 * workload had its result (an actor system's shutdown) follow on one line of their own, numbered as they ran.
 * They still ran, and the check came after them, so they are shown, not dropped; the replay token holds them too.
 */
function scheduleLines(s: Pick<ScheduleReport, 'traceLines' | 'windDownSteps' | 'trace' | 'traceToResult'>): string[] {
  const result = s.traceLines.length - s.windDownSteps;
  const lines = s.traceLines.slice(0, result).map((l) => `  ${l}`);
  if (s.windDownSteps > 0) {
    const after = s.traceLines.slice(result).map((l) => l.trim().replace(/\s{2,}/g, ' '));
    lines.push(`  after the workload had its result, ${plural(s.windDownSteps, 'step')} winding the run down (the run is checked after them): ${after.join(' . ')}`);
  }
  lines.push(s.traceToResult !== undefined ? `trace: ${s.traceToResult} (then the wind-down above)` : `trace: ${s.trace}`);
  return lines;
}

function describeWorkload(scenario: string, params: Readonly<Record<string, string>>): string {
  const list = Object.entries(params)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return list ? `${scenario} (${list})` : scenario;
}

function strategyLabel(r: { strategy: string; depth?: number; seed: number }): string {
  return `${r.strategy}${r.depth !== undefined ? ` depth ${r.depth}` : ''}, seed ${r.seed}`;
}

export function renderExploreReport(r: ExploreReport): string {
  const lines = [`explore ${describeWorkload(r.scenario, r.params)}: ${strategyLabel(r)}`];
  const lin = r.linearizability
    ? `, ${plural(r.linearizability.checked, 'history', 'histories')} checked for linearizability${r.linearizability.unknown ? ` (${r.linearizability.unknown} undecided within the budget)` : ''}`
    : '';
  const speed = `${plural(r.runs, 'run')} in ${formatMs(r.elapsedMs)}, ${Math.round(r.runsPerSecond)} runs/s, longest run ${plural(r.maxStepsInRun, 'step')}${lin}`;
  const por =
    r.schedulesExplored !== undefined
      ? `${plural(r.schedulesExplored, 'schedule')} explored, ${plural(r.prunedByPor ?? 0, 'transition')} pruned by partial-order reduction, ${plural(r.redundantRuns ?? 0, 'redundant run')} cut short`
      : undefined;
  const f = r.firstFailure;
  if (f) {
    lines.push(
      `RACE FOUND in run ${f.runsToFailure} (${f.kind}): ${f.message}`,
      `${f.shrinkStopped ? 'smallest schedule found' : 'minimal schedule'}: ${plural(f.shrunk.steps, 'step')}, ${plural(f.shrunk.preemptions, 'preemption')} (as found: ${plural(f.found.steps, 'step')}, ${plural(f.found.preemptions, 'preemption')}; ${plural(f.shrinkRuns, 'shrink run')}${f.shrinkStopped ? `, then shrinking stopped: ${SHRINK_STOPS[f.shrinkStopped]}` : ''})`,
      ...scheduleLines(f.shrunk),
      `replay: ${r.replayCommand ?? ''}`,
      por ? `(${speed}; ${por})` : `(${speed})`,
    );
  } else if (r.verdict === 'inconclusive' && r.inconclusive) {
    lines.push(
      `INCONCLUSIVE: no failing schedule found, but ${plural(r.inconclusive.runs, 'run')} did something the scheduler did not control (${plural(r.inconclusive.events, 'time')}): ${r.inconclusive.first}`,
      `(${speed}${por ? `; ${por}` : ''})`,
    );
  } else if (r.verdict === 'proved') {
    lines.push(`NO FAILING SCHEDULE EXISTS: dfs explored every schedule and none fails (${por}; ${speed})`);
  } else {
    const why: Record<StopReason, string> = {
      runs: `after ${plural(r.runs, 'run')}`,
      'time-limit': `in ${plural(r.runs, 'run')}, before the time limit`,
      exhausted: 'and the strategy had nothing left to try',
      'first-failure': '',
      interrupted: `in ${plural(r.runs, 'run')}, before it was interrupted (replay the same runs with --seed ${r.seed})`,
      'workers-lost': `in ${plural(r.runs, 'run')}, before every agent went silent (run it again with live agents and --seed ${r.seed})`,
    };
    // What stopped a dfs is what to raise for a proof: the runs, or the time it was given.
    const raise = r.stopReason === 'time-limit' ? 'raise --time-limit' : r.stopReason === 'interrupted' ? 'let it run' : r.stopReason === 'workers-lost' ? 'run it with live agents' : 'raise --runs';
    lines.push(
      `no failing schedule found ${why[r.stopReason]} (${speed}${por ? `; ${por}` : ''})`,
      r.strategy === 'dfs'
        ? `dfs stopped before exploring every schedule: ${raise} for a proof`
        : 'that is evidence, not proof: --strategy dfs explores every schedule',
    );
  }
  const a = r.agents;
  if (a) {
    lines.push(`agents: ${a.names.join(', ')} (${plural(a.shards, 'shard')}, ${a.redelivered} redelivered)`);
    if (a.silent) {
      lines.push(`every agent went silent with ${plural(a.silent.shardsOut, 'shard')} out: ${a.silent.agents.join(', ')} (nothing heard for ${formatMs(a.silent.forMs)}); only the runs before them are counted`);
    }
  }
  return lines.join('\n');
}

export function renderReplayReport(r: ReplayReport): string {
  return [
    `replay ${describeWorkload(r.scenario, r.params)}: seed ${r.seed}, ${plural(r.steps, 'step')}, ${plural(r.preemptions, 'preemption')}`,
    ...scheduleLines(r),
    r.failure ? `FAILS (${r.failure.kind}): ${r.failure.message}` : 'passes: the invariant holds on this schedule',
  ].join('\n');
}
