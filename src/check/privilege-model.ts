import { plural } from '../core/units.js';
import { hashValue, showValue, type Model, type OperationCall } from './model.js';

/**
 * Privilege revocation, per user: `grant {user}` makes the user an admin, `revoke {user}` takes it away, an
 * accepted `action {user}` (an admin action) is legal only while the user is an admin and counts one action;
 * `audit {user}` reads the count. Every ok value is the action count: after the grant, after the action, as of
 * the revoke, at the audit. A refused action (`fail`) changed nothing. The role and the count start unknown and
 * are learned from the first operation that shows them.
 *
 * An action accepted after a revoke that completed before it began cannot be placed, and neither can an
 * action whose count is above the count a concurrent revoke saw (it took effect after that revoke): the
 * checker names it.
 */
export type PrivilegeInput = { readonly kind: 'grant' | 'revoke' | 'action' | 'audit'; readonly user: string };

export interface PrivilegeState {
  readonly role: 'admin' | 'revoked' | 'unknown';
  /** Actions that took effect: known, or unknown plus the actions seen since. */
  readonly actions: { readonly known: number } | { readonly unknownPlus: number };
}

const KINDS: Record<string, PrivilegeInput['kind']> = { grant: 'grant', revoke: 'revoke', action: 'action', audit: 'audit' };

export function decodePrivilegeOperation(op: OperationCall): { input: PrivilegeInput; output: number | undefined } {
  const kind = KINDS[op.f];
  if (!kind) throw new Error(`the privilege model has no operation "${op.f}"; it knows grant, revoke, action and audit`);
  const raw = op.completeValue;
  const output = raw === undefined || raw === null ? undefined : Number(raw);
  if (output !== undefined && (!Number.isInteger(output) || output < 0)) throw new Error(`${op.f} returned ${showValue(raw)}; a privilege ${op.f} returns an action count`);
  const user = op.invokeValue && typeof op.invokeValue === 'object' ? (op.invokeValue as Record<string, unknown>).user : undefined;
  if (typeof user !== 'string') throw new Error(`${op.f} needs user (a string), not ${showValue(op.invokeValue)}`);
  return { input: { kind, user }, output };
}

/** The count after adding `by` actions, checked against `out` when it was seen. */
function count(actions: PrivilegeState['actions'], by: number, out: number | undefined): PrivilegeState['actions'] | undefined {
  if ('known' in actions) {
    const after = actions.known + by;
    return out !== undefined && out !== after ? undefined : { known: after };
  }
  if (out !== undefined) return out < actions.unknownPlus + by ? undefined : { known: out };
  return { unknownPlus: actions.unknownPlus + by };
}

export function privilegeModel(): Model<PrivilegeState, PrivilegeInput, number> {
  return {
    name: 'privilege',
    init: () => ({ role: 'unknown', actions: { unknownPlus: 0 } }),
    // The start already knows nothing: any role, any count.
    unknownState: () => ({ role: 'unknown', actions: { unknownPlus: 0 } }),
    decode: decodePrivilegeOperation,
    partitionKey: (input) => input.user,
    step(state, input, out) {
      if (input.kind === 'action' && state.role === 'revoked') return [false, state];
      const actions = count(state.actions, input.kind === 'action' ? 1 : 0, out);
      if (!actions) return [false, state];
      const role = input.kind === 'grant' || input.kind === 'action' ? 'admin' : input.kind === 'revoke' ? 'revoked' : state.role;
      return [true, { role, actions }];
    },
    readOnly: (input) => input.kind === 'audit',
    equal: (a, b) => a.role === b.role && JSON.stringify(a.actions) === JSON.stringify(b.actions),
    hash: (s) => hashValue(`${s.role} ${JSON.stringify(s.actions)}`),
    describeOperation: (input, out) => {
      const what = { grant: `grant ${input.user}`, revoke: `revoke ${input.user}`, action: `admin action of ${input.user}`, audit: `audit ${input.user}` }[input.kind];
      return out === undefined ? what : `${what} → ${plural(out, 'action')}${input.kind === 'revoke' ? ' before it' : ''}`;
    },
    describeState: (s) =>
      `${s.role === 'admin' ? 'an admin' : s.role === 'revoked' ? 'revoked' : 'role unknown'}; ${'known' in s.actions ? s.actions.known : s.actions.unknownPlus ? `unknown + ${s.actions.unknownPlus}` : 'unknown'} actions`,
  };
}
