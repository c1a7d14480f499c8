import { RacelabError } from '../core/errors.js';
import type { Workload } from '../explore/workload.js';
import type { ActorPattern } from '../scenarios/actors/pattern.js';
import { actorPatterns } from '../scenarios/actors/registry.js';
import { impactScenario } from '../scenarios/impacts/registry.js';
import { actorPatternWorkload } from './actor-workload.js';
import { counterWorkload } from './counter-workload.js';
import { depth3Workload } from './depth3-workload.js';
import { consumerWorkload } from '../scenarios/consumer/workload.js';

/** The built-in workloads `racelab explore` and `racelab replay` know by name. */
export const exploreScenarios = ['counter', 'depth3', 'actors', 'consumer', 'bank', 'inventory', 'checkout', 'coupon', 'ratelimit', 'privilege', 'session'] as const;
export type ExploreScenario = (typeof exploreScenarios)[number];
/** The impact scenarios (src/scenarios/impacts/registry.ts) take these options; the registry gives the workload. */
const IMPACT_USES = ['variant', 'clients', 'delayMs'];

export interface ExploreScenarioOptions {
  readonly scenario: string;
  /** counter: the variant (default vulnerable); actors: the pattern's variant (default its first vulnerable one). */
  readonly variant?: string;
  /** actors: the pattern's name. */
  readonly pattern?: string;
  /** counter */
  readonly clients?: number;
  readonly increments?: number;
  readonly delayMs?: number;
  /** counter: decide each run with the linearizability checker. */
  readonly linearizability?: boolean;
  /** depth3 */
  readonly work?: number;
  /** actors */
  readonly senders?: number;
  readonly messages?: number;
  /** consumer (also `messages` and `variant`) */
  readonly keys?: number;
  readonly consumers?: number;
  readonly crashes?: number;
  readonly ackTimeouts?: number;
}

/** The options a scenario may take, by name; a message names them in backticks (the CLI shows its flags). */
const OPTION_NAMES = ['variant', 'pattern', 'clients', 'increments', 'delayMs', 'linearizability', 'work', 'senders', 'messages', 'keys', 'consumers', 'crashes', 'ackTimeouts'] as const;
const named = (keys: readonly string[]): string => keys.map((k) => `\`${k}\``).join(', ');

const USES: Record<ExploreScenario, readonly string[]> = {
  counter: ['variant', 'clients', 'increments', 'delayMs', 'linearizability'],
  depth3: ['work'],
  actors: ['pattern', 'variant', 'senders', 'messages'],
  consumer: ['variant', 'messages', 'keys', 'consumers', 'crashes', 'ackTimeouts'],
  bank: IMPACT_USES,
  inventory: IMPACT_USES,
  checkout: IMPACT_USES,
  coupon: IMPACT_USES,
  ratelimit: IMPACT_USES,
  privilege: IMPACT_USES,
  session: IMPACT_USES,
};

/** The workload a scenario name and its options stand for; misuse is a one-line RacelabError naming the fix. */
export function exploreWorkload(options: ExploreScenarioOptions): Workload {
  const scenario = options.scenario as ExploreScenario;
  if (!exploreScenarios.includes(scenario)) {
    throw new RacelabError('UNKNOWN_SCENARIO', `"${options.scenario}" is not an explore scenario; use one of ${exploreScenarios.join(', ')}`, { subject: 'scenario' });
  }
  for (const key of OPTION_NAMES) {
    if (options[key] !== undefined && !USES[scenario].includes(key)) {
      throw new RacelabError('BAD_OPTION', `${named([key])} does not apply to \`scenario\` ${scenario}; it takes ${named(USES[scenario]) || 'no options'}`);
    }
  }
  switch (scenario) {
    case 'bank':
    case 'inventory':
    case 'checkout':
    case 'coupon':
    case 'ratelimit':
    case 'privilege':
    case 'session':
      return impactScenario(scenario).workload({ variant: options.variant ?? 'vulnerable', clients: options.clients, delayMs: options.delayMs });
    case 'counter':
      return counterWorkload({
        variant: options.variant ?? 'vulnerable',
        clients: options.clients,
        increments: options.increments,
        delayMs: options.delayMs,
        linearizability: options.linearizability,
      });
    case 'depth3':
      return depth3Workload({ work: options.work });
    case 'actors': {
      const patterns = actorPatterns;
      const names = patterns.map((p) => p.name).join(', ');
      if (options.pattern === undefined) throw new RacelabError('BAD_OPTION', `\`scenario\` actors needs \`pattern\` NAME; patterns: ${names}`);
      const pattern: ActorPattern | undefined = patterns.find((p) => p.name === options.pattern);
      if (!pattern) throw new RacelabError('UNKNOWN_SCENARIO', `"${options.pattern}" is not an actor pattern; use one of ${names}`, { subject: 'pattern' });
      return actorPatternWorkload(pattern, options.variant ?? (pattern.vulnerable[0] as string), { senders: options.senders, messages: options.messages });
    }
    case 'consumer':
      return consumerWorkload({
        variant: options.variant ?? 'naive',
        messages: options.messages,
        keys: options.keys,
        consumers: options.consumers,
        crashes: options.crashes,
        ackTimeouts: options.ackTimeouts,
      });
  }
}
