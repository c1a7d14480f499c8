import { RacelabError, messageOf } from '../core/errors.js';
import type { Workload } from '../explore/workload.js';
import { checkVariant, type ActorPattern, type PatternOutcome } from '../scenarios/actors/pattern.js';

export interface ActorWorkloadOptions {
  /** Concurrent clients; default: the pattern's own size for virtual time (small, so dfs stays tractable). */
  readonly senders?: number;
  /** Messages (rounds) per client; default likewise. */
  readonly messages?: number;
}

/**
 * An actor pattern (src/scenarios/actors) as an explore workload. The pattern's `run` does everything on the
 * scheduler it is given: it spawns its driver, the actors and the clients as tasks, and every delivery, send,
 * wait and timer is a scheduling point or a waitFor of that scheduler, so the explorer decides the order of every
 * message. The pattern's own verdict (`outcome.ok`) is the invariant.
 */
export function actorPatternWorkload(pattern: ActorPattern, variant: string, options: ActorWorkloadOptions = {}): Workload {
  checkVariant(pattern, variant);
  for (const [name, n] of [
    ['senders', options.senders],
    ['messages', options.messages],
  ] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 1000)) throw new RacelabError('BAD_COUNT', `"${n}" must be a whole number from 1 to 1000`, { subject: name });
  }
  return {
    name: 'actors',
    params: {
      pattern: pattern.name,
      variant,
      ...(options.senders !== undefined ? { senders: options.senders } : {}),
      ...(options.messages !== undefined ? { messages: options.messages } : {}),
    },
    setup(ctx) {
      let outcome: PatternOutcome | undefined;
      let failure: unknown;
      // Called during setup: the pattern registers its driver task with the scheduler, which starts it with the run.
      const finished = pattern
        .run(variant, { scheduler: ctx.scheduler, seed: ctx.seed, senders: options.senders, messages: options.messages })
        .then(
          (o) => {
            outcome = o;
          },
          (e: unknown) => {
            failure = e ?? new Error('the pattern run rejected without a reason');
          },
        );
      return {
        invariant: async () => {
          await finished;
          if (failure !== undefined) return `${pattern.name}/${variant}: the workload itself failed: ${messageOf(failure)}`;
          if (!outcome) return `${pattern.name}/${variant}: the workload produced no outcome`;
          if (outcome.ok) return true;
          return `${pattern.name}/${variant}: expected ${outcome.expected} ${outcome.unit}, observed ${outcome.observed}${outcome.lostEffects ? `, ${outcome.lostEffects} lost` : ''}${outcome.duplicatedEffects ? `, ${outcome.duplicatedEffects} duplicated` : ''}. ${pattern.explain(outcome)}`;
        },
      };
    },
  };
}
