import { check, checkVerbose } from '../check/checker.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { RunTimers } from './run-timers.js';
import { ControlledScheduler, type Chooser, type ControlledSchedulerOptions, type DriveEnd, type StepRecord, type UncontrolledReport } from './controlled-scheduler.js';
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
  /** What the run did outside the scheduler's control (then its pass proves nothing): count and first event. */
  readonly uncontrolled?: UncontrolledReport;
  /** Steps from this index on ran after the workload had its result (Scheduler.windDown): an actor system's shutdown. */
  readonly windDownFrom?: number;
}

export interface RunOptions {
  /** The workload's seed (the same for every run of one exploration). */
  readonly seed: number;
  readonly maxSteps: number;
  /** Install the run's scheduler as the ambient one (withScheduler) around every task. */
  readonly ambient?: boolean;
  /** How awaits of real I/O are treated (ControlledSchedulerOptions.io). */
  readonly io?: 'report' | 'atomic';
  readonly ioWaitMs?: number;
  /** false: ignore instrumented awaits (ControlledSchedulerOptions.instrumentation). */
  readonly instrumentation?: boolean;
  /** Virtual time for the run's own code (installed for the whole exploration). */
  readonly timers?: RunTimers;
}

const AMBIENT: ControlledSchedulerOptions = { ambient: true };
const PLAIN: ControlledSchedulerOptions = { ambient: false };

function schedulerOptions(options: RunOptions): ControlledSchedulerOptions {
  if (options.io === undefined && options.ioWaitMs === undefined && options.timers === undefined && options.instrumentation === undefined) {
    return options.ambient === true ? AMBIENT : PLAIN;
  }
  return {
    ambient: options.ambient === true,
    ...(options.instrumentation === false ? { instrumentation: false } : {}),
    ...(options.io ? { io: options.io } : {}),
    ...(options.ioWaitMs !== undefined ? { ioWaitMs: options.ioWaitMs } : {}),
    ...(options.timers ? { timers: options.timers } : {}),
  };
}

/** Builds a fresh instance of the workload, runs it under `chooser`, then checks the invariant. */
export function executeRun(workload: Workload, chooser: Chooser, options: RunOptions): Promise<RunRecord> {
  return new Promise<RunRecord>((resolve, reject) => startRun(workload, chooser, options, { done: resolve, error: reject }));
}

/** Hears how a run went: its record, or the error that stopped it (an escape from the scheduler, a failed setup). */
export interface RunListener {
  done(record: RunRecord): void;
  error(error: unknown): void;
}

/**
 * `executeRun` without a promise: the listener hears the outcome once, possibly before this returns (a run
 * whose setup, invariant and teardown are synchronous takes no promise job of its own). `explore` runs its runs
 * back to back this way, so the explorer adds no await to a run.
 */
export function startRun(workload: Workload, chooser: Chooser, options: RunOptions, listener: RunListener): void {
  new Execution(workload, chooser, options, listener).start();
}

/** One run on its way: the stages of executeRun, each going on synchronously when it can. */
class Execution {
  private readonly scheduler: ControlledScheduler;
  private instance: WorkloadInstance | undefined;
  private outcome: DriveEnd | undefined;

  constructor(
    private readonly workload: Workload,
    private readonly chooser: Chooser,
    private readonly options: RunOptions,
    private readonly listener: RunListener,
  ) {
    this.scheduler = new ControlledScheduler(schedulerOptions(options));
  }

  start(): void {
    let made: WorkloadInstance | Promise<WorkloadInstance>;
    try {
      made = this.workload.setup(new RunContext(this.scheduler, this.options.seed));
    } catch (e) {
      return this.setupFailed(e);
    }
    // Most setups are synchronous: only a promise costs a promise job.
    if (made instanceof Promise) {
      made.then(
        (instance) => this.drive(instance),
        (e: unknown) => this.setupFailed(e),
      );
    } else this.drive(made);
  }

  private setupFailed(e: unknown): void {
    this.scheduler.close();
    this.listener.error(e instanceof RacelabError ? e : new RacelabError('BAD_OPTION', `workload "${this.workload.name}": setup failed: ${messageOf(e)}`, { cause: e }));
  }

  private drive(instance: WorkloadInstance): void {
    this.instance = instance;
    try {
      const tasks = instance.tasks;
      if (tasks) {
        for (let i = 0; i < tasks.length; i++) {
          const task = tasks[i] as readonly [string, TaskBody];
          this.scheduler.addTask(task[0], task[1]);
        }
      }
      this.scheduler.start(this.chooser, this.options, this);
    } catch (e) {
      this.error(e);
    }
  }

  /** DriveListener: the scheduling part of the run is over; judge it. */
  end(end: DriveEnd): void {
    this.outcome = end;
    if (end.kind !== 'complete') return this.finish(this.record(undefined));
    let judged: string | undefined | Promise<string | undefined>;
    try {
      judged = judge(this.instance as WorkloadInstance);
    } catch (e) {
      return this.error(e);
    }
    if (judged instanceof Promise) {
      judged.then(
        (violation) => this.judged(violation),
        (e: unknown) => this.error(e),
      );
    } else this.judged(judged);
  }

  private judged(violation: string | undefined): void {
    let record: RunRecord;
    try {
      record = this.record(violation);
    } catch (e) {
      return this.error(e);
    }
    this.finish(record);
  }

  /** The run's record, with what it did uncontrolled (rare: the common record is built without a spread). */
  private record(violation: string | undefined): RunRecord {
    const record = this.plainRecord(violation);
    const { uncontrolled, windDownFrom } = this.scheduler;
    if (!uncontrolled && windDownFrom === undefined) return record;
    return { ...record, ...(uncontrolled ? { uncontrolled } : {}), ...(windDownFrom !== undefined ? { windDownFrom } : {}) };
  }

  /** The run's record. Built field by field, not by spreading a shared part: one is made per run. */
  private plainRecord(violation: string | undefined): RunRecord {
    const end = this.outcome as DriveEnd;
    const steps = this.scheduler.steps;
    const virtualMs = this.scheduler.clock.now();
    if (end.kind === 'abandoned') return { status: 'abandoned', steps, virtualMs };
    if (end.kind !== 'complete') return { status: 'failed', failure: { kind: end.kind, message: end.message }, steps, virtualMs };
    if (violation !== undefined) return { status: 'failed', failure: { kind: 'invariant', message: violation }, steps, virtualMs };
    const instance = this.instance as WorkloadInstance;
    if (!instance.linearizability) return { status: 'passed', steps, virtualMs };
    const { verdict, message } = checkLinearizability(instance.linearizability.history(), instance.linearizability.model, instance.linearizability.budgetMs ?? 1000);
    return verdict === 'illegal'
      ? { status: 'failed', failure: { kind: 'linearizability', message }, linearizability: verdict, steps, virtualMs }
      : { status: 'passed', linearizability: verdict, steps, virtualMs };
  }

  /** DriveListener: the run could not go on. Teardown still runs; its own error, if any, wins (as a finally's would). */
  error(error: unknown): void {
    this.teardown(() => this.listener.error(error));
  }

  private finish(record: RunRecord): void {
    this.teardown(() => this.listener.done(record));
  }

  private teardown(then: () => void): void {
    const instance = this.instance;
    if (!instance?.teardown) return then();
    let torn: void | Promise<void>;
    try {
      torn = instance.teardown();
    } catch (e) {
      return this.listener.error(e);
    }
    if (torn instanceof Promise) torn.then(then, (e: unknown) => this.listener.error(e));
    else then();
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
