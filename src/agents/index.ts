export { runAgent, type AgentOptions, type AgentSummary, type AgentStopReason } from './agent.js';
export { TargetAllowlist, DEFAULT_ALLOW_TARGETS } from './allowlist.js';
export { DEFAULT_CAPS, type AgentCaps } from './caps.js';
export { AgentClock, estimateOffset, type ClockOffset, type ClockSample } from './clock.js';
export { generateSigningKeys, keyFingerprint, loadPrivateKey, loadPublicKey, openEnvelope, sealEnvelope, NonceCache, Refusal, REFUSAL_REASONS, type Envelope, type SignedMessage, type RefusalReason } from './envelope.js';
export { JOB_TYPES, burstJobType, jobType, type BurstJob, type JobType } from './jobs.js';
export { connectNats, type NatsAccess } from './nats-connect.js';
export * from './protocol.js';
export { AgentsPolicy, type AgentsPolicyOptions } from './coordinator.js';
