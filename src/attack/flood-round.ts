import { status } from '@grpc/grpc-js';
import type { CallOutcome } from '../burst/call.js';
import { runFlood, type FloodResult } from '../burst/flood.js';
import type { StatusCount } from '../burst/stats.js';
import { encodeJsonMessage } from '../grpc/json-message.js';
import { isUnknownOutcome, statusName } from '../grpc/status.js';
import type { AttackRun } from './attack-run.js';
import { judge } from './judge.js';
import type { Endpoint } from './plan.js';
import { ATTACK_LIMITS, shortName, type AttackReport, type FloodSettings, type RoundReport } from './report.js';
import { applyTemplate, templatePlaceholders } from './template.js';
import { plural } from '../core/units.js';

export interface FloodRoundResult {
  readonly clients: number;
  /** The flood as one round: the invariant judged once, over every call. */
  readonly round: RoundReport;
  readonly flood: NonNullable<AttackReport['flood']>;
  readonly latenciesMs: number[];
  readonly statusCodes: StatusCount[];
}

/**
 * A flood: calls at a steady rate (or as fast as `concurrency` calls in flight allow) for a while, cycling over
 * the endpoints, with the state read before and after and the invariant judged once over all of it.
 */
export async function floodRound(run: AttackRun, flood: FloodSettings): Promise<FloodRoundResult> {
  const { options: o, resolved: r, sync, random, warnings, progress, history } = run;
  const concurrency = flood.concurrency ?? (flood.rate === 'max' ? 100 : ATTACK_LIMITS.maxFloodInFlight);
  const connections = sync === 'connections' ? Math.min(o.connections ?? 10, 256) : 1;
  await run.read('setup', 0);
  const before = await run.read('before', 0);
  progress(`flood: ${flood.rate === 'max' ? `as fast as ${concurrency} calls in flight allow` : `${flood.rate} calls/s`} for ${flood.durationMs}ms over ${plural(connections, 'connection')}`);
  const byMethod = new Map<string, { ok: number; failed: number; unknown: number; count: number; responses: unknown[] }>();
  const cycle = r.endpoints.flatMap((e) => Array.from({ length: e.count }, () => e));
  // Requests without placeholders are encoded once; templated ones per call.
  const fixed = new Map(r.endpoints.filter((e) => templatePlaceholders(e.data).size === 0).map((e) => [e, encodeJsonMessage(e.method.requestType, e.data, e.dataSource)]));
  const result: FloodResult = await runFlood({
    transport: r.transport,
    rate: flood.rate,
    durationMs: flood.durationMs,
    connections,
    concurrency,
    ...(o.signal ? { signal: o.signal } : {}),
    makeCall: (index, client) => {
      const e = cycle[index % cycle.length] as Endpoint;
      const request =
        fixed.get(e) ?? encodeJsonMessage(e.method.requestType, applyTemplate(e.data, { index, client, round: 0, uuid: () => random.uuid(), run: run.runId }), e.dataSource);
      return { index, client, path: e.method.path, request, offsetMicros: 0 };
    },
    onOutcome: (out: CallOutcome) => {
      // Per-method tallies for `by.Method.*`; a flood keeps no responses (there may be millions).
      const t = byMethod.get(shortName(out.path)) ?? { ok: 0, failed: 0, unknown: 0, count: 0, responses: [] };
      t.count++;
      if (out.code === status.OK) t.ok++;
      else if (isUnknownOutcome(out.code)) t.unknown++;
      else t.failed++;
      byMethod.set(shortName(out.path), t);
      history?.call(out, null, undefined);
    },
  });
  const after = await run.read('after', 0);
  const scope = { before, after, ok: result.ok, failed: result.failed, unknown: result.unknown, count: result.completed, round: 0, results: [], responses: [], by: Object.fromEntries(byMethod) };
  const verdict = judge(r.invariant, scope);
  const round: RoundReport = { round: 1, ...verdict, calls: result.completed, ok: result.ok, failed: result.failed, unknown: result.unknown, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}), wallMs: result.wallMs };
  const statusCodes: StatusCount[] = [];
  for (const [code, e] of [...result.outcomesByCode.entries()].sort((a, b) => a[0] - b[0])) {
    statusCodes.push({ code, name: statusName(code), count: e.count, ...(e.example ? { example: e.example } : {}) });
  }
  if (result.skipped > 0) warnings.push(`flood: ${plural(result.skipped, 'call')} fell due while ${concurrency} were in flight and were skipped (the server is slower than \`rate\`)`);
  return {
    clients: connections,
    round,
    flood: { rate: flood.rate, durationMs: flood.durationMs, concurrency, sent: result.sent, completed: result.completed, skipped: result.skipped, callsPerSecond: result.callsPerSecond },
    latenciesMs: result.latenciesMs,
    statusCodes,
  };
}
