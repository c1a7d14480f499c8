export * from './variants.js';
export { startCounterServer, loadCounterProto, type CounterServer, type CounterServerOptions } from './server.js';
export { runCounterClient, failedIncrements, readCounter, counterClient, type CounterClientOptions, type CounterClientResult } from './client.js';
export { runGrpcDemo, explainGrpcDemo, type GrpcDemoOptions, type GrpcDemoReport, type GrpcDemoRun } from './demo.js';
export { storeCounterVariants, lockTtlMs } from './store-variants.js';
export { counterVariants, counterVariant, checkVariantStore } from './registry.js';
export { counterRecording } from './history.js';
