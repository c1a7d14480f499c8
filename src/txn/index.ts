export * from './types.js';
export { checkTransactions, checkTxnHistory, FORBIDDEN_BY } from './check.js';
export { toTxnHistory, readTxnHistoryFile, parseTxnEdn, parseTxnWorkload, txnLabel, describeOps } from './parse.js';
