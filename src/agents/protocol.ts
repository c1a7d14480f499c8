/**
 * The subjects and messages between a coordinator and its agents. Every subject starts with a prefix (default
 * `racelab`), so runs (and tests) sharing one NATS server stay apart. What makes an agent act (jobs, releases) is
 * signed (envelope.ts); what an agent says back (reports, clock readings, health) is not: it carries no power.
 */
export const DEFAULT_SUBJECT_PREFIX = 'racelab';

export function agentSubjects(prefix: string, name: string) {
  return {
    /** Signed jobs for this agent; the job's NATS reply subject receives its reports. */
    jobs: `${prefix}.agent.${name}.jobs`,
    /** Signed releases of a staged burst. */
    release: `${prefix}.agent.${name}.release`,
    /** Request/reply: the agent answers with its clock reading (`ClockReading`). */
    clock: `${prefix}.agent.${name}.clock`,
  };
}

/** Request/reply to every agent under the prefix: each answers with its health. */
export function discoverSubject(prefix: string): string {
  return `${prefix}.agents.discover`;
}

/** Where agents publish their health, periodically and when they stop. */
export function healthSubject(prefix: string): string {
  return `${prefix}.agents.health`;
}

/** An agent name becomes a subject token: letters, digits, `_` and `-`. */
export const AGENT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export interface ClockReading {
  readonly agent: string;
  readonly agentMicros: number;
  /** How far the agent's own wall-clock reading may be off (see calibrateWallClock); absent from older agents. */
  readonly clockUncertaintyMicros?: number;
}

/** One call as an agent reports it; times are on the agent's clock, except the server's handler start. */
export interface AgentCallOutcome {
  readonly index: number;
  readonly path: string;
  readonly code: number;
  readonly details: string;
  readonly sentAgentMicros: number;
  readonly doneAgentMicros: number;
  /** The server's monotonic clock, from a racelab server's trailer: comparable across agents hitting one server. */
  readonly handlerStartMicros?: number;
  /** Base64 of the encoded response, for OK calls. */
  readonly response?: string;
}

export type AgentReport =
  | { readonly kind: 'refused'; readonly agent: string; readonly jobId?: string; readonly reason: string; readonly detail: string }
  | { readonly kind: 'ready'; readonly agent: string; readonly jobId: string; readonly agentMicros: number }
  | { readonly kind: 'result'; readonly agent: string; readonly jobId: string; readonly releasedAgentMicros: number; readonly outcomes: readonly AgentCallOutcome[]; readonly warnings: readonly string[] }
  | { readonly kind: 'abandoned'; readonly agent: string; readonly jobId: string; readonly detail: string }
  | { readonly kind: 'failed'; readonly agent: string; readonly jobId: string; readonly detail: string };

/** An agent's health: what it is, what it allows, what it did and refused. */
export interface AgentHealth {
  readonly agent: string;
  readonly state: 'idle' | 'busy' | 'stopping';
  readonly allowTargets: string;
  readonly caps: { readonly maxCalls: number; readonly maxRate: number; readonly maxDurationMs: number };
  readonly trustKey: string;
  readonly jobsDone: number;
  readonly jobsFailed: number;
  readonly refused: Readonly<Record<string, number>>;
  readonly uptimeMs: number;
  readonly currentJob?: string;
}
