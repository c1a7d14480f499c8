import { RacelabError } from '../core/errors.js';

/**
 * Why a process ended. `normal` is the one reason linked processes ignore; `shutdown` is an orderly stop asked
 * for by a supervisor or the system; `killed` follows an untrappable `kill`; `noproc` means the process a link or
 * monitor pointed at was already gone; `{ error }` is a crash (a handler threw). Any other string is a reason
 * the program chose (`exit(reason)`, `stop(reason)`).
 */
export type ExitReason = 'normal' | 'shutdown' | 'killed' | 'noproc' | (string & {}) | { readonly error: unknown };

export function isNormalExit(reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown';
}

export function isCrash(reason: ExitReason): reason is { readonly error: unknown } {
  return typeof reason === 'object' && reason !== null;
}

/** One line: `normal`, `shutdown`, `error: Error: stale write`. */
export function formatReason(reason: ExitReason): string {
  if (!isCrash(reason)) return reason;
  const e = reason.error;
  if (e instanceof Error) return `error: ${e.name === 'Error' ? '' : `${e.name}: `}${e.message.split('\n')[0] ?? ''}`;
  return `error: ${String(e)}`;
}

/**
 * Thrown inside a process to unwind it when it exits: by `self.exit(reason)`, or at its next runtime operation
 * after another process killed it (JavaScript cannot stop an async function from outside, so an exit signal
 * takes effect at the target's next receive, send, call or handler boundary).
 */
export class ProcessExit extends Error {
  override readonly name = 'ProcessExit';
  constructor(readonly reason: ExitReason, who: string) {
    super(`process ${who} is exiting: ${formatReason(reason)}`);
  }
}

/**
 * A call whose server exited before replying. `handled` says whether the server had taken the request (it may
 * have acted on it: the outcome is unknown) or had not (it did nothing: safe to retry).
 */
export class ProcessExitedError extends RacelabError {
  constructor(
    message: string,
    readonly handled: boolean,
    readonly reason: ExitReason,
  ) {
    super('PROCESS_EXITED', message);
  }
}
