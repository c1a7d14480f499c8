export * from './scheduler.js';
export * from './mutex.js';
