import { parentPort, workerData } from 'node:worker_threads';
import { errorFields, isRacelabError } from '../core/errors.js';
import { runChunk, type ExploreOptions, type ShardChunk, type ShardResult } from '../explore/explore.js';
import { exploreWorkload, type ExploreScenarioOptions } from './registry.js';

/**
 * One worker thread of `racelab explore --workers N`: builds the built-in workload by name, then runs the ranges
 * of runs the main thread asks for, one at a time, and posts each range's result. `interrupt` stops the range in
 * progress between runs (its result covers the runs done) and every later one.
 */
export interface ExploreWorkerData {
  readonly racelabExplore: true;
  readonly scenario: ExploreScenarioOptions;
  readonly options: Pick<ExploreOptions, 'strategy' | 'depth' | 'por' | 'maxSteps' | 'stopOnFailure'>;
}

export type ExploreWorkerRequest = { readonly type: 'chunk'; readonly id: number; readonly chunk: ShardChunk } | { readonly type: 'interrupt' };

/** `online`: the workload is built and ranges may come; then one `result` or `error` per range, by its id. */
export type ExploreWorkerReply =
  | { readonly type: 'online' }
  | { readonly type: 'result'; readonly id: number; readonly result: ShardResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly code?: string; readonly stack?: string };

const port = parentPort;
const data = workerData as ExploreWorkerData | null;
if (port && data?.racelabExplore) {
  const workload = exploreWorkload(data.scenario);
  const stop = new AbortController();
  let queue = Promise.resolve();
  port.on('message', (m: ExploreWorkerRequest) => {
    if (m.type === 'interrupt') {
      stop.abort();
      return;
    }
    queue = queue.then(async () => {
      try {
        const result = await runChunk(workload, data.options, m.chunk, stop.signal);
        port.postMessage({ type: 'result', id: m.id, result } satisfies ExploreWorkerReply);
      } catch (e) {
        port.postMessage({
          type: 'error',
          id: m.id,
          message: e instanceof Error ? e.message : String(e),
          ...(isRacelabError(e) ? errorFields(e) : { stack: e instanceof Error ? e.stack : undefined }),
        } as ExploreWorkerReply);
      }
    });
  });
  port.postMessage({ type: 'online' } satisfies ExploreWorkerReply);
}
