/**
 * Every failure racelab expects has a stable `code` and a one-line message that names what is wrong and how
 * to fix it, in the library's terms. The CLI maps codes to exit statuses and an error's `subject` (the
 * parameter it is about) to the flag the user typed (src/cli/errors.ts); anything else is an internal error and
 * gets a stack.
 */
export type ErrorCode =
  | 'BAD_OPTION'
  | 'BAD_DURATION'
  | 'BAD_COUNT'
  | 'BAD_PORT'
  | 'PORT_IN_USE'
  | 'UNREACHABLE'
  /** Something answers at the target, but it is not a gRPC server (HTTP/1.x, no HTTP/2 settings, no ALPN h2). */
  | 'NOT_GRPC'
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
  /** A call the target answered with an error, or never answered: a runtime failure, not the user's input. */
  | 'CALL_FAILED'
  | 'NO_PROCESS'
  | 'PROCESS_EXITED'
  | 'MAILBOX_FULL'
  | 'NAME_TAKEN' | 'SYSTEM_STOPPED'
  /** The actor runtime used against its rules (a second receive at once, a pid of another system, …): a bug in the calling code. */
  | 'ACTOR_MISUSE'
  | 'UNCONTROLLED_ASYNC'
  | 'NONDETERMINISTIC'
  | 'CHILD_FAILED';

export interface RacelabErrorOptions {
  readonly cause?: unknown;
  /**
   * The parameter the error is about, in the library's terms (`port`, `target`): the message then reads
   * `port: …`, and the CLI shows the flag the user typed instead (`--port: …`).
   */
  readonly subject?: string;
}

export class RacelabError extends Error {
  override readonly name = 'RacelabError';
  /** What is wrong, without the subject. */
  readonly detail: string;
  readonly subject: string | undefined;
  constructor(
    readonly code: ErrorCode,
    detail: string,
    options: RacelabErrorOptions = {},
  ) {
    super(options.subject !== undefined ? `${options.subject}: ${detail}` : detail, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.detail = detail;
    this.subject = options.subject;
  }
}

export function isRacelabError(e: unknown): e is RacelabError {
  return e instanceof RacelabError;
}

/** A racelab error as plain data, to cross a thread, a process or the network: its code, detail and subject. */
export interface RacelabErrorFields {
  readonly code?: string;
  readonly detail?: string;
  readonly subject?: string;
}

/** The fields `errorFromFields` needs to make the same error again (none for an error that is not racelab's). */
export function errorFields(e: unknown): RacelabErrorFields {
  if (!isRacelabError(e)) return {};
  return { code: e.code, detail: e.detail, ...(e.subject !== undefined ? { subject: e.subject } : {}) };
}

/**
 * The racelab error another thread or process sent (its subject kept, so the CLI still names the flag), or
 * undefined when what was sent was not a racelab error.
 */
export function errorFromFields(m: RacelabErrorFields & { readonly message: string }): RacelabError | undefined {
  if (m.code === undefined) return undefined;
  return new RacelabError(m.code as ErrorCode, m.detail ?? m.message, m.subject !== undefined ? { subject: m.subject } : {});
}

/** Message of any thrown value, for wrapping third-party errors into one line. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}
