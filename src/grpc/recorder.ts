import * as grpc from '@grpc/grpc-js';
import type { ProcessId } from '../history/event.js';
import type { HistoryRecorder, PendingOperation } from '../history/recorder.js';
import { DEFINITE_FAILURE_CODES } from './status.js';

export interface RecordingOptions {
  readonly recorder: HistoryRecorder;
  /**
   * The process every call of this client is recorded as; the client must then make one call at a time.
   * Default: each call takes the smallest process id free at that moment, so concurrent calls on one channel
   * are distinct processes.
   */
  readonly process?: ProcessId;
  /** How a call appears in the history. Default: `f` is the method name (`/Counter/Increment` → `Increment`), the value the request. */
  readonly describe?: (method: string, request: unknown) => { f: string; value: unknown };
  /** The value an ok call returned. Default: the response message. */
  readonly result?: (method: string, response: unknown) => unknown;
  /** Which errors certainly had no effect (`fail`); the rest are `info`. Default: DEFINITE_FAILURE_CODES. */
  readonly definiteFailure?: (status: grpc.StatusObject) => boolean;
}

const methodName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * A grpc-js client interceptor that records every call as one history operation: `invoke` when the request
 * message is handed to the transport, then `ok` / `fail` / `info` when the status arrives. Pass it in the
 * client's options (`{ interceptors: [recordingInterceptor(...)] }`) or per call.
 */
export function recordingInterceptor(options: RecordingOptions): grpc.Interceptor {
  const describe = options.describe ?? ((method, request) => ({ f: methodName(method), value: request ?? null }));
  const result = options.result ?? ((_method, response) => response ?? null);
  const definite = options.definiteFailure ?? ((s) => DEFINITE_FAILURE_CODES.has(s.code));
  return (callOptions, nextCall) => {
    const method = callOptions.method_definition.path;
    let pending: PendingOperation | undefined;
    let borrowed: number | undefined;
    let response: unknown;
    const requester: grpc.Requester = {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveMessage(message, nextMessage) {
            response = message;
            nextMessage(message);
          },
          onReceiveStatus(status, nextStatus) {
            if (pending && !pending.completed) {
              if (status.code === grpc.status.OK) pending.ok(result(method, response));
              else if (definite(status)) pending.fail(`${grpc.status[status.code]}: ${status.details}`);
              else pending.info(`${grpc.status[status.code]}: ${status.details}`);
            }
            if (borrowed !== undefined) options.recorder.releaseProcess(borrowed);
            borrowed = undefined;
            nextStatus(status);
          },
        });
      },
      sendMessage(message, next) {
        if (!pending) {
          let process = options.process;
          if (process === undefined) process = borrowed = options.recorder.acquireProcess();
          const { f, value } = describe(method, message);
          pending = options.recorder.invoke(process, f, value);
        }
        next(message);
      },
    };
    return new grpc.InterceptingCall(nextCall(callOptions), requester);
  };
}

/** Client options that record every call (merge them into yours). */
export function recordingClientOptions(options: RecordingOptions): grpc.ClientOptions {
  return { interceptors: [recordingInterceptor(options)] };
}
