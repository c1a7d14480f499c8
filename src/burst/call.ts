/**
 * One call of a burst, ready to send: the method's wire path and the request already encoded, so every sync
 * policy (and a worker process) sends exactly the same bytes.
 */
export interface BurstCall {
  /** Position in the burst, 0-based; `{{index}}` in request templates. */
  readonly index: number;
  /** Which connection or process sends it; `{{client}}` in request templates. */
  readonly client: number;
  /** HTTP/2 path, `/pkg.Service/Method`. */
  readonly path: string;
  /** The encoded request message (without the 5-byte gRPC frame header). */
  readonly request: Buffer;
  /** Intended delay after the burst's start (multi-endpoint races); 0 for all-at-once. */
  readonly offsetMicros: number;
}

/** What happened to one call, as data: a gRPC error is an outcome, not a throw. */
export interface CallOutcome {
  readonly index: number;
  readonly client: number;
  readonly path: string;
  /**
   * Monotonic µs (CLOCK_MONOTONIC, comparable across processes on one machine) when the call left racelab's
   * hands: issued to grpc-js, or, for last-frame, when the socket write carrying its final frame was made.
   */
  readonly sentMicros: number;
  readonly doneMicros: number;
  /** gRPC status code (0 = OK). */
  readonly code: number;
  readonly details: string;
  /** The encoded response message, for OK calls. */
  readonly response?: Buffer;
  /** When the server's handler started (µs, the server's monotonic clock), from a racelab server's trailer. */
  readonly handlerStartMicros?: number;
}

/** gRPC status names, as ghz prints them. */
export const STATUS_NAMES: readonly string[] = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `Code(${code})`;
}

/**
 * Outcomes that leave it open whether the call took effect (Jepsen's `info`): the deadline passed, the
 * connection went away, the client cancelled, or the server failed in a way that says nothing about how far
 * the handler got (Unknown, Internal). An invariant that counts effects must allow for them.
 */
export function isUnknownOutcome(code: number): boolean {
  return code === 1 || code === 2 || code === 4 || code === 13 || code === 14;
}
