import { Worker } from 'node:worker_threads';
import { errorFromFields } from '../core/errors.js';
import type { ShardChunk, ShardPool, ShardResult } from '../explore/explore.js';
import type { ExploreWorkerData, ExploreWorkerRequest } from './explore-worker.js';

type WorkerReply =
  | { readonly type: 'result'; readonly id: number; readonly result: ShardResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly code?: string; readonly stack?: string };

/** A pool of worker threads for `explore --workers N`; `close()` terminates them all, whatever state they are in. */
export interface ExploreWorkerPool extends ShardPool {
  close(): Promise<void>;
}

/** Starts `size` worker threads, each with the workload built from `data.scenario`. */
export function openExploreWorkers(size: number, data: Omit<ExploreWorkerData, 'racelabExplore'>): ExploreWorkerPool {
  const url = new URL('./explore-worker.js', import.meta.url);
  const workers: { worker: Worker; ranges: number }[] = [];
  const waiting = new Map<number, { resolve(r: ShardResult): void; reject(e: Error): void; slot: number }>();
  let ids = 0;
  let closed = false;
  /** Set once a worker has failed: every range asked for after it fails too, rather than wait for a dead thread. */
  let broken: Error | undefined;
  const failAll = (error: Error): void => {
    broken ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  for (let i = 0; i < size; i++) {
    const worker = new Worker(url, { workerData: { ...data, racelabExplore: true } satisfies ExploreWorkerData });
    worker.on('message', (m: WorkerReply) => {
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      (workers[w.slot] as { ranges: number }).ranges--;
      if (m.type === 'result') w.resolve(m.result);
      else w.reject(errorFromFields(m) ?? Object.assign(new Error(m.message), { stack: m.stack }));
    });
    worker.on('error', (e) => failAll(e));
    worker.on('exit', (code) => {
      if (!closed) failAll(new Error(`explore worker ${i} exited with code ${code} mid-exploration`));
    });
    workers.push({ worker, ranges: 0 });
  }
  return {
    size,
    run(chunk: ShardChunk) {
      return new Promise<ShardResult>((resolve, reject) => {
        if (broken) return reject(broken);
        // To the worker with the fewest ranges waiting: it runs them one after another.
        let slot = 0;
        for (let i = 1; i < workers.length; i++) if ((workers[i] as { ranges: number }).ranges < (workers[slot] as { ranges: number }).ranges) slot = i;
        const w = workers[slot] as { worker: Worker; ranges: number };
        w.ranges++;
        const id = ids++;
        waiting.set(id, { resolve, reject, slot });
        w.worker.postMessage({ type: 'chunk', id, chunk } satisfies ExploreWorkerRequest);
      });
    },
    interrupt() {
      for (const w of workers) w.worker.postMessage({ type: 'interrupt' } satisfies ExploreWorkerRequest);
    },
    async close() {
      closed = true;
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
