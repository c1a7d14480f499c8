export { runTransactions, type TxnRunOptions, type TxnRunReport } from './run.js';
export { runTransactionsDemo, renderTransactionsDemo, demoPlan, headline as demoHeadline, type TransactionsDemoOptions, type TransactionsDemoReport, type DemoCell } from './demo.js';
export { renderTxnRun } from './render.js';
export { parseIsolation, resolveDatabase, ISOLATION_LEVELS, DATABASE_KINDS, type DatabaseKind, type Isolation } from './database.js';
export { TXN_WORKLOAD_NAMES, TXN_FIXES, type TxnWorkloadName, type TxnFix } from './workloads.js';
