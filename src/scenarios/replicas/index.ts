export { startReplicaSet, replicaServeArgs, type ReplicaSet, type ReplicaSetOptions, type Replica, type ReplicaExit, type SupervisedEvent } from './replica-set.js';
export { runSpreadBurst, type SpreadBurstOptions, type SpreadBurstResult, type SpreadBurstFault, type KillRecord, type TargetCounts } from './spread-burst.js';
export { mergeCounterStats, type CounterCost } from './stats.js';
export { resolveSharedStores, withNamespace, runNamespace, DEFAULT_PG_URL, DEFAULT_REDIS_URL, type ResolvedStore } from '../../store/specs.js';
export {
  runReplicasDemo,
  runKillOne,
  explainReplicasDemo,
  type ReplicasDemoOptions,
  type ReplicasDemoReport,
  type ReplicasRun,
  type ReplicasKillRun,
  type ReplicasRunRole,
} from './demo.js';
