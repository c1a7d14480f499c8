import { check, checkVerbose } from '../check/checker.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { Random } from '../core/random.js';
import { ControlledScheduler, type Chooser, type StepRecord } from './controlled-scheduler.js';
import type { Model } from '../check/model.js';
import type { History } from '../history/event.js';
import type { InvariantVerdict, TaskBody, Workload, WorkloadContext, WorkloadInstance } from './workload.js';

/** Why a run counts as failing. */
export type FailureKind = 'invariant' | 'linearizability' | 'deadlock' | 'exception' | 'step-limit';

export interface RunFailure {
  readonly kind: FailureKind;
  readonly message: string;
}

/** One run: the steps in the order they ran, and its verdict. `abandoned` runs (pruned by dfs) have none. */
export interface RunRecord {
  readonly status: 'passed' | 'failed' | 'abandoned';
  readonly failure?: RunFailure;
  readonly steps: readonly StepRecord[];
  /** Virtual time when the run ended. */
  readonly virtualMs: number;
  /** The linearizability verdict, when the workload asks for the check and the invariant held. */
  readonly linearizability?: 'ok' | 'illegal' | 'unknown';
}

export interface RunOptions {
  /** The workload's seed (the same for every run of one exploration). */
  readonly seed: number;
  readonly maxSteps: number;
  /** Install the run's scheduler as the ambient one (withScheduler) around every task. */
  readonly ambient?: boolean;
}

const AMBIENT = { ambient: true };
const PLAIN = { ambient: false };

/** Builds a fresh instance of the workload, runs it under `chooser`, then checks the invariant. */
export async function executeRun(workload: Workload, chooser: Chooser, options: RunOptions): Promise<RunRecord> {
  const scheduler = new ControlledScheduler(options.ambient === true ? AMBIENT : PLAIN);
  const ctx = new RunContext(scheduler, options.seed);
  let instance: WorkloadInstance;
  try {
    const made = workload.setup(ctx);
    // Most setups are synchronous: awaiting only a promise keeps a run free of needless microtask hops.
    instance = made instanceof Promise ? await made : made;
  } catch (e) {
    scheduler.close();
    if (e instanceof RacelabError) throw e;
    throw new RacelabError('BAD_OPTION', `workload "${workload.name}": setup failed: ${messageOf(e)}`, 2, { cause: e });
  }
  try {
    const tasks = instance.tasks;
    if (tasks) {
      for (let i = 0; i < tasks.length; i++) {
        const task = tasks[i] as readonly [string, TaskBody];
        scheduler.addTask(task[0], task[1]);
      }
    }
    const end = await scheduler.drive(chooser, options);
    // Records are built field by field, not by spreading a shared part: one is made per run.
    const steps = scheduler.steps;
    const virtualMs = scheduler.clock.now();
    if (end.kind === 'abandoned') return { status: 'abandoned', steps, virtualMs };
    if (end.kind !== 'complete') return { status: 'failed', failure: { kind: end.kind, message: end.message }, steps, virtualMs };
    const judged = judge(instance);
    const violation = judged instanceof Promise ? await judged : judged;
    if (violation !== undefined) return { status: 'failed', failure: { kind: 'invariant', message: violation }, steps, virtualMs };
    if (!instance.linearizability) return { status: 'passed', steps, virtualMs };
    const { verdict, message } = checkLinearizability(instance.linearizability.history(), instance.linearizability.model, instance.linearizability.budgetMs ?? 1000);
    return verdict === 'illegal'
      ? { status: 'failed', failure: { kind: 'linearizability', message }, linearizability: verdict, steps, virtualMs }
      : { status: 'passed', linearizability: verdict, steps, virtualMs };
  } finally {
    if (instance.teardown) await instance.teardown();
  }
}

/** The WorkloadContext of one run. A class, not a literal with a getter: it is made once per run, so it is hot. */
class RunContext implements WorkloadContext {
  private randomInstance: Random | undefined;
  readonly clock: WorkloadContext['clock'];
  constructor(
    readonly scheduler: ControlledScheduler,
    readonly seed: number,
  ) {
    this.clock = scheduler.clock;
  }
  get random(): Random {
    return (this.randomInstance ??= Random.seeded(this.seed));
  }
  note = (text: string): void => this.scheduler.note(text);
}

/** The cheap check decides; only an illegal history pays for the explanation (its smallest failing window). */
function checkLinearizability(history: History, model: Model<any, any, any> | string, budgetMs: number): { verdict: 'ok' | 'illegal' | 'unknown'; message: string } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const result = check(history, model, { budgetMs });
  if (result.verdict !== 'illegal') return { verdict: result.verdict, message: '' };
  const report = checkVerbose(history, model, { budgetMs, explainBudgetMs: budgetMs });
  const explanation = report.explanation.map((line) => line.trim()).map((line) => (/[.:;]$/.test(line) ? line : `${line};`));
  return { verdict: 'illegal', message: `not linearizable (${report.model} model, ${report.operations} operations): ${explanation.join(' ')}` };
}

/** The invariant's verdict as a violation message, or undefined when it holds. Synchronous when the invariant is. */
function judge(instance: WorkloadInstance): string | undefined | Promise<string | undefined> {
  if (!instance.invariant) return undefined;
  let verdict: InvariantVerdict | Promise<InvariantVerdict>;
  try {
    verdict = instance.invariant();
  } catch (e) {
    return violationOf(e);
  }
  if (verdict instanceof Promise) return verdict.then(messageOfVerdict, violationOf);
  return messageOfVerdict(verdict);
}

function violationOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function messageOfVerdict(verdict: InvariantVerdict): string | undefined {
  if (verdict === true || verdict === undefined) return undefined;
  if (verdict === false || verdict === '') return 'the invariant does not hold';
  return verdict;
}
