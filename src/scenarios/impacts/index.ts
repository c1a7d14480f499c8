export { impactScenarios, impactScenario, isImpactScenario } from './registry.js';
export { startScenarioServer, loadScenarioProto, type ScenarioServer, type ScenarioServerOptions, type StoreUse } from './server.js';
export { checkScenarioStore, scenarioVariant, type ImpactScenario, type ScenarioVariant, type HostedService } from './scenario.js';
export { runScenarioBurst, type ScenarioBurstOptions, type ScenarioBurstResult, type ScenarioBurstCall } from './burst.js';
export { runImpactsDemo, type ImpactMonitorView, type ImpactDemoCall, type ImpactsDemoOptions, type ImpactsDemoReport, type ImpactsDemoRun, type ImpactsDemoScenario } from './demo.js';
