/**
 * Thrown by the history readers when their `stop` said to stop before the whole history was read: not an error in
 * the file, but a reader that ran out of time or was interrupted. `operations`: the operations read until then.
 */
export class HistoryReadStopped extends Error {
  constructor(
    readonly path: string,
    readonly operations: number,
  ) {
    super(`stopped reading ${path || 'the history'} after ${operations} operations`);
    this.name = 'HistoryReadStopped';
  }
}

/** How often a parser asks its `stop`: every this many lines or forms. */
export const STOP_EVERY = 1024;
