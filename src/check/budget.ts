// The budget is core's, shared with the transactional check (src/txn), which may not import check.
export { Budget } from '../core/budget.js';
