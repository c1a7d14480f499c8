import * as grpc from '@grpc/grpc-js';
import type { MonitoredRequest, RaceMonitor } from './monitor.js';

/** Metadata a client may send to name its request in the monitor's logs (else the monitor numbers it). */
export const REQUEST_ID_HEADER = 'x-request-id';

type Call = grpc.ServerInterceptingCallInterface;
type Listener = Parameters<Call['start']>[0];

export interface GrpcInterceptorOptions {
  /**
   * Run each handler in the request's async context (AsyncLocalStorage), so that `monitor.read`, `write`,
   * `transition` and a `monitoredStore` find the request themselves. Default true. With false the handler names
   * its request, `monitor.requestOf(call)`: for work that leaves the request's async context (a driver's own
   * callback queue), where an implicit read or write would count as untracked. `npm run bench -- monitor` measures
   * both ways on a plain grpc-js server.
   */
  readonly asyncContext?: boolean;
}

/**
 * A grpc-js server interceptor (grpc-js >= 1.10: `new grpc.Server({ interceptors: [grpcInterceptor(monitor)] })`)
 * that makes every call one monitored request. The handler runs inside the request: grpc-js calls a unary
 * handler synchronously from the half-close event, so running that event in the monitor's async context gives
 * the handler and everything it awaits the request, and the store reads and writes it makes are paired to it.
 * Either way the handler can name its request explicitly: `monitor.requestOf(call)`.
 */
export function grpcInterceptor(monitor: RaceMonitor, options: GrpcInterceptorOptions = {}): grpc.ServerInterceptor {
  const asyncContext = options.asyncContext ?? true;
  return (method, call) => new MonitoredCall(monitor, method.path, call, asyncContext ? (method.requestStream ? STREAMING_REQUEST : UNARY_REQUEST) : NO_CONTEXT);
}

/**
 * The events to run in the request's async context: where grpc-js calls the handler, and where it gives the
 * handler's code a message. A unary or server-streaming handler is called at the half-close, with the one message
 * it has kept (nothing of the handler's runs when that message arrives); a client-streaming or bidi handler is
 * called when the metadata arrives, and each message is an event its code handles. Every `run` costs a context of
 * its own, so only those are run in one.
 */
const NO_CONTEXT = 0;
const UNARY_REQUEST = 1;
const STREAMING_REQUEST = 2;

/*
 * The interceptor is one object per call that is both the call grpc-js sees and the listener it gives the next
 * call. grpc-js' ServerInterceptingCall, used as documented (a responder and a listener of `next` callbacks),
 * makes a handful of closures and objects per call and passes every event through them: most of the
 * interceptor's cost on a unary call (the bench: `npm run bench -- monitor`). This subclass (grpc-js' type for
 * an interceptor's result) overrides every method, so the generic layer is never entered; every event is passed
 * on at once and in order, as that layer does when no responder holds one back.
 */
class MonitoredCall extends grpc.ServerInterceptingCall implements Listener {
  private request: MonitoredRequest | undefined;
  private listener: Listener | undefined;

  constructor(
    private readonly monitor: RaceMonitor,
    private readonly path: string,
    private readonly next: Call,
    private readonly context: typeof NO_CONTEXT | typeof UNARY_REQUEST | typeof STREAMING_REQUEST,
  ) {
    super(next);
  }

  private ensure(metadata?: grpc.Metadata): MonitoredRequest {
    if (!this.request) {
      const named = metadata?.get(REQUEST_ID_HEADER)[0];
      this.request = this.monitor.begin(this.path, typeof named === 'string' ? named : undefined);
    }
    // grpc-js hands the handler this very metadata object (its call's `metadata`): `requestOf(call)` finds it.
    if (metadata !== undefined) this.monitor.bindMetadata(metadata, this.request);
    return this.request;
  }

  // The call's inbound side: the listener grpc-js' next call reports to.
  override start(listener: Listener): void {
    this.listener = listener;
    this.next.start(this);
  }
  onReceiveMetadata(metadata: grpc.Metadata): void {
    const listener = this.listener!;
    const request = this.ensure(metadata);
    if (this.context === STREAMING_REQUEST) this.monitor.run(request, () => listener.onReceiveMetadata(metadata));
    else listener.onReceiveMetadata(metadata);
  }
  onReceiveMessage(message: unknown): void {
    const listener = this.listener!;
    if (this.context === STREAMING_REQUEST) this.monitor.run(this.ensure(), () => listener.onReceiveMessage(message));
    else listener.onReceiveMessage(message);
  }
  onReceiveHalfClose(): void {
    const listener = this.listener!;
    if (this.context !== NO_CONTEXT) this.monitor.run(this.ensure(), () => listener.onReceiveHalfClose());
    else listener.onReceiveHalfClose();
  }
  onCancel(): void {
    if (this.request) this.monitor.end(this.request, grpc.status.CANCELLED);
    this.listener!.onCancel();
  }

  // The outbound side, passed through; the status ends the request.
  override sendStatus(status: Parameters<Call['sendStatus']>[0]): void {
    if (this.request) this.monitor.end(this.request, status.code);
    this.next.sendStatus(status);
  }
  override sendMetadata(metadata: grpc.Metadata): void {
    this.next.sendMetadata(metadata);
  }
  override sendMessage(message: unknown, callback: () => void): void {
    this.next.sendMessage(message, callback);
  }
  override startRead(): void {
    this.next.startRead();
  }
  override getPeer(): string {
    return this.next.getPeer();
  }
  override getDeadline(): grpc.Deadline {
    return this.next.getDeadline();
  }
  override getHost(): string {
    return this.next.getHost();
  }
  override getAuthContext(): ReturnType<Call['getAuthContext']> {
    return this.next.getAuthContext();
  }
  override getConnectionInfo(): ReturnType<Call['getConnectionInfo']> {
    return this.next.getConnectionInfo();
  }
  override getMetricsRecorder(): ReturnType<Call['getMetricsRecorder']> {
    return this.next.getMetricsRecorder();
  }
}
