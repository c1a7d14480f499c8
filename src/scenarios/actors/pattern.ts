import { ActorSystem, type MessageTimeline, type Pid, type Process } from '../../actor/index.js';
import { realClock } from '../../core/clock.js';
import { RacelabError } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import { currentScheduler, type Scheduler } from '../../sched/scheduler.js';

/** What one run of a pattern variant measured. `ok` is the pattern's invariant: false = the race showed. */
export interface PatternOutcome {
  pattern: string;
  variant: string;
  /** Every message the actor runtime carried in this run (sends, casts, calls, replies, exit signals). */
  messagesSent: number;
  /**
   * What `expected`, `observed` and the lost and duplicated effects count, as a plural noun (`increments`,
   * `deposits`): one unit for all four, so a table can label them. Other measures (money) go in `details`.
   */
  unit: string;
  expected: number | string;
  observed: number | string;
  /** Effects that should have happened and did not (overwritten increments, dropped deposits). */
  lostEffects: number;
  /** Effects that happened more than once (a retried charge, a shipped-and-refunded order). */
  duplicatedEffects: number;
  ok: boolean;
  details?: Record<string, number | string>;
}

/**
 * The outcome of a pattern whose effect is a count (increments, redemptions): lost effects are the shortfall,
 * duplicated effects the excess. `ok` defaults to an exact count; a pattern with a further invariant passes it.
 */
export function countOutcome(o: {
  pattern: string;
  variant: string;
  system: ActorSystem;
  unit: string;
  expected: number;
  observed: number;
  ok?: boolean;
  details?: Record<string, number | string>;
}): PatternOutcome {
  return {
    pattern: o.pattern,
    variant: o.variant,
    messagesSent: o.system.stats.messagesSent,
    unit: o.unit,
    expected: o.expected,
    observed: o.observed,
    lostEffects: Math.max(0, o.expected - o.observed),
    duplicatedEffects: Math.max(0, o.observed - o.expected),
    ok: o.ok ?? o.observed === o.expected,
    ...(o.details ? { details: o.details } : {}),
  };
}

export interface PatternRunOptions {
  /** Default: the ambient scheduler (`currentScheduler()`), i.e. the real one unless an explorer installed its own. */
  scheduler?: Scheduler;
  /** Seeds every random choice of the run (think times, delays, drops). Default 1. */
  seed?: number;
  /** Concurrent clients; default per pattern (smaller under virtual time, so exploration stays tractable). */
  senders?: number;
  /** Messages (rounds, operations) per client; default per pattern, likewise. */
  messages?: number;
  /** Record the run's messages on this timeline (its actor system records into it); default none. */
  timeline?: MessageTimeline;
}

export interface ActorPattern {
  name: string;
  title: string;
  vulnerable: string[];
  fixed: string[];
  /** One sentence per variant: what its code does. */
  variants: Record<string, string>;
  run(variant: string, options?: PatternRunOptions): Promise<PatternOutcome>;
  /** Why the outcome is what it is, in words built from the outcome's own numbers. */
  explain(outcome: PatternOutcome): string;
}

/** Everything a pattern's workload gets: the actor system on the run's scheduler, seeded randomness, sizes. */
export interface Workload {
  readonly system: ActorSystem;
  readonly scheduler: Scheduler;
  readonly rng: Random;
  readonly senders: number;
  readonly messages: number;
  /** True under virtual time (an explorer): keep waits and sizes small. */
  readonly virtualTime: boolean;
  /** Where the workload reports its reads and writes of shared state, when the run is recorded (else null). */
  readonly timeline: MessageTimeline | null;
}

export interface WorkloadSizes {
  readonly senders: number;
  readonly messages: number;
}

export function checkVariant(pattern: Pick<ActorPattern, 'name' | 'vulnerable' | 'fixed'>, variant: string): void {
  if (!pattern.vulnerable.includes(variant) && !pattern.fixed.includes(variant)) {
    throw new RacelabError(
      'UNKNOWN_VARIANT',
      `actor pattern ${pattern.name}: "${variant}" is not a variant; use one of ${[...pattern.vulnerable, ...pattern.fixed].join(', ')}`,
    );
  }
}

/**
 * Runs a workload as one task of the scheduler (the "driver"), inside a fresh actor system that is shut down
 * afterwards, whatever happens. All concurrency of the run (processes, timers, waits) goes through `scheduler`,
 * so a controlled scheduler decides every interleaving. Sizes default to `real` under real time and to `virtual`
 * under virtual time.
 */
export async function runWorkload<T>(
  options: PatternRunOptions,
  sizes: { real: WorkloadSizes; virtual: WorkloadSizes },
  body: (w: Workload) => Promise<T>,
): Promise<{ result: T; system: ActorSystem; senders: number; messages: number }> {
  const scheduler = options.scheduler ?? currentScheduler();
  const virtualTime = scheduler.clock !== realClock;
  const defaults = virtualTime ? sizes.virtual : sizes.real;
  const senders = options.senders ?? defaults.senders;
  const messages = options.messages ?? defaults.messages;
  for (const [what, n] of [
    ['senders', senders],
    ['messages', messages],
  ] as const) {
    if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new RacelabError('BAD_COUNT', `${what}: ${n} must be a whole number from 1 to 100000`);
  }
  const system = new ActorSystem({ scheduler, ...(options.timeline ? { timeline: options.timeline } : {}) });
  const rng = Random.seeded(options.seed ?? 1);
  const run: { outcome: { ok: true; value: T } | { ok: false; error: unknown } } = { outcome: { ok: false, error: new Error('workload did not run') } };
  await scheduler.spawn('driver', async () => {
    try {
      run.outcome = { ok: true, value: await body({ system, scheduler, rng, senders, messages, virtualTime, timeline: system.timeline }) };
    } catch (e) {
      run.outcome = { ok: false, error: e };
    } finally {
      // The body has its result: the shutdown's steps come after it (a trace lists them apart).
      scheduler.windDown?.();
      await system.shutdown();
    }
  });
  const { outcome } = run;
  if (!outcome.ok) throw outcome.error;
  return { result: outcome.value, system, senders, messages };
}

/** Starts `count` client processes running `body(self, index)`. */
export function spawnClients(system: ActorSystem, count: number, name: string, body: (self: Process, index: number) => Promise<void>): Pid[] {
  return Array.from({ length: count }, (_, i) => system.spawn((self) => body(self, i), { name: `${name}-${i + 1}` }));
}

/** Waits for every process to exit; rethrows the first crash of a client (a bug in the workload, not a race). */
export async function joinAll(system: ActorSystem, pids: readonly Pid[]): Promise<void> {
  for (const pid of pids) {
    const reason = await system.join(pid);
    if (typeof reason === 'object') throw reason.error;
  }
}

/** Median of a list (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** "1 update" / "3 updates". */
export { plural } from '../../core/units.js';
