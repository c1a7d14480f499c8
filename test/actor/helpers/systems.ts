import { afterEach } from 'vitest';
import { ActorSystem } from '../../../src/actor/index.js';
import { RacelabError } from '../../../src/core/index.js';

/**
 * For a test file: returns `newSystem(callTimeoutMs?)`, which makes an ActorSystem that is shut down after each
 * test, so no test leaves processes running into the next.
 */
export function actorSystems(): (callTimeoutMs?: number) => ActorSystem {
  const systems: ActorSystem[] = [];
  afterEach(async () => {
    for (const s of systems.splice(0)) await s.shutdown();
  });
  return (callTimeoutMs) => {
    const s = new ActorSystem(callTimeoutMs === undefined ? {} : { callTimeoutMs });
    systems.push(s);
    return s;
  };
}

/** The RacelabError `p` rejects with (fails the test if it resolves or rejects with anything else). */
export async function rejection(p: Promise<unknown>): Promise<RacelabError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RacelabError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}
