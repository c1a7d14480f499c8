import { RacelabError } from '../core/errors.js';
import { impactScenarios } from '../scenarios/impacts/registry.js';
import { sessionEndAttack } from '../scenarios/session/scenario.js';

/**
 * A scenario's built-in check for `racelab attack --scenario NAME`: which calls to burst, how to read the state
 * before and after, the invariant over them, and how its calls are named in a history for `racelab check`.
 */
export interface AttackScenario {
  readonly name: string;
  readonly description: string;
  /** Default burst endpoint(s), `Service/Method`, used when the user gives no --call. */
  readonly calls: readonly string[];
  /** Request JSON of each default call, by its entry in `calls`; `{}` when absent. */
  readonly callData?: Readonly<Record<string, unknown>>;
  /**
   * A call made before each round's `before` read (placeholders filled as in the round's calls): opens what the
   * round bursts on, fresh (a coupon code issued for that round), so no round finds it used up by an earlier one.
   */
  readonly setup?: { readonly method: string; readonly data: unknown };
  readonly before?: string;
  readonly after?: string;
  /** Request JSON of the scenario's own before and after reads; `{}` when absent. */
  readonly checkData?: unknown;
  readonly invariant: string;
  /**
   * Status codes the scenario's own service answers when it refuses a call before it has any effect (a rate
   * limit's ResourceExhausted): counted as failed, not as unknown outcomes. Elsewhere those codes stay unknown.
   */
  readonly refusals?: readonly number[];
  /** The checker's model for a recorded history (`racelab check --model`). */
  readonly model?: string;
  /** History operation name and value of a call: invoke value from the request, ok value from the response. */
  historyOp?(method: string, request: unknown, response: unknown): { f: string; invokeValue: unknown; okValue: unknown } | undefined;
  /**
   * The model's initial value (what `racelab check` reads from a history's header) from the first `before` read's
   * response and request; undefined when that read does not say.
   */
  initialFrom?(beforeResponse: unknown, beforeRequest: unknown): unknown;
}

export const attackScenarios: Readonly<Record<string, AttackScenario>> = {
  counter: {
    name: 'counter',
    description: "the seed's Counter service: every acknowledged Increment adds exactly one",
    calls: ['Counter/Increment'],
    before: 'Counter/GetValue',
    after: 'Counter/GetValue',
    invariant: 'after.value - before.value == ok',
    model: 'counter',
    historyOp(method, _request, response) {
      if (method === 'Increment') return { f: 'increment', invokeValue: null, okValue: null };
      if (method === 'GetValue') return { f: 'get', invokeValue: null, okValue: (response as { value?: unknown } | undefined)?.value ?? null };
      return undefined;
    },
    initialFrom: (response) => Number((response as { value?: unknown } | undefined)?.value ?? 0),
  },
  // The impact scenarios (bank, …), each from its own folder.
  ...Object.fromEntries(impactScenarios.map((s) => [s.name, s.attack])),
  // The session pool's End burst: the double logout that gives back a slot twice, or crashes the table.
  'session-end': sessionEndAttack,
};

export function attackScenario(name: string): AttackScenario {
  const s = attackScenarios[name];
  if (!s) throw new RacelabError('UNKNOWN_SCENARIO', `"${name}" has no built-in attack check; use one of ${Object.keys(attackScenarios).join(', ')}, or write \`invariant\``, { subject: 'scenario' });
  return s;
}
