// grpc-js's own enum, from the one small module that defines it: importing it from the package's root loads all
// of grpc-js (~0.1 s), and the scenarios, the explorer and `check` need the codes, not a transport.
import { Status as status } from '@grpc/grpc-js/build/src/constants.js';

export { status };

/**
 * What a finished call says about its effect, in Jepsen's vocabulary: `ok` (it took effect), `fail` (it
 * certainly had none), `info` (nobody knows: it may have taken effect or not). Every place that judges a call
 * (`attack`, `demo grpc`, `demo replicas`, a recorded history) asks this module, so they cannot disagree.
 */
export type CallEffect = 'ok' | 'fail' | 'info';

interface Meaning {
  /** The name ghz prints. */
  readonly name: string;
  readonly effect: CallEffect;
}

/**
 * One entry per code of grpc-js's `status` enum. The rule: a call is `fail` only when the status says the
 * server refused it before doing anything (the gRPC status-code guide: the client must change something before
 * retrying). Any other error may come after the handler acted, or with the request never sent: `info`. Counting
 * a maybe-applied call as failed would make an invariant over effects report a race that did not happen.
 */
const MEANINGS: Readonly<Record<status, Meaning>> = {
  [status.OK]: { name: 'OK', effect: 'ok' },
  // The client gave up (or was told to): the request may already be in the handler.
  [status.CANCELLED]: { name: 'Canceled', effect: 'info' },
  // A server error that says nothing about how far the handler got (also what grpc-js reports for a status it cannot parse).
  [status.UNKNOWN]: { name: 'Unknown', effect: 'info' },
  // Refused: the request itself is wrong; the server checked it before acting.
  [status.INVALID_ARGUMENT]: { name: 'InvalidArgument', effect: 'fail' },
  // The deadline passed: the handler may have finished a moment after the client stopped waiting.
  [status.DEADLINE_EXCEEDED]: { name: 'DeadlineExceeded', effect: 'info' },
  // Refused: the entity the call names does not exist.
  [status.NOT_FOUND]: { name: 'NotFound', effect: 'fail' },
  // Refused: the entity the call would create exists already.
  [status.ALREADY_EXISTS]: { name: 'AlreadyExists', effect: 'fail' },
  // Refused: the caller may not do this.
  [status.PERMISSION_DENIED]: { name: 'PermissionDenied', effect: 'fail' },
  // A quota or a size limit, hit by the server or by the client's own transport: either side, before or after the handler ran.
  [status.RESOURCE_EXHAUSTED]: { name: 'ResourceExhausted', effect: 'info' },
  // Refused: the system is not in a state in which the call can run.
  [status.FAILED_PRECONDITION]: { name: 'FailedPrecondition', effect: 'fail' },
  // Typically a transaction abort, but a server may return it after part of the work was visible: not certain.
  [status.ABORTED]: { name: 'Aborted', effect: 'info' },
  // Refused: an argument is outside the valid range.
  [status.OUT_OF_RANGE]: { name: 'OutOfRange', effect: 'fail' },
  // Refused: the server does not implement the method, so no handler ran.
  [status.UNIMPLEMENTED]: { name: 'Unimplemented', effect: 'fail' },
  // An invariant broke inside the server (a handler that threw): how far it got is unknown.
  [status.INTERNAL]: { name: 'Internal', effect: 'info' },
  // The connection went away or never came: the request may or may not have been delivered.
  [status.UNAVAILABLE]: { name: 'Unavailable', effect: 'info' },
  // Data was lost or corrupted, on the way or in the server: nothing is known about the effect.
  [status.DATA_LOSS]: { name: 'DataLoss', effect: 'info' },
  // Refused: the caller is not authenticated.
  [status.UNAUTHENTICATED]: { name: 'Unauthenticated', effect: 'fail' },
};

const meaning = (code: number): Meaning | undefined => (MEANINGS as Partial<Record<number, Meaning>>)[code];

/** The status name as ghz prints it (`DeadlineExceeded`), or `Code(N)` for a code gRPC does not define. */
export function statusName(code: number): string {
  return meaning(code)?.name ?? `Code(${code})`;
}

/** What a call that ended with `code` says about its effect. A code gRPC does not define says nothing: `info`. */
export function callEffect(code: number): CallEffect {
  return meaning(code)?.effect ?? 'info';
}

/** The call may or may not have taken effect (Jepsen's `info`): an invariant that counts effects must allow for it. */
export function isUnknownOutcome(code: number): boolean {
  return callEffect(code) === 'info';
}

/** The codes by which a server says it refused a call before doing anything: such a call is `fail`, it had no effect. */
export const DEFINITE_FAILURE_CODES: ReadonlySet<status> = new Set(
  (Object.keys(MEANINGS).map(Number) as status[]).filter((code) => MEANINGS[code].effect === 'fail'),
);
