/**
 * What a multi-run command (the demos) did before a signal stopped it: the runs that finished are reported as
 * they are, the one in flight is abandoned (its servers and children are stopped by the CLI), the rest never
 * start.
 */
export interface Interrupted {
  /** Runs that finished and are in the report. */
  readonly ran: number;
  /** Runs the command would have made. */
  readonly planned: number;
}

/** Thrown by `unlessAborted` when the signal fires: the caller stops and reports what it has. */
export class AbortedRun extends Error {
  override readonly name = 'AbortedRun';
}

/**
 * `p`, or a rejection with AbortedRun as soon as `signal` aborts. The abandoned `p` goes on in the background;
 * its own failure is then ignored (the command is stopping, and the CLI removes what it made).
 */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(new AbortedRun('interrupted'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedRun('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
