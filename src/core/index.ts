export * from './errors.js';
export * from './clock.js';
export * from './random.js';
export * from './units.js';
export * from './trace.js';
export * from './stats.js';
export * from './short-value.js';
