export * from './table.js';
export * from './check-text.js';
export * from './history-html.js';
export * from './page.js';
export * from './charts.js';
