export { actorPatterns, actorPattern } from './registry.js';
export type { ActorPattern, PatternOutcome, PatternRunOptions } from './pattern.js';
export { runActorDemo, type ActorDemoOptions, type ActorDemoReport, type ActorDemoRun } from './demo.js';
export { orderTransitions } from './state-machine.js';
