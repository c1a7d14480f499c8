// The budget is core's, shared with the linearizability checker (src/check).
export { Budget } from '../core/budget.js';
