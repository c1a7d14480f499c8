import * as grpc from '@grpc/grpc-js';
import type { RaceMonitor } from './monitor.js';

/** Metadata a client may send to name its request in the monitor's logs (else the monitor numbers it). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A grpc-js server interceptor (grpc-js >= 1.10: `new grpc.Server({ interceptors: [grpcInterceptor(monitor)] })`)
 * that makes every call one monitored request. The handler runs inside the request: grpc-js calls a unary
 * handler synchronously from the half-close event, so running that event in the monitor's async context gives
 * the handler and everything it awaits the request, and the store reads and writes it makes are paired to it.
 */
export function grpcInterceptor(monitor: RaceMonitor): grpc.ServerInterceptor {
  return (method, call) => {
    let request: ReturnType<RaceMonitor['begin']> | undefined;
    const ensure = (metadata?: grpc.Metadata): ReturnType<RaceMonitor['begin']> => {
      if (!request) {
        const named = metadata?.get(REQUEST_ID_HEADER)[0];
        request = monitor.begin(method.path, typeof named === 'string' ? named : undefined);
      }
      return request;
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            ensure(metadata);
            nextMetadata(metadata);
          },
          onReceiveHalfClose: (nextHalfClose) => monitor.run(ensure(), nextHalfClose),
          onReceiveMessage: (message, nextMessage) => monitor.run(ensure(), () => nextMessage(message)),
          onCancel: () => {
            if (request) monitor.end(request, grpc.status.CANCELLED);
          },
        });
      },
      sendStatus: (status, nextStatus) => {
        if (request) monitor.end(request, status.code);
        nextStatus(status);
      },
    });
  };
}
