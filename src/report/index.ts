export * from './table.js';
export * from './check-text.js';
export * from './history-html.js';
export * from './txn-text.js';
export * from './txn-html.js';
