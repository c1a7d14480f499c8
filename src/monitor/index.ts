export { RaceMonitor, raceMonitor } from './monitor.js';
export type { RaceMonitorOptions, SuspectLogger, StateMachine, MonitoredRequest, Suspect, SuspectedLostUpdate, WriterInfo, VersionRegression, IllegalTransition, MonitorCounts } from './monitor.js';
export { grpcInterceptor, REQUEST_ID_HEADER, type GrpcInterceptorOptions } from './interceptor.js';
export { monitoredStore } from './monitored-store.js';
export { OnlineLinearizability, type OnlineCheckOptions, type OnlineCheckCounts } from './online-check.js';
export { metricsHandler, serveMetrics, parseListenAddress, type MetricsEndpoint } from './http.js';
