// What the CLI uses of the library, imported from folder barrels and modules directly (not from the public
// API of src/index.ts, which lists what users need). Commands load it lazily: `await import('../lib.js')`.
export { ATTACK_LIMITS, type AttackEndpointOptions, type AttackOptions, runAttack } from '../attack/index.js';
export { parseSyncMode } from '../burst/index.js';
export { checkVerbose, modelByName } from '../check/index.js';
export { RacelabError, Random, parseCount, parseDuration, parsePort } from '../core/index.js';
export { parseTarget } from '../grpc/index.js';
export { HistoryRecorder, parseHistoryFormat, readHistoryFile } from '../history/index.js';
export { parseHostPort, renderProxyStats, startJitterProxy } from '../proxy/index.js';
export { formatCounterStats, renderActorDemo, renderAttackReport, renderCheckReport, renderExploreReport, renderGrpcDemo, renderHistoryHtml, renderReplayReport, renderReplicasDemo } from '../report/index.js';
export { runActorDemo } from '../scenarios/actors/index.js';
export { checkVariantStore, counterVariant, runCounterClient, runGrpcDemo, startCounterServer } from '../scenarios/counter/index.js';
export { mergeCounterStats, runReplicasDemo, startReplicaSet } from '../scenarios/replicas/index.js';
export { openStore } from '../store/index.js';
export { runExplore, runReplay } from '../workloads/index.js';
