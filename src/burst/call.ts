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
  /** gRPC status code (grpc-js's `status`; src/grpc/status.ts says what each means for the call's effect). */
  readonly code: number;
  readonly details: string;
  /** The encoded response message, for OK calls. */
  readonly response?: Buffer;
  /** When the server's handler started (µs, the server's monotonic clock), from a racelab server's trailer. */
  readonly handlerStartMicros?: number;
}
