import { formatMs, plural } from '../core/units.js';
import { scheduleSvg, type ScheduleStep } from './charts.js';
import type { ReportPage } from './page.js';
import { SHRINK_STOPS } from '../explore/shrink-stop.js';
import { renderExploreReport } from './explore-text.js';
import type { ExploreReport } from '../workloads/run-explore.js';
import type { ScheduleReport } from '../explore/explore.js';

/** `12  c1  set counter=1   <- preempts c2`: a step's number, then (after its task) its label and the mark. */
const STEP_NUMBER = /^(\d+)\s+/;
const PREEMPTS = '   <- preempts ';
/**
 * The store's state after each step, as far as the trace shows it: the value a set, an increment or a
 * successful compare-and-set left. A step that shows no write leaves the state as it was; a workload whose
 * trace shows no store write at all (actors) gets no state row rather than an invented one.
 */
function applyWrite(state: Map<string, string>, label: string): boolean {
  const set = /^set (\S+)=(-?\d+)/.exec(label);
  const incr = /^incr (\S+)->(-?\d+)/.exec(label);
  const cas = /^cas (\S+)@\d+=(-?\d+)->ok/.exec(label);
  const m = set ?? incr ?? cas;
  if (!m) return false;
  state.set(m[1]!, m[2]!);
  return true;
}

/**
 * A schedule's steps for the lanes: the task of each step is the one the explorer recorded (`stepTasks`), never a
 * word cut from its trace line, since a task's name may hold spaces. The line gives the step's number and label.
 */
export function scheduleSteps(schedule: Pick<ScheduleReport, 'traceLines' | 'stepTasks'>): ScheduleStep[] {
  const state = new Map<string, string>();
  let wrote = false;
  const steps = schedule.traceLines.map((line, i): ScheduleStep => {
    const task = schedule.stepTasks[i] ?? '?';
    const text = line.trim();
    const number = STEP_NUMBER.exec(text);
    const rest = number ? text.slice(number[0].length) : text;
    let label = (rest.startsWith(task) ? rest.slice(task.length) : rest).trim();
    const previous = schedule.stepTasks[i - 1];
    const mark = previous !== undefined ? `${PREEMPTS}${previous}` : undefined;
    const preempts = mark !== undefined && label.endsWith(mark) ? previous : undefined;
    if (preempts !== undefined) label = label.slice(0, -mark!.length).trim();
    wrote = applyWrite(state, label) || wrote;
    return {
      step: number ? Number(number[1]) : i + 1,
      task,
      label,
      ...(preempts !== undefined ? { preempts } : {}),
      state: [...state].map(([k, v]) => `${k}=${v}`).join(', ') || '(initial)',
    };
  });
  return wrote ? steps : steps.map((s) => ({ step: s.step, task: s.task, label: s.label, ...(s.preempts ? { preempts: s.preempts } : {}) }));
}

/** A failure message as one sentence: its own full stop kept, one added where it has none (not `them..`). */
const sentence = (message: string): string => (/[.!?]$/.test(message) ? message : `${message}.`);

/** `racelab explore --html`: the verdict, the shrunk failing schedule as lanes per task, the replay command. */
export function explorePage(report: ExploreReport, command: string): ReportPage {
  const f = report.firstFailure;
  const params = Object.entries(report.params).map(([k, v]) => `${k} ${v}`).join(', ');
  const verdict =
    report.verdict === 'race-found'
      ? { label: `race found in run ${f!.runsToFailure}`, tone: 'bad' as const }
      : report.verdict === 'proved'
        ? { label: 'no failing schedule exists (dfs explored every one)', tone: 'good' as const }
        : { label: `no failing schedule found in ${plural(report.runs, 'run')} (not a proof)`, tone: 'warn' as const };
  const steps = f ? scheduleSteps(f.shrunk) : [];
  const sections = f
    ? [
        {
          id: 'schedule',
          title: `The smallest failing schedule: ${plural(f.shrunk.steps, 'step')}, ${plural(f.shrunk.preemptions, 'preemption')}`,
          html: `<div class="legend"><span><i style="background:#dbeafe;border-color:#2563eb"></i>a step of the task in that lane</span><span><i style="background:#fef3c7;border:2.5px solid #d97706"></i>a preemption: the scheduler switched away from a task that could have continued</span></div>${scheduleSvg(steps)}`,
          note: `${f.kind}: ${sentence(f.message)} ${steps.some((s) => s.state !== undefined) ? "The state row shows what the trace's store writes left after each step." : "This scenario's trace shows no store writes (an actor's state lives in the actor, and the trace records the messages it was sent and what it replied), so no state row is drawn: the steps' labels carry the values (a reply, a set)."} As found, the schedule had ${plural(f.found.steps, 'step')} and ${plural(f.found.preemptions, 'preemption')}; ${plural(f.shrinkRuns, 'shrink run')} made it this small${f.shrinkStopped ? ` (then shrinking stopped: ${SHRINK_STOPS[f.shrinkStopped]})` : ''}. Click a step for its details.`,
        },
      ]
    : [];
  return {
    title: `racelab explore: ${report.scenario}${params ? ` (${params})` : ''}`,
    verdict,
    meta: [`strategy ${report.strategy}${report.depth !== undefined ? ` depth ${report.depth}` : ''} · seed ${report.seed} · ${plural(report.runs, 'run')} in ${formatMs(report.elapsedMs)} (${Math.round(report.runsPerSecond)} runs/s) · longest run ${plural(report.maxStepsInRun, 'step')}`],
    reproduce: report.replayCommand
      ? { command: report.replayCommand, seed: report.seed, note: `Replays the smallest failing schedule exactly. The exploration itself: ${command}` }
      : { command, seed: report.seed, note: 'The same seed explores the same schedules in the same order.' },
    explanation: f
      ? [`Run ${f.runsToFailure} failed (${f.kind}): ${sentence(f.message)}`, `trace: ${f.shrunk.trace}`]
      : [renderExploreReport(report).split('\n').slice(1).join(' ')],
    terminal: renderExploreReport(report),
    sections,
  };
}
