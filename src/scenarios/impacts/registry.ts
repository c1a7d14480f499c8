import { RacelabError } from '../../core/errors.js';
import { bankScenario } from '../bank/scenario.js';
import { checkoutScenario } from '../checkout/scenario.js';
import { couponScenario } from '../coupon/scenario.js';
import { inventoryScenario } from '../inventory/scenario.js';
import { privilegeScenario } from '../privilege/scenario.js';
import { rateLimitScenario } from '../ratelimit/scenario.js';
import { sessionScenario } from '../session/scenario.js';
import type { ImpactScenario } from './scenario.js';

/**
 * The impact scenarios, in the order `racelab demo impacts` shows them. An explicit list: a scenario is here
 * because it is named here, never because some module was imported first.
 */
export const impactScenarios: readonly ImpactScenario[] = [bankScenario, inventoryScenario, checkoutScenario, couponScenario, rateLimitScenario, privilegeScenario, sessionScenario];

/** The scenario of that name; an unknown one is one line listing the ones there are. */
export function impactScenario(name: string): ImpactScenario {
  const s = impactScenarios.find((x) => x.name === name);
  if (!s) throw new RacelabError('UNKNOWN_SCENARIO', `"${name}" is not a scenario; use one of ${['counter', ...impactScenarios.map((x) => x.name)].join(', ')}`, { subject: 'scenario' });
  return s;
}

export function isImpactScenario(name: string): boolean {
  return impactScenarios.some((x) => x.name === name);
}
