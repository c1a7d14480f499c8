export { runAttack } from './run.js';
export {
  ATTACK_LIMITS,
  clientsWord,
  type AttackOptions,
  type AttackReport,
  type AttackEndpointOptions,
  type AttackCheckCall,
  type FloodSettings,
  type RoundReport,
  type RoundVerdict,
  type AttackVerdict,
  type AttackCall,
} from './report.js';
export { attackScenarios, attackScenario, type AttackScenario } from './builtins.js';
export { HistoryLog } from './record.js';
export * from './expression.js';
export * from './template.js';
export * from './plan.js';
