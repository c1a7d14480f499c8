export * from './proto.js';
export * from './server.js';
export * from './client.js';
export * from './timing.js';
