import { asyncWritebackPattern } from '../actors/async-writeback.js';
import { checkThenActPattern } from '../actors/check-then-act.js';
import { counterCastPattern } from '../actors/counter-cast.js';
import { floodingPattern } from '../actors/flooding.js';
import type { ActorPattern } from '../actors/pattern.js';
import { sharedStorePattern } from '../actors/shared-store.js';
import { supervisorRestartPattern } from '../actors/supervisor-restart.js';

// TEMPORARY until src/scenarios/actors publishes its registry (`actorPatterns`): the patterns committed so far.
export function actorPatternList(): readonly ActorPattern[] {
  return [counterCastPattern, checkThenActPattern, asyncWritebackPattern, sharedStorePattern, floodingPattern, supervisorRestartPattern];
}
