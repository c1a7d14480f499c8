export { counterWorkload, explorableCounterVariants, type CounterWorkloadOptions } from './counter-workload.js';
export { depth3Workload, type Depth3WorkloadOptions } from './depth3-workload.js';
export { actorPatternWorkload, type ActorWorkloadOptions } from './actor-workload.js';
export { tracedStore } from './traced-store.js';
export { exploreWorkload, exploreScenarios, type ExploreScenario, type ExploreScenarioOptions } from './registry.js';
export {
  runExplore,
  renderExploreReport,
  exploreReport,
  runReplay,
  renderReplayReport,
  type RunExploreOptions,
  type ExploreReport,
  type ExploreVerdict,
  type ReplayReport,
} from './run-explore.js';
export { explorePage, scheduleSteps } from './page.js';
