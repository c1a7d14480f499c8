// racelab's public API: the named exports a user needs, each listed with what it is and since which version in
// docs/API.md (test/api.test.ts fails when this list and that page disagree). The CLI and the tests import
// folder barrels and modules directly; add a name here only when users need it, and document it there.

// Errors
export { RacelabError, isRacelabError, type ErrorCode } from './core/errors.js';

// Clock and randomness
export { type Clock, realClock, Random } from './core/index.js';

// Scheduling points
export {
  yieldPoint,
  sleep,
  currentScheduler,
  withScheduler,
  realScheduler,
  type Scheduler,
  type Operation,
  type SleepOptions,
  type OperationKind,
  Mutex,
} from './sched/index.js';

// Stores
export {
  type Store,
  type StoreTransaction,
  type Versioned,
  MemoryStore,
  openStore,
  type OpenStoreOptions,
  type PostgresStore,
  type PgTransaction,
  type PgSession,
  type PgTransactionOptions,
  type PgIsolation,
  type RedisStore,
  type RedisLock,
  type AcquireLockOptions,
  type RedisTransactionOptions,
} from './store/index.js';

// gRPC
export {
  startGrpcServer,
  type RunningServer,
  type ServerOptions,
  type ServiceBinding,
  type UnaryHandler,
  type HandlerSpan,
  loadProto,
  type LoadedProto,
  recordingInterceptor,
  recordingClientOptions,
  type RecordingOptions,
  callEffect,
  isUnknownOutcome,
  statusName,
  DEFINITE_FAILURE_CODES,
  type CallEffect,
} from './grpc/index.js';

// Attack
export {
  runAttack,
  type AttackOptions,
  type AttackEndpointOptions,
  type AttackCheckCall,
  type FloodSettings,
  type AttackReport,
  type RoundReport,
  type RoundVerdict,
  type AttackVerdict,
  ATTACK_LIMITS,
  attackScenarios,
  type AttackScenario,
} from './attack/index.js';

// Burst driver
export { SYNC_MODES, type SyncMode } from './burst/index.js';

// Jitter proxy
export { startJitterProxy, type JitterProxy, type JitterProxyOptions, type ProxyStats } from './proxy/index.js';

// Actor runtime
export {
  ActorSystem,
  type ActorSystemOptions,
  type ActorStats,
  Pid,
  Process,
  type ProcessBody,
  type SpawnOptions,
  type Dest,
  type Matcher,
  ExitMessage,
  DownMessage,
  type ExitReason,
  isCrash,
  isNormalExit,
  ProcessExitedError,
  GenServer,
  type GenServerBehaviour,
  type GenServerOptions,
  ServerRef,
  type CallResult,
  type CastResult,
  type From,
  NoReply,
  Stop,
  Agent,
  Supervisor,
  genServerChild,
  type ChildSpec,
  type ChildInfo,
  type RestartPolicy,
  type SupervisorOptions,
  type SupervisorEvent,
  type MailboxOptions,
  type OverflowPolicy,
} from './actor/index.js';

// Explorer
export {
  explore,
  replay,
  expectNoRace,
  expectRace,
  describeFailure,
  randomStrategy,
  pctStrategy,
  posStrategy,
  portfolioStrategy,
  controlled,
  dfsStrategy,
  replayStrategy,
  formatReplayToken,
  parseReplayToken,
  VirtualClock,
  type ExploreOptions,
  type ExploreResult,
  type FailureReport,
  type ReplayResult,
  type ScheduleReport,
  type StopReason,
  type ShrinkStop,
  type Workload,
  type WorkloadContext,
  type WorkloadInstance,
  type InvariantVerdict,
  type TaskBody,
  type Strategy,
  type StrategyName,
  type Chooser,
  type Transition,
  type TransitionKind,
  type StepRecord,
  type FailureKind,
  type RunRecord,
  type DfsStats,
  type PctOptions,
  type DfsOptions,
  type ReplayToken,
} from './explore/index.js';

// Built-in workloads
export {
  counterWorkload,
  type CounterWorkloadOptions,
  depth3Workload,
  type Depth3WorkloadOptions,
  actorPatternWorkload,
  type ActorWorkloadOptions,
} from './workloads/index.js';

// Histories
export {
  type HistoryEvent,
  type History,
  type EventType,
  type ProcessId,
  type HistoryOperation,
  type OperationStatus,
  type PairedHistory,
  type TimeUnit,
  pairOperations,
  HistoryRecorder,
  type HistoryRecorderOptions,
  type PendingOperation,
  mergeHistories,
  readHistoryFile,
  readPairedHistoryFile,
  HistoryReadStopped,
  type ReadHistoryOptions,
  type PairedHistoryFile,
  writeHistoryFile,
  parseHistory,
  HISTORY_FORMATS,
  type HistoryFormat,
  parseHistoryJsonl,
  formatHistoryJsonl,
  parseJepsenEdn,
  parseJepsenLog,
} from './history/index.js';

// Linearizability checker
export {
  check,
  checkVerbose,
  type CheckOptions,
  type CheckResult,
  type CheckReport,
  type Verdict,
  type OperationView,
  type PartitionReport,
  type WindowReport,
  type Model,
  type CompleteModel,
  completeModel,
  type StepResult,
  type OperationCall,
  registerModel,
  type RegisterInput,
  counterModel,
  type CounterInput,
  type CounterState,
  kvModel,
  type KvInput,
  modelByName,
  builtinModels,
  MODEL_NAMES,
} from './check/index.js';

// Reports
export {
  renderCheckReport,
  renderHistoryHtml,
  type HistoryHtmlOptions,
  renderAttackReport,
  renderGrpcDemo,
  renderActorDemo,
  renderReplicasDemo,
} from './report/index.js';

// The counter scenario
export {
  counterVariants,
  counterVariant,
  type CounterVariant,
  type CounterPorts,
  type CounterService,
  type CounterStats,
  type CounterLockOptions,
  COUNTER_KEY,
  startCounterServer,
  type CounterServer,
  type CounterServerOptions,
  runCounterClient,
  type CounterClientOptions,
  type CounterClientResult,
} from './scenarios/counter/index.js';

// Demos
export { runGrpcDemo, type GrpcDemoOptions, type GrpcDemoReport } from './scenarios/counter/index.js';
export {
  runActorDemo,
  type ActorDemoOptions,
  type ActorDemoReport,
  actorPatterns,
  actorPattern,
  type ActorPattern,
  type PatternOutcome,
} from './scenarios/actors/index.js';
export {
  runReplicasDemo,
  type ReplicasDemoOptions,
  type ReplicasDemoReport,
  startReplicaSet,
  type ReplicaSet,
  type ReplicaSetOptions,
} from './scenarios/replicas/index.js';

// Transactions: the Elle-style anomaly checker and the isolation-level workloads
export {
  checkTransactions,
  checkTxnHistory,
  toTxnHistory,
  readTxnHistoryFile,
  type Workload as TxnWorkload,
  type MicroOp,
  type Scalar,
  type Txn,
  type TxnHistory,
  type TxnStatus,
  type TxnCheckOptions,
  type TxnCheckReport,
  type TxnVerdict,
  type Anomaly,
  type AnomalyType,
  type CycleStep,
  type ConsistencyModel,
  type ModelVerdict,
} from './txn/index.js';
export {
  runTransactions,
  runTransactionsDemo,
  type TxnRunOptions,
  type TxnRunReport,
  type TransactionsDemoOptions,
  type TransactionsDemoReport,
  type Isolation,
  type DatabaseKind,
  type TxnWorkloadName,
  type TxnFix,
} from './scenarios/transactions/index.js';
export { renderTxnReport, renderTxnHtml } from './report/index.js';

// Message brokers: the Broker port, its adapters, and the consumer scenario
export {
  MemoryBroker, ConsumerCrash, openBroker, type Broker, type BrokerMessage, type Delivery, type QueueSpec,
  type Consumer, type ConsumeOptions, type ConsumerStats, type DeliveryHandler, type OpenBrokerOptions, type MemoryFault, type BrokerKind,
} from './broker/index.js';
export { AckLost, startPrivateNatsServer, type PrivateNatsServer, type PrivateNatsServerOptions } from './broker/index.js';
export {
  consumerVariants, consumerWorkload, runBrokerDemo, type ConsumerVariant, type ConsumerWorkloadOptions, type BrokerDemoOptions, type BrokerDemoReport,
} from './scenarios/consumer/index.js';

// The race monitor for live services
export {
  raceMonitor,
  RaceMonitor,
  grpcInterceptor,
  monitoredStore,
  metricsHandler,
  serveMetrics,
  REQUEST_ID_HEADER,
  type RaceMonitorOptions,
  type GrpcInterceptorOptions,
  type SuspectLogger,
  type StateMachine,
  type MonitoredRequest,
  type Suspect,
  type MonitorCounts,
  type MetricsEndpoint,
  OnlineLinearizability,
  type OnlineCheckOptions,
  type OnlineCheckCounts,
} from './monitor/index.js';

// The impact scenarios: bank, coupon, rate limit, privilege and the other races the seed names
export {
  impactScenarios,
  impactScenario,
  startScenarioServer,
  type ScenarioServer,
  type ScenarioServerOptions,
  type ImpactScenario,
  type ScenarioVariant,
  runImpactsDemo,
  type ImpactsDemoOptions,
  type ImpactsDemoReport,
} from './scenarios/impacts/index.js';
export { bankModel, type BankInput, type BankState } from './check/bank-model.js';
