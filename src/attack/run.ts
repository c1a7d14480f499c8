import { plural } from '../core/units.js';
import { writeFile } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import { RacelabError, messageOf } from '../core/errors.js';
import { Random } from '../core/random.js';
import { status } from '@grpc/grpc-js';
import type { CallOutcome } from '../burst/call.js';
import { isUnknownOutcome, statusName } from '../grpc/status.js';
import { createSyncPolicy } from '../burst/create-policy.js';
import { runFlood, type FloodResult } from '../burst/flood.js';
import { connectChannel, openChannel, sendUnary } from '../burst/grpc-call.js';
import { buildBurst, type Endpoint } from './plan.js';
import { applyTemplate, templatePlaceholders } from './template.js';
import { latencyReport, sendSpread, serverSpread, statusDistribution, summarizeSpreads, type BurstSpread, type StatusCount } from '../burst/stats.js';
import type { BurstTransport } from '../burst/sync-policy.js';
import { decodeMessage, encodeJsonMessage } from '../grpc/json-message.js';
import type { MethodSchema } from '../grpc/schema.js';
import type { HistoryEvent } from '../history/event.js';
import { HistoryLog } from './record.js';
import { ATTACK_LIMITS, clientsWord, formatMicros, shortName, type AttackCall, type AttackOptions, type AttackReport, type RoundReport } from './report.js';
import { checkRange, resolveAttack } from './resolve.js';
import { invariantScope, judge, overallVerdict } from './judge.js';

/** A channel of its own for the before/after reads, so they never share a connection with the burst. */
class CheckChannel {
  private client: grpc.Client | undefined;
  constructor(private readonly transport: BurstTransport) {}
  async read(check: { method: MethodSchema; data: unknown }, what: string): Promise<{ value: Record<string, unknown>; outcome: CallOutcome }> {
    if (!this.client) {
      this.client = openChannel(this.transport, true);
      await connectChannel(this.client, this.transport).catch((e: unknown) => {
        throw new RacelabError('UNREACHABLE', `${what}: could not connect to ${this.transport.target} (${messageOf(e)})`);
      });
    }
    const request = encodeJsonMessage(check.method.requestType, check.data, `${what} data`);
    const outcome = await sendUnary(this.client, { index: -1, client: -1, path: check.method.path, request, offsetMicros: 0 }, this.transport);
    if (outcome.code !== status.OK || !outcome.response) {
      throw new RacelabError(outcome.code === status.UNAVAILABLE ? 'UNREACHABLE' : 'BAD_OPTION', `${what}: ${check.method.path} failed with ${statusName(outcome.code)}: ${outcome.details}`);
    }
    return { value: decodeMessage(check.method.responseType, outcome.response), outcome };
  }
  close(): void {
    this.client?.close();
  }
}

/**
 * `racelab attack`: resolves the target's types (a .proto or server reflection), checks every input before
 * connecting, then runs `rounds` bursts with the chosen synchronization, reading the state before and after
 * each and judging the invariant. Every number in the report was measured in this run.
 */
export async function runAttack(o: AttackOptions): Promise<AttackReport> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const progress = o.onProgress ?? (() => {});
  const sync = o.sync ?? 'last-frame';
  const rounds = o.flood ? 1 : (o.rounds ?? ATTACK_LIMITS.defaultRounds);
  checkRange(rounds, '--rounds', 1, ATTACK_LIMITS.maxRounds);
  const pauseMs = o.pauseMs ?? ATTACK_LIMITS.defaultPauseMs;
  checkRange(pauseMs, '--pause', 0, ATTACK_LIMITS.maxPauseMs);
  checkRange(o.settleMs, '--settle', 0, ATTACK_LIMITS.maxPauseMs);
  checkRange(o.mss, '--mss', 20, 65_535);
  if (o.flood) {
    if (o.flood.rate !== 'max') checkRange(o.flood.rate, '--rate', 1, ATTACK_LIMITS.maxFloodRate);
    checkRange(o.flood.durationMs, '--duration', 1, ATTACK_LIMITS.maxFloodDurationMs);
    checkRange(o.flood.concurrency, '--concurrency', 1, ATTACK_LIMITS.maxFloodInFlight);
    if (sync !== 'parallel' && sync !== 'connections') {
      throw new RacelabError('BAD_OPTION', `--flood: runs over one channel (--sync parallel) or several (--sync connections), not --sync ${sync}`);
    }
  }
  const seed = o.seed ?? Random.freshSeed();
  const random = Random.seeded(seed);
  // A path that cannot be written is bad input now, not after the run.
  if (o.record) await writeFile(o.record, '').catch((e: unknown) => {
    throw new RacelabError('BAD_OPTION', `--record: cannot write ${o.record} (${messageOf(e)})`);
  });
  const r = await resolveAttack(o, warnings);
  const history = o.record ? new HistoryLog(r.scenario) : undefined;
  const checks = new CheckChannel(r.transport);
  const roundReports: RoundReport[] = [];
  const allOutcomes: CallOutcome[] = [];
  const sendSpreads: Array<BurstSpread | undefined> = [];
  const serverSpreads: Array<BurstSpread | undefined> = [];
  const kept: AttackCall[] | undefined = o.keepCalls ? [] : undefined;
  let clients: number;
  let floodReport: AttackReport['flood'];
  const floodStatus: StatusCount[] = [];
  let floodLatencies: number[] | undefined;
  const callsPerBurst = r.endpoints.reduce((s, e) => s + e.count, 0);
  const read = async (which: 'before' | 'after'): Promise<unknown> => {
    const check = r[which];
    if (!check) return undefined;
    const { value, outcome } = await checks.read(check, `--${which}`);
    history?.check(check.method, check.data, value, outcome, which);
    return value;
  };
  try {
    if (o.flood) {
      const flood = o.flood;
      const concurrency = flood.concurrency ?? (flood.rate === 'max' ? 100 : ATTACK_LIMITS.maxFloodInFlight);
      const connections = sync === 'connections' ? Math.min(o.connections ?? 10, 256) : 1;
      clients = connections;
      const before = await read('before');
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
            fixed.get(e) ?? encodeJsonMessage(e.method.requestType, applyTemplate(e.data, { index, client, round: 0, uuid: () => random.uuid() }), e.dataSource);
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
      const after = await read('after');
      const scope = { before, after, ok: result.ok, failed: result.failed, unknown: result.unknown, count: result.completed, round: 0, results: [], responses: [], by: Object.fromEntries(byMethod) };
      const verdict = judge(r.invariant, scope);
      roundReports.push({ round: 1, ...verdict, calls: result.completed, ok: result.ok, failed: result.failed, unknown: result.unknown, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}), wallMs: result.wallMs });
      floodReport = { rate: flood.rate, durationMs: flood.durationMs, concurrency, sent: result.sent, completed: result.completed, skipped: result.skipped, callsPerSecond: result.callsPerSecond };
      floodLatencies = result.latenciesMs;
      for (const [code, e] of [...result.outcomesByCode.entries()].sort((a, b) => a[0] - b[0])) {
        floodStatus.push({ code, name: statusName(code), count: e.count, ...(e.example ? { example: e.example } : {}) });
      }
      if (result.skipped > 0) warnings.push(`flood: ${plural(result.skipped, 'call')} fell due while ${concurrency} were in flight and were skipped (the server is slower than --rate)`);
    } else {
      const policy = (o.policy ?? createSyncPolicy)({
        mode: sync,
        transport: r.transport,
        count: callsPerBurst,
        ...(o.connections !== undefined ? { connections: o.connections } : {}),
        ...(o.processes !== undefined ? { processes: o.processes } : {}),
        ...(o.mss !== undefined ? { mss: o.mss } : {}),
      });
      try {
        await policy.open();
        clients = policy.clients;
        progress(`attack: ${r.endpoints.map((e) => `${e.method.path} x${e.count}${e.offsetMicros ? ` +${e.offsetMicros / 1000}ms` : ''}`).join(', ')} on ${r.transport.target}, --sync ${sync} over ${clientsWord(sync, clients)}, ${plural(rounds, 'round')}`);
        for (let round = 1; round <= rounds; round++) {
          if (o.signal?.aborted) break;
          const rt0 = performance.now();
          const before = await read('before');
          const built = buildBurst(r.endpoints, (i) => policy.clientOf(i), round, random);
          const fired = await policy.fire(built.calls);
          for (const w of fired.warnings) if (!warnings.includes(w)) warnings.push(w);
          if (o.settleMs) await new Promise((res) => setTimeout(res, o.settleMs));
          const after = await read('after');
          const decoded = fired.outcomes.map(() => undefined as unknown);
          for (const out of fired.outcomes) {
            const e = built.endpointOf[out.index];
            if (out.response && e) decoded[out.index] = decodeMessage(e.method.responseType, out.response);
            history?.call(out, built.requests[out.index], decoded[out.index]);
          }
          const scope = invariantScope({ round, before, after, outcomes: fired.outcomes, endpointOf: built.endpointOf, decoded });
          const verdict = judge(r.invariant, scope);
          const offsetOf = (i: number): number => built.calls[i]?.offsetMicros ?? 0;
          const ss = sendSpread(fired.outcomes, offsetOf);
          const sv = serverSpread(fired.outcomes, offsetOf);
          sendSpreads.push(ss);
          serverSpreads.push(sv);
          allOutcomes.push(...fired.outcomes);
          if (kept) {
            for (const x of fired.outcomes) {
              kept.push({ round, index: x.index, client: x.client, method: shortName(x.path), sentMicros: x.sentMicros, doneMicros: x.doneMicros, code: x.code, ...(x.handlerStartMicros !== undefined ? { handlerStartMicros: x.handlerStartMicros } : {}) });
            }
          }
          const report: RoundReport = {
            round,
            ...verdict,
            calls: fired.outcomes.length,
            ok: scope.ok as number,
            failed: scope.failed as number,
            unknown: scope.unknown as number,
            ...(before !== undefined ? { before } : {}),
            ...(after !== undefined ? { after } : {}),
            ...(ss ? { sendSpread: ss } : {}),
            ...(sv ? { serverSpread: sv } : {}),
            ...(fired.release ? { release: fired.release } : {}),
            ...(fired.agents ? { agents: fired.agents } : {}),
            wallMs: performance.now() - rt0,
          };
          roundReports.push(report);
          progress(
            `round ${round}/${rounds}: ${report.verdict}${report.lost ? `, lost ${report.lost}` : ''}${report.extra ? `, extra ${report.extra}` : ''}, ${report.ok}/${report.calls} ok${sv ? `, server start spread ${formatMicros(sv.rangeMicros)}` : ''}`,
          );
          if (round < rounds && pauseMs > 0 && !o.signal?.aborted) await pause(pauseMs, o.signal);
        }
      } finally {
        await policy.close();
      }
    }
  } finally {
    checks.close();
  }
  let record: AttackReport['record'];
  if (history && o.record) {
    const events: HistoryEvent[] = history.events();
    await history.write(o.record);
    record = { path: o.record, events: events.length, format: 'jsonl', ...(r.scenario?.model ? { model: r.scenario.model } : {}) };
  }
  const checked = roundReports.filter((x) => x.verdict !== 'unchecked');
  const racesFound = roundReports.filter((x) => x.verdict === 'race').length;
  const sendSummary = summarizeSpreads(sendSpreads);
  const serverSummary = summarizeSpreads(serverSpreads);
  const latency = latencyReport(floodLatencies ?? allOutcomes.map((x) => (x.doneMicros - x.sentMicros) / 1000));
  return {
    kind: 'attack',
    target: r.transport.target,
    schemaSource: r.schema.source,
    sync,
    clients,
    seed,
    endpoints: r.endpoints.map((e) => ({ method: e.method.path, count: e.count, offsetMicros: e.offsetMicros })),
    callsPerBurst,
    roundsRequested: rounds,
    roundsRun: roundReports.length,
    pauseMs,
    ...(r.scenario ? { scenario: r.scenario.name } : {}),
    ...(r.invariant ? { invariant: r.invariant.source } : {}),
    verdict: overallVerdict(roundReports),
    ...(checked.length > 0 ? { detectionRate: racesFound / checked.length } : {}),
    racesFound,
    rounds: roundReports,
    ...(sendSummary ? { sendSpread: sendSummary } : {}),
    ...(serverSummary ? { serverSpread: serverSummary } : {}),
    ...(latency ? { latency } : {}),
    statusCodes: floodLatencies ? floodStatus : statusDistribution(allOutcomes),
    totals: {
      calls: roundReports.reduce((s, x) => s + x.calls, 0),
      ok: roundReports.reduce((s, x) => s + x.ok, 0),
      failed: roundReports.reduce((s, x) => s + x.failed, 0),
      unknown: roundReports.reduce((s, x) => s + x.unknown, 0),
      lost: roundReports.reduce((s, x) => s + x.lost, 0),
      extra: roundReports.reduce((s, x) => s + x.extra, 0),
    },
    ...(floodReport ? { flood: floodReport } : {}),
    ...(record ? { record } : {}),
    warnings,
    wallMs: performance.now() - t0,
    ...(kept ? { calls: kept } : {}),
    ...(o.signal?.aborted ? { interrupted: true } : {}),
  };
}

/** The pause between rounds, cut short by the signal. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
