import { Worker } from 'node:worker_threads';
import { errorFromFields } from '../core/errors.js';
import { realTimers } from '../explore/real-timers.js';
import { runChunk, type ShardChunk, type ShardPool, type ShardResult } from '../explore/explore.js';
import type { ExploreWorkerData, ExploreWorkerReply, ExploreWorkerRequest } from './explore-worker.js';
import { exploreWorkload } from './registry.js';

/** A pool of worker threads for `explore --workers N`; `close()` terminates them all, whatever state they are in. */
export interface ExploreWorkerPool extends ShardPool {
  close(): Promise<void>;
  /**
   * Ranges run so far by each worker, and by this thread while no worker was online yet (for tests and the bench);
   * the ranges this thread answers after an interrupt, which run nothing, are not counted.
   */
  ranges(): { readonly workers: readonly number[]; readonly mainThread: number };
}

interface Queued {
  readonly chunk: ShardChunk;
  readonly resolve: (r: ShardResult) => void;
  readonly reject: (e: Error) => void;
}

/** A worker never holds more than this many ranges: the one it runs and the next, so none idles while a result travels. */
const PER_WORKER = 2;

/**
 * Starts `size` worker threads, each with the workload built from `data.scenario`. A worker takes about 0.4 s to
 * load racelab and build its workload; until the first one says it is online, this thread runs the ranges
 * itself, one at a time, so a short exploration over workers is not slower than one without them. Ranges wait in
 * one queue and go to whoever is free: an online worker holding fewer than two, or, while none is online, this
 * thread. Which runner runs a range never changes its runs (each depends on the seed, its index and the state it
 * starts from).
 */
export function openExploreWorkers(
  size: number,
  data: Omit<ExploreWorkerData, 'racelabExplore'>,
  /** `mainThreadFirst: false`: every range waits for a worker (tests of the workers' own path). */
  options: { readonly mainThreadFirst?: boolean } = {},
): ExploreWorkerPool {
  const mainThreadFirst = options.mainThreadFirst ?? true;
  const url = new URL('./explore-worker.js', import.meta.url);
  const workers: { worker: Worker; online: boolean; held: number; ran: number }[] = [];
  /** Ranges out on a worker, by the id its answer carries. */
  const waiting = new Map<number, Queued>();
  const queue: Queued[] = [];
  let ids = 0;
  let closed = false;
  let interrupted = false;
  /** Set once a worker has failed: every range asked for after it fails too, rather than wait for a dead thread. */
  let broken: Error | undefined;
  const failAll = (error: Error): void => {
    broken ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
    for (const q of queue.splice(0)) q.reject(error);
  };

  // This thread's lane: the workload built here on first use, and a stop of its own for interrupt().
  let local: ReturnType<typeof exploreWorkload> | undefined;
  const localStop = new AbortController();
  let localBusy = false;
  let localRan = 0;
  const runLocally = (q: Queued): void => {
    localBusy = true;
    // A range answered after an interrupt runs nothing (its signal is aborted): not counted as run here.
    if (!interrupted) localRan++;
    Promise.resolve()
      .then(() => runChunk((local ??= exploreWorkload(data.scenario)), data.options, q.chunk, localStop.signal))
      .then(
        (r) => q.resolve(r),
        (e: unknown) => q.reject(e instanceof Error ? e : new Error(String(e))),
      )
      .finally(() => {
        // The next range waits for the event loop to turn: a worker's `online` is a message this thread must read.
        realTimers.setImmediate(() => {
          localBusy = false;
          pump();
        });
      });
  };

  /** Hands queued ranges to free runners: online workers first; this thread only while none is online (or after an interrupt, when a range does nothing). */
  function pump(): void {
    while (queue.length > 0 && !broken) {
      let slot = -1;
      for (let i = 0; i < workers.length; i++) {
        const w = workers[i] as (typeof workers)[number];
        if (w.online && w.held < PER_WORKER && (slot === -1 || w.held < (workers[slot] as (typeof workers)[number]).held)) slot = i;
      }
      if (slot !== -1) {
        const q = queue.shift() as Queued;
        const w = workers[slot] as (typeof workers)[number];
        w.held++;
        w.ran++;
        const id = ids++;
        waiting.set(id, q);
        w.worker.postMessage({ type: 'chunk', id, chunk: q.chunk } satisfies ExploreWorkerRequest);
        continue;
      }
      // A range of runs is sized to about 50 ms; a dfs subtree is not sized at all, and this thread busy with one
      // would read no message (results, workers coming online) until it ends: subtrees wait for a worker.
      const first = queue[0] as Queued;
      if (!localBusy && (interrupted || (mainThreadFirst && first.chunk.budget === undefined && !workers.some((w) => w.online)))) {
        runLocally(queue.shift() as Queued);
        continue;
      }
      return;
    }
  }

  for (let i = 0; i < size; i++) {
    const worker = new Worker(url, { workerData: { ...data, racelabExplore: true } satisfies ExploreWorkerData });
    const slot = { worker, online: false, held: 0, ran: 0 };
    worker.on('message', (m: ExploreWorkerReply) => {
      if (m.type === 'online') {
        slot.online = true;
        if (interrupted) worker.postMessage({ type: 'interrupt' } satisfies ExploreWorkerRequest);
        return pump();
      }
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      slot.held--;
      if (m.type === 'result') w.resolve(m.result);
      else w.reject(errorFromFields(m) ?? Object.assign(new Error(m.message), { stack: m.stack }));
      pump();
    });
    worker.on('error', (e) => failAll(e));
    worker.on('exit', (code) => {
      if (!closed) failAll(new Error(`explore worker ${i} exited with code ${code} mid-exploration`));
    });
    workers.push(slot);
  }
  return {
    size,
    run(chunk: ShardChunk) {
      return new Promise<ShardResult>((resolve, reject) => {
        if (broken) return reject(broken);
        queue.push({ chunk, resolve, reject });
        pump();
      });
    },
    interrupt() {
      interrupted = true;
      localStop.abort();
      for (const w of workers) w.worker.postMessage({ type: 'interrupt' } satisfies ExploreWorkerRequest);
      // Ranges not handed out yet do nothing now: this thread answers them at once.
      pump();
    },
    ranges: () => ({ workers: workers.map((w) => w.ran), mainThread: localRan }),
    async close() {
      closed = true;
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
