export * from './variants.js';
export { startCounterServer, loadCounterProto, type CounterServer, type CounterServerOptions } from './server.js';
export { runCounterClient, readCounter, counterClient, type CounterClientOptions, type CounterClientResult } from './client.js';
export { runGrpcDemo, renderGrpcDemo, explainGrpcDemo, type GrpcDemoOptions, type GrpcDemoReport, type GrpcDemoRun } from './demo.js';
// Importing this registers the real-store variants (pg-*, redis-*) with counterVariant().
export { storeCounterVariants, checkVariantStore, lockTtlMs } from './store-variants.js';
export { counterRecording } from './history.js';
export { grpcDemoPage } from './demo-page.js';
