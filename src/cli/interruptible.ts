import { Worker } from 'node:worker_threads';
import { errorFields, errorFromFields, isRacelabError, type RacelabErrorFields } from '../core/errors.js';
import { printProgress } from './output.js';
import { untilSignal } from './signals.js';

/**
 * A synchronous analysis (`racelab check`, `racelab txn check`) that Ctrl+C must still stop at once. In the main
 * thread no signal could be seen until it ended, so a large input is analysed in a worker thread: the main thread
 * keeps the signals and sets `interrupt`, a cell of shared memory the analysis's budget reads every few thousand
 * steps, and the analysis stops with the verdict known so far. A small input runs inline (a thread would cost more
 * than it could ever save). The job posts its messages (the report, then the page) the same way in both cases.
 */
export interface InterruptibleJob<M> {
  /**
   * The worker's module and its `workerData`, and the size of its young generation when not V8's default;
   * absent: run `inline` in this thread.
   */
  readonly worker?: { readonly url: URL; readonly data: object; readonly youngGenerationMb?: number };
  readonly inline: (port: { postMessage(m: M): void }) => Promise<void>;
  readonly interrupt: Int32Array;
  /** What is stopped, for the progress line: "the check". */
  readonly what: string;
  /** Handles one message (the signal, if one came, beside it); true when nothing more is awaited. May throw. */
  readonly onMessage: (m: M, signal: NodeJS.Signals | undefined) => boolean;
  /**
   * After a signal, how long to wait for the job's next message before stopping the thread regardless: reading a
   * file is not budgeted, and Ctrl+C must not wait for it. Absent: wait for the job.
   */
  readonly graceMs?: number;
}

/** Runs the job to its end (or its interruption); resolves with the signal that stopped it, if one did. */
export async function runInterruptible<M>(job: InterruptibleJob<M>): Promise<NodeJS.Signals | undefined> {
  const w = job.worker;
  const worker = w ? new Worker(w.url, { workerData: w.data, ...(w.youngGenerationMb !== undefined ? { resourceLimits: { maxYoungGenerationSizeMb: w.youngGenerationMb } } : {}) }) : undefined;
  let signal: NodeJS.Signals | undefined;
  let grace: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      void untilSignal().then((s) => {
        signal = s;
        Atomics.store(job.interrupt, 0, 1);
        printProgress(`racelab: ${s}: stopping ${job.what}`);
        if (worker && job.graceMs !== undefined) grace = setTimeout(resolve, job.graceMs);
      });
      const onMessage = (m: M): void => {
        try {
          if (job.onMessage(m, signal)) resolve();
        } catch (e) {
          reject(e);
        }
      };
      if (worker) {
        worker.on('message', onMessage);
        worker.on('error', reject);
        worker.on('exit', () => resolve());
      } else {
        job.inline({ postMessage: onMessage }).then(() => resolve(), reject);
      }
    });
  } finally {
    clearTimeout(grace);
    void worker?.terminate();
  }
  return signal;
}

/**
 * ms since the epoch, the same in every thread: a worker's `performance.now()` starts with the worker. A budget
 * that covers the whole command ends at `performance.timeOrigin + budget` of the main thread, read on this clock.
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** An error as a worker posts it: a racelab error keeps its code (a one-line message), any other its stack. */
export interface ErrorMessage extends RacelabErrorFields {
  readonly type: 'error';
  readonly message: string;
  readonly stack?: string;
}

export function toErrorMessage(e: unknown): ErrorMessage {
  return {
    type: 'error',
    message: e instanceof Error ? e.message : String(e),
    ...(isRacelabError(e) ? errorFields(e) : { stack: e instanceof Error ? e.stack : undefined }),
  };
}

/** The error a worker posted, to throw in the main thread. */
export function fromErrorMessage(m: ErrorMessage): Error {
  return errorFromFields(m) ?? Object.assign(new Error(m.message), { stack: m.stack });
}
