// racelab's public API. Named exports only; internals stay out of this list.
export { RacelabError, isRacelabError, EXIT_BAD_INPUT, type ErrorCode } from './core/errors.js';
export { realClock, type Clock } from './core/clock.js';
export { Random } from './core/random.js';
export { parseDuration, parseCount, parsePort, formatMs } from './core/units.js';
export { summarize, type Summary } from './core/stats.js';
export {
  realScheduler,
  currentScheduler,
  withScheduler,
  yieldPoint,
  sleep,
  type Scheduler,
  type Operation,
  type OperationKind,
} from './sched/scheduler.js';
export { Mutex } from './sched/mutex.js';
export { MemoryStore, openStore, type Store, type StoreTransaction, type Versioned } from './store/index.js';
export {
  storeKind,
  maskStoreUrl,
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
export { startGrpcServer, type RunningServer, type ServerOptions, type ServiceBinding, type UnaryHandler } from './grpc/server.js';
export { loadProto, builtinProtoPath, type LoadedProto } from './grpc/proto.js';
export { callUnary, waitReady, parseTarget, type UnaryResult } from './grpc/client.js';
export { HANDLER_START_TRAILER, maxInFlight, type HandlerSpan } from './grpc/timing.js';
export * from './scenarios/counter/index.js';
export {
  ActorSystem, Pid, Process, ExitMessage, DownMessage, GenServer, ServerRef, NoReply, Stop, Agent, Supervisor, genServerChild,
  MAX_RESTART_INTENSITY, Mailbox, overflowPolicies, formatReason, isCrash, isNormalExit, ProcessExit, ProcessExitedError, summarizeMessage, describeMessage,
  type ActorStats, type ActorSystemOptions, type Dest, type Matcher, type ProcessBody, type SpawnOptions, type CallResult, type CastResult,
  type GenServerBehaviour, type GenServerOptions, type ChildInfo, type ChildSpec, type RestartPolicy, type SupervisorEvent,
  type SupervisorOptions, type MailboxOptions, type OverflowPolicy, type ExitReason, type From,
} from './actor/index.js';
export {
  actorPatterns, actorPattern, runActorDemo, renderActorDemo, orderTransitions, type ActorPattern, type PatternOutcome,
  type PatternRunOptions, type ActorDemoOptions, type ActorDemoReport, type ActorDemoRun,
} from './scenarios/actors/index.js';
export * from './scenarios/replicas/index.js';
export * from './proxy/index.js';
export * from './scenarios/attack/index.js';
export {
  createSyncPolicy,
  parseSyncMode,
  runBurstWorker,
  runFlood,
  parseExpression,
  latencyReport,
  SYNC_MODES,
  type SyncMode,
  type SyncPolicy,
  type BurstCall,
  type CallOutcome,
  type BurstTransport,
  type FireResult,
  type ReleaseWrites,
  type SpreadSummary,
  type BurstSpread,
  type LatencyReport,
} from './burst/index.js';
export { loadSchemaFromProto, findMethod, type MethodSchema, type ServiceSchema } from './grpc/schema.js';
export { loadSchemaByReflection, type ReflectionOptions } from './grpc/reflection-client.js';
export { encodeJsonMessage, decodeMessage } from './grpc/json-message.js';
export { probeTarget, loadTlsMaterial, parseMetadata, type TlsFiles, type TlsMaterial, type TransportSettings } from './grpc/transport.js';
export * from './history/index.js';
export * from './check/index.js';
export { recordingInterceptor, recordingClientOptions, DEFINITE_FAILURE_CODES, type RecordingOptions } from './grpc/recorder.js';
export {
  explore,
  replay,
  expectNoRace,
  expectRace,
  describeFailure,
  randomStrategy,
  pctStrategy,
  dfsStrategy,
  replayStrategy,
  formatReplayToken,
  parseReplayToken,
  VirtualClock,
  ControlledScheduler,
  traceLine,
  traceLines,
  type ExploreOptions,
  type ExploreResult,
  type FailureReport,
  type ReplayResult,
  type ScheduleReport,
  type StopReason,
  type Workload,
  type WorkloadContext,
  type WorkloadInstance,
  type InvariantVerdict,
  type TaskBody,
  type Strategy,
  type StrategyName,
  type Transition,
  type TransitionKind,
  type Chooser,
  type StepRecord,
  type FailureKind,
  type RunRecord,
  type DfsStats,
  type PctOptions,
  type DfsOptions,
  type ReplayToken,
} from './explore/index.js';
export * from './scenarios/explore/index.js';
export { renderCheckReport, renderHistoryHtml, type HistoryHtmlOptions } from './report/index.js';
export {
  checkTransactions,
  checkTxnHistory,
  toTxnHistory,
  readTxnHistoryFile,
  parseTxnWorkload,
  txnLabel,
  WORKLOADS as TXN_WORKLOADS,
  CONSISTENCY_MODELS,
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
export { renderTxnReport, renderTxnHtml, type TxnHtmlOptions } from './report/index.js';
export {
  runTransactions,
  runTransactionsDemo,
  renderTransactionsDemo,
  renderTxnRun,
  parseIsolation,
  resolveDatabase,
  ISOLATION_LEVELS,
  DATABASE_KINDS,
  TXN_WORKLOAD_NAMES,
  TXN_FIXES,
  type TxnRunOptions,
  type TxnRunReport,
  type TransactionsDemoOptions,
  type TransactionsDemoReport,
  type DemoCell,
  type DatabaseKind,
  type Isolation,
  type TxnWorkloadName,
  type TxnFix,
} from './scenarios/transactions/index.js';
