import { Refusal } from './envelope.js';

/** What an agent will do for one job, whatever the job says: its own limits, not the coordinator's word. */
export interface AgentCaps {
  /** Calls in one job. */
  readonly maxCalls: number;
  /** Calls in any one-second window, over all jobs. */
  readonly maxRate: number;
  /** How long one job may run, from its arrival to its last call's end. */
  readonly maxDurationMs: number;
}

export const DEFAULT_CAPS: AgentCaps = { maxCalls: 1000, maxRate: 2000, maxDurationMs: 60_000 };

/** What a job asks for, as the caps see it. */
export interface JobDemand {
  readonly calls: number;
  readonly durationMs: number;
}

/** Calls sent in the last second, for the rate cap (one timestamp per call, pruned as the window moves). */
export class RateWindow {
  private readonly sent: number[] = [];
  record(calls: number, nowMs: number): void {
    for (let i = 0; i < calls; i++) this.sent.push(nowMs);
  }
  inLastSecond(nowMs: number): number {
    while (this.sent.length > 0 && (this.sent[0] as number) <= nowMs - 1000) this.sent.shift();
    return this.sent.length;
  }
}

/** Throws a Refusal ('over-caps') naming the first cap the job would break. */
export function checkCaps(demand: JobDemand, caps: AgentCaps, window: RateWindow, nowMs: number): void {
  if (demand.calls > caps.maxCalls) throw new Refusal('over-caps', `the job asks for ${demand.calls} calls; this agent makes at most ${caps.maxCalls} per job`);
  if (demand.durationMs > caps.maxDurationMs) throw new Refusal('over-caps', `the job may run ${demand.durationMs}ms; this agent runs a job for at most ${caps.maxDurationMs}ms`);
  const recent = window.inLastSecond(nowMs);
  if (recent + demand.calls > caps.maxRate) {
    throw new Refusal('over-caps', `${demand.calls} calls now, after ${recent} in the last second, would pass this agent's ${caps.maxRate} calls/s`);
  }
}
