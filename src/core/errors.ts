/**
 * Every failure racelab expects has a stable `code` and a one-line message that names what is wrong and how
 * to fix it. The CLI prints a RacelabError as that one line and exits with `exitCode`; anything else is an
 * internal error and gets a stack.
 */
export type ErrorCode =
  | 'BAD_OPTION'
  | 'BAD_DURATION'
  | 'BAD_COUNT'
  | 'BAD_PORT'
  | 'PORT_IN_USE'
  | 'UNREACHABLE'
  | 'UNKNOWN_VARIANT'
  | 'UNKNOWN_SCENARIO'
  | 'UNKNOWN_MODEL'
  | 'BAD_PROTO'
  | 'UNKNOWN_METHOD'
  | 'BAD_DATA'
  | 'BAD_HISTORY'
  | 'BAD_STORE'
  | 'BAD_BROKER'
  | 'BAD_TOKEN'
  | 'TLS'
  | 'TIMEOUT'
  | 'NO_PROCESS'
  | 'PROCESS_EXITED'
  | 'MAILBOX_FULL'
  | 'NAME_TAKEN' | 'SYSTEM_STOPPED'
  | 'UNCONTROLLED_ASYNC'
  | 'NONDETERMINISTIC'
  | 'CHILD_FAILED';

/** Exit code for bad input: the user can fix it by changing the command line or the input file. */
export const EXIT_BAD_INPUT = 2;

export class RacelabError extends Error {
  override readonly name = 'RacelabError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number = EXIT_BAD_INPUT,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isRacelabError(e: unknown): e is RacelabError {
  return e instanceof RacelabError;
}

/** Message of any thrown value, for wrapping third-party errors into one line. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}
