import { RacelabError } from '../../core/errors.js';
import { asyncWritebackPattern } from './async-writeback.js';
import { checkThenActPattern } from './check-then-act.js';
import { counterCastPattern } from './counter-cast.js';
import { floodingPattern } from './flooding.js';
import { idempotencyKeyPattern } from './idempotency-key.js';
import type { ActorPattern } from './pattern.js';
import { seqAckPattern } from './seq-ack.js';
import { sharedStorePattern } from './shared-store.js';
import { stateMachinePattern } from './state-machine.js';
import { supervisorRestartPattern } from './supervisor-restart.js';


/**
 * The seed's message-passing races, each in vulnerable and fixed forms, and its mitigations, in the seed's order:
 * the Counter it gets wrong, the races that do happen, then idempotency, state machines, sequence numbers.
 */
export const actorPatterns: readonly ActorPattern[] = [
  counterCastPattern,
  checkThenActPattern,
  asyncWritebackPattern,
  sharedStorePattern,
  floodingPattern,
  supervisorRestartPattern,
  idempotencyKeyPattern,
  stateMachinePattern,
  seqAckPattern,
];

export function actorPattern(name: string): ActorPattern {
  const p = actorPatterns.find((x) => x.name === name);
  if (!p) throw new RacelabError('UNKNOWN_SCENARIO', `"${name}" is not an actor pattern; use one of ${actorPatterns.map((x) => x.name).join(', ')}`, { subject: 'pattern' });
  return p;
}
