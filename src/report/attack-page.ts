import { formatMs, plural } from '../core/units.js';
import { barsSvg, histogramSvg, latenciesMs, roundsOverviewSvg, timelineSvg, timelineLegend, type TimelineCall } from './charts.js';
import type { ReportPage, Tone } from './page.js';
import { isUnknownOutcome, statusName } from '../grpc/status.js';
import { floodRun, renderAttackReport, wavesSentence } from './attack-text.js';
import { clientsWord, formatMicros, type AttackCall, type AttackReport } from '../attack/report.js';

/** Rounds drawn call by call (races first, then the earliest); every call still appears in the overview. */
const DETAILED_ROUNDS = 12;

function timelineCall(c: AttackCall, sync: string): TimelineCall {
  const rel = (t: number): string => `${((t - c.sentMicros) / 1000).toFixed(3)}ms`;
  return {
    lane: `${sync === 'processes' ? 'process' : 'conn'} ${c.client + 1}`,
    sentMicros: c.sentMicros,
    doneMicros: c.doneMicros,
    ...(c.handlerStartMicros !== undefined ? { handler: { startMicros: c.handlerStartMicros, endMicros: c.doneMicros } } : {}),
    status: c.code === 0 ? 'ok' : isUnknownOutcome(c.code) ? 'unknown' : 'fail',
    details: [
      `round ${c.round}, call ${c.index + 1}: ${c.method} -> ${statusName(c.code)}`,
      `sent at +0, answered at ${rel(c.doneMicros)}`,
      c.handlerStartMicros !== undefined ? `server handler started at ${rel(c.handlerStartMicros)} (its end is not reported; the bar runs to the answer)` : 'server handler start not reported (not a racelab server)',
    ].join('\n'),
  };
}

const pctMs = (r: AttackReport, p: number): string => {
  const d = r.latency?.distribution.find((x) => x.percent === p);
  return d ? formatMs(d.ms) : '-';
};

/** `racelab attack --html`: the verdict per round, every call, the burst spread per round, latencies. */
export function attackPage(report: AttackReport, command: string): ReportPage {
  const tone: Tone = report.verdict === 'race' || report.targetDown ? 'bad' : report.verdict === 'no-race' ? 'good' : report.verdict === 'unknown' ? 'warn' : 'neutral';
  const label = report.targetDown
    ? `target down after round ${report.targetDown.afterRound}: it stopped answering right after the bursts (${report.targetDown.message})`
    : report.verdict === 'race'
      ? `race: ${report.racesFound} of ${plural(report.roundsRun, 'round')} broke the invariant`
      : report.verdict === 'no-race'
        ? `no race seen in ${plural(report.roundsRun, 'round')}`
        : report.verdict === 'unknown'
          ? report.rounds.every((r) => r.nothingAccepted)
            ? 'unknown: the target refused every call, so nothing could race'
            : 'unknown: outcomes of some calls are unknown'
          : 'unchecked: no invariant';
  const calls = report.calls ?? [];
  const byRound = new Map<number, AttackCall[]>();
  for (const c of calls) {
    const list = byRound.get(c.round) ?? [];
    list.push(c);
    byRound.set(c.round, list);
  }
  const raceRounds = new Set(report.rounds.filter((r) => r.verdict === 'race').map((r) => r.round));
  const detailed = [...report.rounds]
    .sort((a, b) => Number(raceRounds.has(b.round)) - Number(raceRounds.has(a.round)) || a.round - b.round)
    .slice(0, DETAILED_ROUNDS)
    .sort((a, b) => a.round - b.round);
  const timelines = detailed.map((r) => {
    const list = byRound.get(r.round) ?? [];
    const starts = list.map((c) => c.handlerStartMicros ?? c.sentMicros);
    const bands =
      r.verdict === 'race' && list.length > 1
        ? [{ startMicros: Math.min(...starts), endMicros: Math.max(...starts), label: `round ${r.round}: ${list.length} calls started within ${formatMicros(Math.max(...starts) - Math.min(...starts))} and ${r.lost} update${r.lost === 1 ? ' was' : 's were'} lost` }]
        : [];
    return `<h3>round ${r.round}: ${r.verdict === 'race' ? `RACE, ${r.lost} lost` : r.verdict}, ${r.ok}/${r.calls} ok${r.serverSpread ? `, server start spread ${formatMicros(r.serverSpread.rangeMicros)}` : ''}</h3>${timelineSvg({ title: `round ${r.round}`, calls: list.map((c) => timelineCall(c, report.sync)), bands })}`;
  });
  const spreads = report.rounds.map((r) => {
    const s = r.serverSpread ?? r.sendSpread;
    return {
      label: String(r.round),
      value: s?.rangeMicros ?? 0,
      text: formatMicros(Math.max(...report.rounds.map((x) => (x.serverSpread ?? x.sendSpread)?.rangeMicros ?? 0))),
      bad: r.verdict === 'race',
      details: `round ${r.round}: ${r.verdict}${r.lost ? `, ${r.lost} lost` : ''}\n${r.serverSpread ? `server: first to last handler start ${formatMicros(r.serverSpread.rangeMicros)}` : 'server spread not reported'}\n${r.sendSpread ? `client: first to last send ${formatMicros(r.sendSpread.rangeMicros)}` : ''}`,
    };
  });
  const t = report.totals;
  const waves = wavesSentence(report);
  const explanation = [
    report.flood
      ? `A ${floodRun(report, report.flood)}.`
      : `${plural(report.roundsRun, 'round')} of ${plural(report.callsPerBurst, 'call')} (${report.endpoints.map((e) => `${e.method} x${e.count}`).join(', ')}) sent to ${report.target} with --sync ${report.sync} over ${clientsWord(report.sync, report.clients)}.`,
    report.invariant
      ? `After each round the invariant "${report.invariant}" was checked: ${plural(report.racesFound, 'round')} broke it, ${plural(t.lost, 'effect')} lost in all${t.extra ? ` and ${t.extra} extra` : ''}; ${plural(t.unknown, 'call')} had an unknown outcome.`
      : 'No invariant was given, so no round was judged.',
    ...(waves ? [waves] : []),
    ...report.warnings,
  ];
  return {
    title: `racelab attack: ${report.endpoints.map((e) => e.method).join(', ')} on ${report.target}`,
    verdict: { label, tone },
    meta: [`--sync ${report.sync} · ${clientsWord(report.sync, report.clients)} · ${plural(t.calls, 'call')} (${t.ok} ok, ${t.failed} failed, ${t.unknown} unknown) · ${formatMs(report.wallMs)}${report.scenario ? ` · scenario ${report.scenario}` : ''}`],
    reproduce: { command, seed: report.seed, note: 'The seed fixes the request templates ({{uuid}}, random values); the network and the server decide the interleaving.' },
    table: {
      columns: ['', 'this run'],
      rows: [
        { label: 'rounds with a race', cells: [`${report.racesFound} of ${report.roundsRun}`], bad: [report.racesFound > 0] },
        { label: 'lost / extra effects', cells: [`${t.lost} / ${t.extra}`], bad: [t.lost + t.extra > 0] },
        { label: 'calls ok / failed / unknown', cells: [`${t.ok} / ${t.failed} / ${t.unknown}`] },
        ...(report.serverSpread ? [{ label: 'server start spread, median round', cells: [formatMicros(report.serverSpread.medianMicros)] }] : []),
        ...(report.sendSpread ? [{ label: 'send spread, median round', cells: [formatMicros(report.sendSpread.medianMicros)] }] : []),
        ...(report.latency ? [{ label: 'latency p50 / p99', cells: [`${pctMs(report, 50)} / ${pctMs(report, 99)}`] }] : []),
      ],
    },
    explanation,
    terminal: renderAttackReport(report),
    sections: [
      {
        id: 'overview',
        title: `Every call (${calls.length})`,
        html: roundsOverviewSvg(report.rounds.map((r) => ({ round: r.round, race: raceRounds.has(r.round), calls: byRound.get(r.round) ?? [] }))),
        note: 'One row per round, each call a bar from send to answer, measured from the round\'s first send; red rounds broke the invariant.',
      },
      {
        id: 'timeline',
        title: detailed.length < report.rounds.length ? `Rounds call by call (${detailed.length} of ${report.roundsRun}: the races first)` : 'Rounds call by call',
        html: `${timelineLegend({ bands: true })}\n${timelines.join('\n')}`,
        note: 'One lane per connection or process. The light bar is the call as the driver saw it; the blue bar starts when the server\'s handler started. Click a call for its times.',
      },
      { id: 'spread', title: 'Burst spread per round', html: barsSvg(spreads), note: 'First to last handler start on the server (or first to last send, when the server does not report it); red: the round broke the invariant.' },
      { id: 'latency', title: 'Latency', html: histogramSvg([{ name: 'burst calls', valuesMs: latenciesMs(calls) }]) },
    ],
  };
}
