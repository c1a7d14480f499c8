import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { CallOutcome } from '../burst/call.js';
import { latencyReport, statusDistribution, summarizeSpreads, type BurstSpread, type StatusCount } from '../burst/stats.js';
import { applyTemplate } from './template.js';
import { RacelabError, messageOf } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { HistoryEvent } from '../history/event.js';
import type { AttackRun } from './attack-run.js';
import { burstRounds } from './burst-rounds.js';
import { CheckChannel } from './check-channel.js';
import { floodRound } from './flood-round.js';
import { overallVerdict } from './judge.js';
import { HistoryLog } from './record.js';
import { ATTACK_LIMITS, type AttackCall, type AttackOptions, type AttackReport, type RoundReport } from './report.js';
import { checkRange, resolveAttack } from './resolve.js';

/**
 * `racelab attack`: resolves the target's types (a .proto or server reflection), checks every input before
 * connecting, then runs `rounds` bursts with the chosen synchronization (burst-rounds.ts), or one flood
 * (flood-round.ts), reading the state before and after each and judging the invariant. Every number in the
 * report was measured in this run.
 */
export async function runAttack(o: AttackOptions): Promise<AttackReport> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const progress = o.onProgress ?? (() => {});
  // A flood keeps calls in flight on one connection; last-frame's staged release has nothing to release there.
  const sync = o.sync ?? (o.flood ? 'parallel' : 'last-frame');
  const rounds = o.flood ? 1 : (o.rounds ?? ATTACK_LIMITS.defaultRounds);
  checkRange(rounds, 'rounds', 1, ATTACK_LIMITS.maxRounds);
  const pauseMs = o.pauseMs ?? ATTACK_LIMITS.defaultPauseMs;
  checkRange(pauseMs, 'pause', 0, ATTACK_LIMITS.maxPauseMs);
  checkRange(o.settleMs, 'settle', 0, ATTACK_LIMITS.maxPauseMs);
  checkRange(o.mss, 'mss', 20, 65_535);
  if (o.flood) {
    if (o.flood.rate !== 'max') checkRange(o.flood.rate, 'rate', 1, ATTACK_LIMITS.maxFloodRate);
    checkRange(o.flood.durationMs, 'duration', 1, ATTACK_LIMITS.maxFloodDurationMs);
    checkRange(o.flood.concurrency, 'concurrency', 1, ATTACK_LIMITS.maxFloodInFlight);
    if (sync !== 'parallel' && sync !== 'connections') {
      throw new RacelabError('BAD_OPTION', `runs over one channel (\`sync\` parallel) or several (\`sync\` connections), not \`sync\` ${sync}; drop \`sync\` for parallel, a flood's default`, { subject: 'flood' });
    }
  }
  const seed = o.seed ?? Random.freshSeed();
  const random = Random.seeded(seed);
  // A path that cannot be written is bad input now, not after the run.
  if (o.record) await writeFile(o.record, '').catch((e: unknown) => {
    throw new RacelabError('BAD_OPTION', `cannot write ${o.record} (${messageOf(e)})`, { subject: 'record' });
  });
  const r = await resolveAttack(o, warnings);
  const history = o.record ? new HistoryLog(r.scenario) : undefined;
  const checks = new CheckChannel(r.transport);
  const callsPerBurst = r.endpoints.reduce((s, e) => s + e.count, 0);
  const runId = randomBytes(4).toString('hex');
  const run: AttackRun = {
    options: o,
    resolved: r,
    sync,
    random,
    runId,
    warnings,
    progress,
    history,
    async read(which, round) {
      const declared = r[which];
      if (!declared) return undefined;
      const check = { ...declared, data: applyTemplate(declared.data, { index: 0, client: 0, round, uuid: () => random.uuid(), run: runId }) };
      const { value, outcome } = await checks.read(check, r.setup && which === 'setup' ? r.setup.what : which);
      // The setup call prepares a round (a fresh code) and is no operation of the checker's model: not recorded.
      if (which !== 'setup') history?.check(check.method, check.data, value, outcome, which);
      return value;
    },
  };
  let roundReports: RoundReport[];
  let allOutcomes: CallOutcome[] = [];
  let sendSpreads: Array<BurstSpread | undefined> = [];
  let serverSpreads: Array<BurstSpread | undefined> = [];
  let kept: AttackCall[] | undefined = o.keepCalls ? [] : undefined;
  let clients: number;
  let floodReport: AttackReport['flood'];
  let floodStatus: StatusCount[] = [];
  let floodLatencies: number[] | undefined;
  let targetDown: AttackReport['targetDown'];
  try {
    if (o.flood) {
      const flooded = await floodRound(run, o.flood);
      clients = flooded.clients;
      roundReports = [flooded.round];
      floodReport = flooded.flood;
      floodLatencies = flooded.latenciesMs;
      floodStatus = flooded.statusCodes;
    } else {
      const bursts = await burstRounds(run, rounds, pauseMs, callsPerBurst);
      ({ clients, rounds: roundReports, outcomes: allOutcomes, sendSpreads, serverSpreads, kept } = bursts);
      targetDown = bursts.targetDown;
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
  // Rounds of which every call was refused tested nothing: they count neither way in the detection rate.
  const checked = roundReports.filter((x) => x.verdict !== 'unchecked' && !x.nothingAccepted);
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
    ...(targetDown ? { targetDown } : {}),
    warnings,
    wallMs: performance.now() - t0,
    ...(kept ? { calls: kept } : {}),
    ...(o.signal?.aborted ? { interrupted: true } : {}),
  };
}
