export * from './proto.js';
export * from './server.js';
export * from './client.js';
export * from './timing.js';
export { recordingInterceptor, recordingClientOptions, type RecordingOptions } from './recorder.js';
export { callEffect, isUnknownOutcome, statusName, DEFINITE_FAILURE_CODES, type CallEffect } from './status.js';
