import { AbortedRun, unlessAborted, type Interrupted } from '../../core/interrupt.js';
import { RacelabError } from '../../core/errors.js';
import { formatMs } from '../../core/units.js';
import type { Scheduler } from '../../sched/scheduler.js';
import { MessageTimeline, type TimelineRecord } from '../../actor/index.js';

export type { TimelineMessage, TimelineRecord } from '../../actor/index.js';
import { actorPattern, actorPatterns } from './registry.js';
import type { ActorPattern, PatternOutcome } from './pattern.js';

export interface ActorDemoOptions {
  /** Stops the demo: the runs that finished are reported, with `interrupted`. */
  signal?: AbortSignal;
  /** Pattern names; default all, in the seed's order. */
  patterns?: string[];
  /** Only these variants (each must belong to one of the patterns); default all. */
  variants?: string[];
  seed?: number;
  /** Override every pattern's default number of clients / messages per client. */
  senders?: number;
  messages?: number;
  scheduler?: Scheduler;
  onProgress?: (line: string) => void;
  /**
   * Record each variant's messages (actor, enqueued, handler start and end, reads and writes of shared state) for
   * the page's timelines; `cap` messages at most per variant (default 500). Default: not recorded.
   */
  timeline?: boolean | { cap?: number };
}

export interface ActorDemoRun extends PatternOutcome {
  title: string;
  /** Which side of the pattern this variant is on. */
  form: 'vulnerable' | 'fixed';
  /** What the variant's code does. */
  summary: string;
  wallMs: number;
  explanation: string;
  /** The run's messages, when `timeline` was asked for. */
  timeline?: TimelineRecord;
}

export interface ActorDemoReport {
  kind: 'actor-demo';
  settings: { seed: number; senders: number | null; messages: number | null; patterns: string[] };
  runs: ActorDemoRun[];
  summary: { vulnerable: number; vulnerableShowingRace: number; fixed: number; fixedHolding: number };
  explanation: string[];
  /** Set when `signal` stopped the demo: `runs` holds the runs that finished. */
  interrupted?: Interrupted;
}

/** Resolves the patterns and variants to run, failing on any unknown name before anything runs. */
function plan(options: ActorDemoOptions): Array<{ pattern: ActorPattern; variant: string }> {
  const patterns = (options.patterns ?? actorPatterns.map((p) => p.name)).map(actorPattern);
  const all = patterns.flatMap((pattern) => [...pattern.vulnerable, ...pattern.fixed].map((variant) => ({ pattern, variant })));
  if (!options.variants) return all;
  for (const v of options.variants) {
    if (!all.some((x) => x.variant === v)) {
      throw new RacelabError(
        'UNKNOWN_VARIANT',
        `"${v}" is not a variant of ${patterns.length === 1 ? `pattern ${patterns[0]?.name}` : 'the chosen patterns'}; use one of ${all.map((x) => x.variant).join(', ')}`,
        { subject: 'variant' },
      );
    }
  }
  return all.filter((x) => options.variants?.includes(x.variant));
}

/**
 * `racelab demo actors`: runs every pattern of the seed, vulnerable and fixed, on the actor runtime, and explains
 * each outcome from the numbers that run measured.
 */
export async function runActorDemo(options: ActorDemoOptions = {}): Promise<ActorDemoReport> {
  const todo = plan(options);
  const seed = options.seed ?? 1;
  const progress = options.onProgress ?? (() => undefined);
  const runs: ActorDemoRun[] = [];
  let interrupted: Interrupted | undefined;
  for (const { pattern, variant } of todo) {
    const t0 = performance.now();
    const timeline = options.timeline ? new MessageTimeline(options.timeline === true ? {} : options.timeline) : undefined;
    let outcome;
    try {
      if (options.signal?.aborted) throw new AbortedRun('interrupted');
      outcome = await unlessAborted(
        pattern.run(variant, { seed, senders: options.senders, messages: options.messages, scheduler: options.scheduler, ...(timeline ? { timeline } : {}) }),
        options.signal,
      );
    } catch (e) {
      if (!(e instanceof AbortedRun)) throw e;
      interrupted = { ran: runs.length, planned: todo.length };
      break;
    }
    const wallMs = performance.now() - t0;
    const form = pattern.vulnerable.includes(variant) ? 'vulnerable' : 'fixed';
    progress(`${pattern.name} ${variant}: expected ${outcome.expected} ${outcome.unit}, observed ${outcome.observed}, ${outcome.ok ? 'invariant holds' : 'RACE'} (${formatMs(wallMs)})`);
    runs.push({
      ...outcome,
      title: pattern.title,
      form,
      summary: pattern.variants[variant] ?? '',
      wallMs,
      explanation: pattern.explain(outcome),
      ...(timeline ? { timeline: timeline.finish() } : {}),
    });
  }
  const vulnerable = runs.filter((r) => r.form === 'vulnerable');
  const fixed = runs.filter((r) => r.form === 'fixed');
  const summary = {
    vulnerable: vulnerable.length,
    vulnerableShowingRace: vulnerable.filter((r) => !r.ok).length,
    fixed: fixed.length,
    fixedHolding: fixed.filter((r) => r.ok).length,
  };
  const explanation: string[] = [];
  if (summary.vulnerable > 0) {
    const quiet = vulnerable.filter((r) => r.ok).map((r) => `${r.pattern}/${r.variant}`);
    explanation.push(
      `${summary.vulnerableShowingRace} of ${summary.vulnerable} vulnerable variants broke their invariant in this run${quiet.length ? `; ${quiet.join(', ')} did not this time (a race is a possibility, not a certainty: try more messages or another seed)` : ''}.`,
    );
  }
  if (summary.fixed > 0) {
    const broken = fixed.filter((r) => !r.ok).map((r) => `${r.pattern}/${r.variant}`);
    explanation.push(`${summary.fixedHolding} of ${summary.fixed} fixed variants kept their invariant${broken.length ? `; BROKEN: ${broken.join(', ')}` : ''}.`);
  }
  const counter = runs.find((r) => r.pattern === 'counter-cast' && (r.variant === 'counter' || r.variant === 'safe-counter'));
  if (counter) {
    explanation.push(
      `On the seed's own example: its Counter lost ${counter.lostEffects} of ${counter.expected} increments and never handled two at once (max ${counter.details?.maxHandlersInFlight} in flight), so the seed's "handle_cast(:increment) might be executed concurrently" does not happen in a GenServer; the races that do happen in message passing span several messages, several actors, or leave the actor's one-at-a-time loop.`,
    );
  }
  return {
    kind: 'actor-demo',
    settings: { seed, senders: options.senders ?? null, messages: options.messages ?? null, patterns: [...new Set(todo.map((x) => x.pattern.name))] },
    runs,
    summary,
    explanation,
    ...(interrupted ? { interrupted } : {}),
  };
}

