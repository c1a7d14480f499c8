import type { CallOutcome } from '../burst/call.js';
import { createSyncPolicy } from '../burst/create-policy.js';
import { sendSpread, serverSpread, type BurstSpread } from '../burst/stats.js';
import { handlerWaves } from '../burst/waves.js';
import { decodeMessage } from '../grpc/json-message.js';
import { status } from '../grpc/status.js';
import { CheckCallFailed } from './check-channel.js';
import type { AttackRun } from './attack-run.js';
import { invariantScope, judge } from './judge.js';
import { buildBurst } from './plan.js';
import { clientsWord, formatMicros, shortName, type AttackCall, type RoundReport, type TargetDown } from './report.js';
import { isRacelabError } from '../core/errors.js';
import { plural } from '../core/units.js';

export interface BurstRoundsResult {
  /** Connections or processes each burst was spread over. */
  readonly clients: number;
  readonly rounds: RoundReport[];
  /** Every call's outcome, round after round. */
  readonly outcomes: CallOutcome[];
  readonly sendSpreads: Array<BurstSpread | undefined>;
  readonly serverSpreads: Array<BurstSpread | undefined>;
  /** Each call's timings, when the options keep them (`keepCalls`). */
  readonly kept: AttackCall[] | undefined;
  /** The target stopped answering after a burst (the rounds stop there). */
  readonly targetDown?: TargetDown;
}

/** How long a read that finds the target unavailable is retried before the target counts as down. */
const DOWN_AFTER_MS = 1000;

/**
 * A setup call, before or after read, telling a target the bursts took down from bad input: once a burst has been
 * sent, a call answered Unavailable (or refused a connection) is retried for about a second; still failing, it is
 * the target's availability the burst measured, not an error. Round 1's calls before its burst have nothing to
 * blame: they throw.
 */
async function readOrDown(run: AttackRun, which: 'setup' | 'before' | 'after', round: number): Promise<{ value: unknown } | { down: TargetDown }> {
  const t0 = performance.now();
  let unanswered: string | undefined;
  for (;;) {
    try {
      return { value: await run.read(which, round) };
    } catch (e) {
      // A setup call answered Unavailable may still have landed (the answer, not the call, was lost): its retry then
      // finds the name it made. That is the round's setup done, not bad input; the round reads its state as usual.
      if (which === 'setup' && unanswered !== undefined && e instanceof CheckCallFailed && e.status === status.ALREADY_EXISTS) {
        run.warnings.push(`round ${round}: the setup call was answered Unavailable (${unanswered}), and its retry found what it makes already there (${e.detail}); taken as made by the first attempt`);
        return { value: undefined };
      }
      const firstRead = which !== 'after' && round === 1;
      if (firstRead || !isRacelabError(e) || e.code !== 'UNREACHABLE') throw e;
      const downForMs = performance.now() - t0;
      unanswered ??= e.detail;
      if (downForMs >= DOWN_AFTER_MS || run.options.signal?.aborted) {
        return { down: { afterRound: which === 'after' ? round : round - 1, read: which, message: e.detail, downForMs: Math.round(downForMs) } };
      }
      await pause(100, run.options.signal);
    }
  }
}

/**
 * `rounds` bursts with the chosen synchronization, one after another: each reads the state before, fires every
 * endpoint's calls at once (or at their offsets), reads the state after, and judges the invariant. Stops early,
 * with the rounds so far, when the signal aborts.
 */
export async function burstRounds(run: AttackRun, rounds: number, pauseMs: number, callsPerBurst: number): Promise<BurstRoundsResult> {
  const { options: o, resolved: r, sync, random, warnings, progress, history } = run;
  const roundReports: RoundReport[] = [];
  const allOutcomes: CallOutcome[] = [];
  const sendSpreads: Array<BurstSpread | undefined> = [];
  const serverSpreads: Array<BurstSpread | undefined> = [];
  const kept: AttackCall[] | undefined = o.keepCalls ? [] : undefined;
  const policy = (o.policy ?? createSyncPolicy)({
    mode: sync,
    transport: r.transport,
    count: callsPerBurst,
    ...(o.connections !== undefined ? { connections: o.connections } : {}),
    ...(o.processes !== undefined ? { processes: o.processes } : {}),
    ...(o.mss !== undefined ? { mss: o.mss } : {}),
  });
  let clients: number;
  let targetDown: TargetDown | undefined;
  try {
    await policy.open();
    clients = policy.clients;
    progress(`attack: ${r.endpoints.map((e) => `${e.method.path} x${e.count}${e.offsetMicros ? ` +${e.offsetMicros / 1000}ms` : ''}`).join(', ')} on ${r.transport.target}, --sync ${sync} over ${clientsWord(sync, clients)}, ${plural(rounds, 'round')}`);
    for (let round = 1; round <= rounds; round++) {
      if (o.signal?.aborted) break;
      const rt0 = performance.now();
      const setup = await readOrDown(run, 'setup', round);
      const read0 = 'down' in setup ? setup : await readOrDown(run, 'before', round);
      if ('down' in read0) {
        targetDown = read0.down;
        break;
      }
      const before = read0.value;
      const built = buildBurst(r.endpoints, (i) => policy.clientOf(i), round, random, run.runId);
      const fired = await policy.fire(built.calls);
      for (const w of fired.warnings) if (!warnings.includes(w)) warnings.push(w);
      if (o.settleMs) await new Promise((res) => setTimeout(res, o.settleMs));
      const read1 = await readOrDown(run, 'after', round);
      if ('down' in read1) {
        // The burst's calls count in the status codes; the round cannot be judged without its after read.
        allOutcomes.push(...fired.outcomes);
        targetDown = read1.down;
        break;
      }
      const after = read1.value;
      const decoded = fired.outcomes.map(() => undefined as unknown);
      for (const out of fired.outcomes) {
        const e = built.endpointOf[out.index];
        if (out.response && e) decoded[out.index] = decodeMessage(e.method.responseType, out.response);
        history?.call(out, built.requests[out.index], decoded[out.index]);
      }
      const scope = invariantScope({ round, before, after, outcomes: fired.outcomes, endpointOf: built.endpointOf, decoded, refusals: new Set(r.scenario?.refusals) });
      const verdict = judge(r.invariant, scope);
      const offsetOf = (i: number): number => built.calls[i]?.offsetMicros ?? 0;
      const ss = sendSpread(fired.outcomes, offsetOf);
      const sv = serverSpread(fired.outcomes, offsetOf);
      const waves = handlerWaves(fired.outcomes, offsetOf, ss?.rangeMicros);
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
        ...(waves ? { serverWaves: waves } : {}),
        ...(fired.release ? { release: fired.release } : {}),
        ...(fired.agents ? { agents: fired.agents } : {}),
        wallMs: performance.now() - rt0,
      };
      roundReports.push(report);
      progress(
        `round ${round}/${rounds}: ${report.verdict}${report.nothingAccepted ? ' (every call refused)' : ''}${report.lost ? `, lost ${report.lost}` : ''}${report.extra ? `, extra ${report.extra}` : ''}, ${report.ok}/${report.calls} ok${sv ? `, server start spread ${formatMicros(sv.rangeMicros)}` : ''}${waves ? ` (handlers started in ${waves.sizes.length} waves: ${waves.sizes.join('+')})` : ''}`,
      );
      o.onRound?.(round, rounds);
      if (round < rounds && pauseMs > 0 && !o.signal?.aborted) await pause(pauseMs, o.signal);
    }
  } finally {
    await policy.close();
  }
  if (targetDown) progress(`target down after round ${targetDown.afterRound}: ${targetDown.message}`);
  return { clients, rounds: roundReports, outcomes: allOutcomes, sendSpreads, serverSpreads, kept, ...(targetDown ? { targetDown } : {}) };
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
