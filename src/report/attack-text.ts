import { formatMs, plural } from '../core/units.js';
import type { SpreadSummary } from '../burst/stats.js';
import type { HandlerWaves } from '../burst/waves.js';
import { renderHistogram } from './histogram.js';
import { renderTable, wrap } from './table.js';
import { clientsWord, type AttackReport, type RoundReport } from '../attack/report.js';

const us = (v: number | undefined): string => (v === undefined ? '-' : v >= 1000 ? formatMs(v / 1000) : `${Math.round(v)}µs`);

/** Why no round was a race and not every round held: unknown outcomes, bursts of which nothing was accepted, or both. */
function inconclusiveLine(report: AttackReport): string {
  const unknown = report.rounds.filter((r) => r.verdict === 'unknown');
  const empty = unknown.filter((r) => r.nothingAccepted).length;
  const why = [
    ...(unknown.length > empty ? [`${unknown.length - empty} of ${plural(report.roundsRun, 'round')} had calls with unknown outcomes (deadline, lost connection, an agent that did not report), which may explain or hide a race`] : []),
    ...(empty > 0 ? [`in ${empty} of ${plural(report.roundsRun, 'round')} the target refused every call, so nothing could race (is what the burst uses, a stock, a code, a quota, used up? start the server again or name fresh data)`] : []),
  ];
  return `Inconclusive: no round showed a race, and not every round could: ${why.join('; ')}.`;
}

function noRaceLine(report: AttackReport): string {
  const empty = report.rounds.filter((r) => r.nothingAccepted).length;
  if (empty === 0) return `No race found in ${plural(report.roundsRun, 'round')}: the invariant held every time.`;
  return `No race found in the ${report.roundsRun - empty} of ${plural(report.roundsRun, 'round')} that could race: the invariant held every time; in the other ${empty} the target refused every call (is what the burst uses, a stock, a code, a quota, used up?), which tests nothing.`;
}

function verdictWord(r: RoundReport): string {
  return r.verdict === 'race' ? 'RACE' : r.nothingAccepted ? 'unknown (all refused)' : r.verdict;
}

function spreadRow(label: string, s: SpreadSummary | undefined): string[] | undefined {
  return s ? [label, us(s.bestMicros), us(s.medianMicros), us(s.stddevMicros), us(s.worstMicros), String(s.rounds)] : undefined;
}

/** The report as text: the rounds, the verdict, the spreads, then ghz's summary, histogram and status codes. */
export function renderAttackReport(report: AttackReport): string {
  const out: string[] = [];
  if (report.flood) out.push(`racelab attack: ${floodRun(report, report.flood)}; types from ${report.schemaSource}`);
  else {
    const calls = report.endpoints.map((e) => `${e.method} x${e.count}${e.offsetMicros ? ` at +${formatMs(e.offsetMicros / 1000)}` : ''}`).join(', ');
    out.push(`racelab attack: ${calls} on ${report.target}, --sync ${report.sync} over ${clientsWord(report.sync, report.clients)}, ${plural(report.roundsRun, 'round')}; types from ${report.schemaSource}`);
  }
  if (report.invariant) out.push(`invariant${report.scenario ? ` (scenario ${report.scenario})` : ''}: ${report.invariant}`);

  if (!report.flood) {
    const hasRelease = report.rounds.some((r) => r.release);
    const header = ['round', 'verdict', 'ok', 'failed', 'unknown', 'observed', 'expected', 'lost', 'extra', 'send spread', 'server spread', ...(hasRelease ? ['release writes'] : [])];
    const rows = report.rounds.map((r) => [
      String(r.round),
      verdictWord(r),
      String(r.ok),
      String(r.failed),
      String(r.unknown),
      r.observed === undefined ? '-' : String(r.observed),
      r.expected === undefined ? '-' : String(r.expected),
      String(r.lost),
      String(r.extra),
      us(r.sendSpread?.rangeMicros),
      us(r.serverSpread?.rangeMicros),
      ...(hasRelease ? [r.release ? `${r.release.releaseWrites} (${r.release.finalFramesPerWrite.join('+')} frames)` : '-'] : []),
    ]);
    out.push(renderTable(header, rows));
  } else {
    const r = report.rounds[0];
    const f = report.flood;
    out.push(
      renderTable(
        ['flood', 'value'],
        [
          ['calls sent', String(f.sent)],
          ['calls completed', String(f.completed)],
          ['skipped (in-flight cap)', String(f.skipped)],
          ['calls/s', f.callsPerSecond.toFixed(0)],
          ...(r ? [['verdict', verdictWord(r)], ['observed / expected', `${r.observed ?? '-'} / ${r.expected ?? '-'}`], ['lost / extra', `${r.lost} / ${r.extra}`]] : []),
        ],
      ),
    );
  }

  const rate = report.detectionRate;
  const verdictLine =
    report.verdict === 'race'
      ? `RACE FOUND in ${report.racesFound} of ${plural(report.roundsRun, 'round')} (detection rate ${Math.round((rate ?? 0) * 100)}%): ${plural(report.totals.lost, 'effect')} lost, ${report.totals.extra} extra in total.`
      : report.verdict === 'no-race'
        ? noRaceLine(report)
        : report.verdict === 'unknown'
          ? inconclusiveLine(report)
          : 'No invariant checked: statistics only.';
  out.push(verdictLine);
  const down = report.targetDown;
  if (down) {
    const which = down.read === 'after' ? `the --after read of round ${down.afterRound}` : `the --${down.read === 'setup' ? 'setup-call' : 'before read'} of round ${down.afterRound + 1}`;
    out.push(
      `TARGET DOWN after round ${down.afterRound}: ${which} failed for ${formatMs(down.downForMs)} (${down.message}); the attack stopped there. ` +
        `It stopped answering right after the bursts: a denial of service unless something else stopped it, whatever the invariant says about the rounds before.`,
    );
  }

  const spreadRows = [spreadRow('client send', report.sendSpread), spreadRow('server handler start', report.serverSpread)].filter((x): x is string[] => x !== undefined);
  if (spreadRows.length > 0) {
    out.push(['Burst spread, first to last call, per round (offsets removed):', renderTable(['', 'best', 'median', 'stddev', 'worst', 'rounds'], spreadRows)].join('\n'));
    if (!report.serverSpread) out.push('(server-side spread needs a server that reports its handler start times, such as `racelab serve`.)');
  }
  const waves = wavesSentence(report);
  if (waves) out.push(wrap(waves, 110, ''));

  const agentRounds = report.rounds.filter((r) => r.agents);
  if (agentRounds.length > 0) out.push(renderAgentRounds(agentRounds));

  const lat = report.latency;
  if (lat) {
    const totalMs = report.flood ? report.rounds[0]?.wallMs ?? report.wallMs : report.rounds.reduce((s, r) => s + r.wallMs, 0);
    out.push(
      [
        'Summary:',
        `  Count:\t${lat.count}`,
        `  Total:\t${formatMs(totalMs)}`,
        `  Slowest:\t${lat.slowestMs.toFixed(2)} ms`,
        `  Fastest:\t${lat.fastestMs.toFixed(2)} ms`,
        `  Average:\t${lat.averageMs.toFixed(2)} ms`,
        `  Requests/sec:\t${report.flood ? report.flood.callsPerSecond.toFixed(2) : (lat.count / (totalMs / 1000)).toFixed(2)}`,
        '',
        'Response time histogram:',
        ...renderHistogram(lat),
        '',
        'Latency distribution:',
        ...lat.distribution.map((d) => `  ${d.percent} % in ${d.ms.toFixed(2)} ms`),
      ].join('\n'),
    );
  }
  out.push(
    ['Status code distribution:', ...report.statusCodes.map((s) => `  [${s.name}]\t${s.count} responses${s.example ? `\t(${s.example})` : ''}`)].join('\n'),
  );
  if (report.record) out.push(`History: ${plural(report.record.events, 'event')} written to ${report.record.path}${report.record.model ? ` (check it with: racelab check ${report.record.path} --model ${report.record.model})` : ''}`);
  if (report.warnings.length > 0) out.push(['Warnings:', ...report.warnings.map((w) => wrap(w, 100, '  '))].join('\n'));
  if (report.interrupted) {
    out.push(`Interrupted: ${report.flood ? `the flood stopped after ${plural(report.flood.completed, 'call')}` : `${report.roundsRun} of ${plural(report.roundsRequested, 'round')} ran`}; replay with --seed ${report.seed}`);
  }
  out.push(`seed ${report.seed}, ${formatMs(report.wallMs)} in all`);
  return out.join('\n\n');
}

/**
 * What a flood ran, for its header: its methods, rate, in-flight calls, duration and connections, and the calls it
 * made. An endpoint's count is only its share of the cycle (`A=3` and `B=1`: three A for each B), and a flood is
 * one round of no bursts: neither belongs here.
 */
export function floodRun(report: AttackReport, f: NonNullable<AttackReport['flood']>): string {
  const methods = report.endpoints.map((e) => e.method);
  const counts = report.endpoints.map((e) => e.count);
  const what = methods.length === 1 ? methods[0] : `${methods.join(', ')} in turn${counts.some((c) => c !== counts[0]) ? ` (${counts.join(':')})` : ''}`;
  const pace = f.rate === 'max' ? `as fast as ${f.concurrency} calls in flight allow` : `${f.rate} calls/s (at most ${f.concurrency} in flight)`;
  const made = f.sent === f.completed ? `${plural(f.completed, 'call')} made` : `${plural(f.sent, 'call')} sent, ${f.completed} completed`;
  return `flood of ${what} on ${report.target}, ${pace} for ${formatMs(f.durationMs)} over ${clientsWord(report.sync, report.clients)}: ${made}${f.skipped > 0 ? `, ${f.skipped} skipped (in-flight cap)` : ''}`;
}

/** `10 + 10`; a long run of waves keeps its ends: `1 + 1 + 1 + … + 1`. */
function waveSizes(sizes: readonly number[]): string {
  return sizes.length <= 6 ? sizes.join(' + ') : `${sizes.slice(0, 3).join(' + ')} + … + ${sizes[sizes.length - 1]}`;
}

/** The time between waves: `100.3ms`, or for more than two, each: `100.3ms, 100.1ms`. */
const intervals = (w: HandlerWaves): string => w.intervalsMicros.map(us).join(', ');

/**
 * Rounds whose handler starts came in waves (RoundReport.serverWaves), and what the timings point to. racelab
 * cannot read the server's configuration, so a limit on handlers at once is the likely cause, said as likely:
 * every number is the round's, measured on the server's clock (starts) or the client's (latency, send spread).
 */
export function wavesSentence(report: AttackReport): string | undefined {
  const waved = report.rounds.filter((r): r is RoundReport & { serverWaves: HandlerWaves } => r.serverWaves !== undefined);
  if (waved.length === 0) return undefined;
  const limit = Math.max(...waved.map((r) => r.serverWaves.sizes[0] ?? 0));
  const cause = `the server likely runs at most ${limit} handlers at once (a concurrency limit: a worker pool, \`racelab serve --max-concurrency\`)`;
  const handlers = (w: HandlerWaves): number => w.sizes.reduce((a, b) => a + b, 0);
  const waitedFor = (w: HandlerWaves): string => (w.sizes.length === 2 ? `the first ${w.sizes[0]} to finish` : 'earlier ones to finish');
  // From the first wave's first start to the last wave's: the part of the spread the waiting made.
  const share = (r: RoundReport & { serverWaves: HandlerWaves }): string =>
    `${us(r.serverWaves.intervalsMicros.reduce((a, b) => a + b, 0))} of the round's ${us(r.serverSpread?.rangeMicros)} server spread`;
  const only = waved.length === 1 ? waved[0] : undefined;
  if (only) {
    const w = only.serverWaves;
    const later = w.intervalsMicros.slice(1).map(us);
    return (
      `${report.roundsRun > 1 ? `Round ${only.round}: the` : 'The'} server started the burst's ${handlers(w)} handlers in ${w.sizes.length} waves of at most ${w.sizes[0]} (${waveSizes(w.sizes)}); ` +
      `the second began ${us(w.intervalsMicros[0])} after the first, about as long as the first wave's calls took (median ${us(w.firstWaveLatencyMicros)})` +
      `${later.length > 0 ? `, and ${later.length === 1 ? 'the third' : 'each later one'} ${later.join(', ')} after the one before` : ''}, while the client sent every call within ${us(only.sendSpread?.rangeMicros)}: ` +
      `${cause}, so the other ${handlers(w) - (w.sizes[0] ?? 0)} calls waited for ${waitedFor(w)}. From the first wave's start to the last wave's is ${share(only)}.`
    );
  }
  const sendWorst = Math.max(...waved.map((r) => r.sendSpread?.rangeMicros ?? 0));
  const listed = waved.slice(0, 5).map((r) => {
    const w = r.serverWaves;
    return `round ${r.round}: ${w.sizes.length} waves (${waveSizes(w.sizes)}), ${intervals(w)} apart, the first wave's calls a median ${us(w.firstWaveLatencyMicros)}, their starts spanning ${share(r)}`;
  });
  return (
    `In ${waved.length} of ${plural(report.roundsRun, 'round')} the server started the burst's handlers in waves of at most ${limit}, the second wave about as long after the first as the first wave's calls took, ` +
    `while the client sent each of those bursts within ${us(sendWorst)}: ${cause}, so the rest of each burst waited for earlier handlers to finish (${listed.join('; ')}${waved.length > 5 ? `; and ${waved.length - 5} more` : ''}).`
  );
}

/**
 * A burst split over agents, per round: each agent's clock offset (± half the round trip that measured it) and
 * server-side spread, the spread over all agents as run, and the same handler starts shifted by the offsets:
 * what the spread would have been the other way (without correction, or with it).
 */
function renderAgentRounds(rounds: readonly RoundReport[]): string {
  const corrected = rounds[0]?.agents?.corrected ?? true;
  const rows = rounds.map((r) => {
    const a = r.agents!;
    return [
      String(r.round),
      a.agents.map((x) => `${x.agent} ${x.offsetMicros >= 0 ? '+' : '-'}${us(Math.abs(x.offsetMicros))}±${us(x.uncertaintyMicros)}`).join(', '),
      a.agents.map((x) => `${x.agent} ${us(x.serverSpread?.rangeMicros)}`).join(', '),
      us(r.serverSpread?.rangeMicros),
      us(a.otherwayServerSpread?.rangeMicros),
      a.missing.length ? `incomplete: ${a.missing.join(', ')} did not report` : 'complete',
    ];
  });
  const header = ['round', 'clock offset per agent (agent − coordinator)', 'server spread per agent', corrected ? 'server spread, corrected' : 'server spread, uncorrected', corrected ? 'without correction (est.)' : 'with correction (est.)', 'agents'];
  return [`Burst over agents (release ${corrected ? 'at one instant, each agent\'s clock corrected by its offset' : 'read on each agent\'s own clock, uncorrected'}):`, renderTable(header, rows)].join('\n');
}
