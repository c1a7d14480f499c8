import { parentPort, workerData } from 'node:worker_threads';
import { check } from '../check/checker.js';
import { registerModel } from '../check/register-model.js';
import type { Verdict } from '../check/check-report.js';
import type { History } from '../history/event.js';

/** A window to judge, as the online monitor posts it. */
export interface WindowCheckRequest {
  readonly id: number;
  readonly history: History;
  readonly budgetMs: number;
}

export interface WindowCheckReply {
  readonly id: number;
  readonly verdict: Verdict;
}

/**
 * The online monitor's checks, on a thread of their own so that the service's event loop never waits for one:
 * each window is checked as the register model from an unknown value, within its budget; anything that throws is
 * unknown, never linearizable.
 */
export function judgeWindow(history: History, budgetMs: number): Verdict {
  try {
    return check(history, registerModel(), { budgetMs, initial: 'unknown' }).verdict;
  } catch {
    return 'unknown';
  }
}

/** What the monitor starts its check thread with: this module answers only then (see below). */
export const CHECK_THREAD_DATA = { racelabOnlineCheck: true } as const;

// Only in the thread the monitor started: the monitor imports this module too (for judgeWindow), and a service
// that runs in a worker thread of its own must not have its messages taken and answered here.
if (parentPort && (workerData as { racelabOnlineCheck?: unknown } | null)?.racelabOnlineCheck === true) {
  const port = parentPort;
  port.on('message', (m: WindowCheckRequest) => {
    port.postMessage({ id: m.id, verdict: judgeWindow(m.history, m.budgetMs) } satisfies WindowCheckReply);
  });
}
