import { formatMs, plural } from '../core/units.js';
import { isUnknownOutcome } from '../grpc/status.js';
import { formatCounterStats } from './counter-stats.js';
import { barsSvg, histogramSvg, latenciesMs, timelineLegend, timelineSvg, type TimelineCall } from './charts.js';
import { esc, type ReportPage } from './page.js';
import { renderReplicasDemo } from './replicas-demo-text.js';
import type { ReplicasDemoReport, ReplicasRun } from '../scenarios/replicas/demo.js';
import type { SpreadBurstCall } from '../scenarios/replicas/spread-burst.js';

/** One increment on the timeline: a lane per replica, the call as the balancer saw it, the replica's handler start. */
function timelineCall(c: SpreadBurstCall, index: number, run: ReplicasRun): TimelineCall {
  const rel = (t: number): string => `${((t - c.sentMicros) / 1000).toFixed(2)}ms`;
  const unknown = c.code !== 0 && (c.replicaDown || isUnknownOutcome(c.code));
  const outcome = c.code === 0 ? 'acknowledged' : unknown ? `outcome unknown (status ${c.code})` : `failed (status ${c.code})`;
  return {
    lane: `replica ${c.replica + 1}`,
    sentMicros: c.sentMicros,
    doneMicros: c.doneMicros,
    ...(c.handlerStartMicros !== undefined ? { handler: { startMicros: c.handlerStartMicros } } : {}),
    status: c.code === 0 ? 'ok' : unknown ? 'unknown' : 'fail',
    details: [
      `${run.store} ${run.label}, increment ${index + 1} on replica ${c.replica + 1}: ${outcome}`,
      `sent at +0, answered at ${rel(c.doneMicros)}`,
      c.handlerStartMicros !== undefined ? `replica's handler started at ${rel(c.handlerStartMicros)}` : 'replica handler not seen',
    ].join('\n'),
  };
}

/** `racelab demo replicas --html`: every variant on R replicas side by side, lost updates and throughput, the kill runs. */
export function replicasDemoPage(report: ReplicasDemoReport, command: string): ReportPage {
  const { runs, kills, settings } = report;
  const lost = runs.filter((r) => r.lostUpdates !== 0);
  const name = (r: (typeof runs)[number]): string => `${r.store} ${r.label} x${r.replicas}`;
  const killTable = kills.length
    ? `<table class="side" id="kills"><tr><th>store / variant</th><th>killed</th><th>acknowledged</th><th>unknown</th><th>final</th><th>acknowledged but lost</th><th>durable</th></tr>${kills
        .map(
          (k) =>
            `<tr><td>${esc(`${k.store} ${k.variant}`)}</td><td>replica ${k.killedReplica} after ${k.acknowledgedAtKill} acks</td><td>${k.acknowledged}</td><td>${k.unknown}</td><td>${k.finalValue}</td><td${k.lostAcknowledged ? ' class="bad"' : ''}>${k.lostAcknowledged}</td><td${k.durable ? '' : ' class="bad"'}>${k.durable ? 'yes' : 'NO'}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  return {
    title: `racelab demo replicas: ${settings.replicas} server processes sharing ${settings.stores.join(' and ')}`,
    verdict: lost.length ? { label: `updates lost: ${lost.map(name).join(', ')}`, tone: 'bad' } : { label: 'no update lost', tone: 'good' },
    meta: [`${plural(settings.calls, 'call')}, ${settings.concurrency} in flight · ${formatMs(settings.delayMs)} read-modify-write window · max concurrency ${settings.maxConcurrency} per replica`],
    reproduce: { command, note: 'Replicas race for real, so a rerun loses a similar number of updates, not the same ones.' },
    // One row per variant: a dozen variants as columns made the table wider than the window.
    table: {
      columns: ['store / variant', 'role', 'sent / acknowledged', 'final value', 'lost updates', 'failed / unknown', 'cost, as counted', 'calls/s', 'latency p50 / p99', 'wall time'],
      rows: runs.map((r) => ({
        label: name(r),
        cells: [r.role, `${r.sent} / ${r.acknowledged}`, String(r.finalValue), String(r.lostUpdates), `${r.failed} / ${r.unknown}`, formatCounterStats(r.stats) || '-', String(Math.round(r.callsPerSecond)), `${formatMs(r.latencyP50Ms)} / ${formatMs(r.latencyP99Ms)}`, formatMs(r.wallMs)],
        bad: [false, false, false, r.lostUpdates > 0, false, false, false, false, false],
      })),
    },
    explanation: report.explanation,
    terminal: renderReplicasDemo(report),
    sections: [
      {
        id: 'lost',
        title: 'Lost updates per variant',
        html: barsSvg(runs.map((r) => ({ label: name(r), value: r.lostUpdates, text: String(Math.max(...runs.map((x) => x.lostUpdates))), bad: r.lostUpdates > 0, details: `${name(r)}: ${r.acknowledged} acknowledged, final ${r.finalValue}, ${r.lostUpdates} lost\n${r.summary}` }))),
      },
      {
        id: 'throughput',
        title: 'Calls per second per variant (the cost of each fix)',
        html: barsSvg(runs.map((r) => ({ label: name(r), value: r.callsPerSecond, text: `${Math.round(Math.max(...runs.map((x) => x.callsPerSecond)))}/s`, details: `${name(r)}: ${Math.round(r.callsPerSecond)} calls/s, p99 ${formatMs(r.latencyP99Ms)}` }))),
      },
      ...(runs.some((r) => r.calls)
        ? [
            {
              id: 'timeline',
              title: 'Every call',
              html: `${timelineLegend({ handlers: runs.some((r) => r.calls?.some((c) => c.handlerStartMicros !== undefined)) })}\n${runs
                .filter((r) => r.calls)
                .map((r) => `<h3${r.lostUpdates > 0 ? ' class="lost-run"' : ''}>${esc(name(r))}: ${r.acknowledged} acknowledged, ${r.lostUpdates > 0 ? `<span class="bad">${r.lostUpdates} lost, calls not located</span>` : '0 lost'}</h3>${timelineSvg({ title: `${name(r)} timeline`, calls: r.calls!.map((c, i) => timelineCall(c, i, r)) })}`)
                .join('\n')}`,
              note: "One lane per replica. The light bar is the call as the balancer in front of the replicas saw it, the blue mark the replica's handler start where the replica sent it in its trailer (same host, same clock). A lost update is not a call of its own: it shows as calls on different replicas whose handlers overlap. No call is marked lost here, and no read-modify-write window is drawn: a replica reports only when its handler started, not when it read and wrote the counter, and the run counts lost updates from the final value (acknowledged minus final), which says how many were lost but not whose. Click a call for its times.",
            },
            {
              id: 'latency',
              title: 'Latency',
              html: histogramSvg(runs.filter((r) => r.calls?.length).map((r) => ({ name: name(r), valuesMs: latenciesMs(r.calls!) }))),
              note: 'Every call of each variant, from the balancer sending it to its answer, on one scale. Click a bar for its count.',
            },
          ]
        : []),
      ...(killTable ? [{ id: 'kills', title: 'A replica killed mid-run', html: killTable, note: 'An acknowledged update must survive the replica that acknowledged it; unknown outcomes may or may not have taken effect.' }] : []),
    ],
  };
}
