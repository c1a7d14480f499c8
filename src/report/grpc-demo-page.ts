import { formatMs } from '../core/units.js';
import { histogramSvg, timelineSvg, timelineLegend, type TimelineCall } from './charts.js';
import type { ReportPage } from './page.js';
import { renderGrpcDemo } from './grpc-demo-text.js';
import type { GrpcDemoCall, GrpcDemoReport, GrpcDemoRun } from '../scenarios/counter/demo.js';

const UNKNOWN = new Set([1, 4, 14]); // CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE: the call may have taken effect

function timelineCall(c: GrpcDemoCall): TimelineCall {
  const rel = (t: number | undefined): string => (t === undefined ? '?' : `${((t - c.sentMicros) / 1000).toFixed(2)}ms`);
  const details = [
    `client ${c.client}, request ${c.requestId}: ${c.code === 0 ? 'ok' : UNKNOWN.has(c.code) ? `outcome unknown (status ${c.code})` : `failed (status ${c.code})`}`,
    `sent at +0, answered at ${rel(c.doneMicros)}`,
    c.handlerStartMicros !== undefined ? `server handler ${rel(c.handlerStartMicros)} → ${rel(c.handlerEndMicros)}` : 'server handler not seen',
    c.readMicros !== undefined ? `read version ${c.readVersion} at ${rel(c.readMicros)}, wrote at ${rel(c.writeMicros)}` : '',
    c.overwrote ? `LOST UPDATE: wrote over the update of request ${c.overwrote}, which it never read` : '',
    c.overwrittenBy ? `its update was written over by request ${c.overwrittenBy}` : '',
  ].filter(Boolean);
  return {
    lane: `client ${c.client}`,
    sentMicros: c.sentMicros,
    doneMicros: c.doneMicros,
    ...(c.handlerStartMicros !== undefined ? { handler: { startMicros: c.handlerStartMicros, ...(c.handlerEndMicros !== undefined ? { endMicros: c.handlerEndMicros } : {}) } } : {}),
    ...(c.readMicros !== undefined && c.writeMicros !== undefined ? { window: { startMicros: c.readMicros, endMicros: c.writeMicros } } : {}),
    status: c.code === 0 ? 'ok' : UNKNOWN.has(c.code) ? 'unknown' : 'fail',
    ...(c.overwrote ? { mark: 'lost' as const } : c.overwrittenBy ? { mark: 'overwritten' as const } : {}),
    details: details.join('\n'),
  };
}

/** `racelab demo grpc --html`: the variants side by side, each variant's calls on a timeline, the latencies. */
export function grpcDemoPage(report: GrpcDemoReport, command: string): ReportPage {
  const { settings, runs } = report;
  const anyLost = runs.some((r) => r.lostUpdates > 0);
  const col = (f: (r: GrpcDemoRun) => string) => runs.map(f);
  const rows = [
    { label: 'increments sent', cells: col((r) => String(r.incrementsSent)) },
    { label: 'acknowledged', cells: col((r) => String(r.acknowledged)) },
    { label: 'final value', cells: col((r) => String(r.finalValue)) },
    { label: 'lost updates', cells: col((r) => String(r.lostUpdates)), bad: runs.map((r) => r.lostUpdates > 0) },
    { label: 'failed / unknown', cells: col((r) => `${r.failed} / ${r.unknown}`) },
    { label: 'wall time', cells: col((r) => formatMs(r.wallMs)) },
    { label: 'latency p50 / p99', cells: col((r) => `${formatMs(r.latencyP50Ms)} / ${formatMs(r.latencyP99Ms)}`) },
    { label: 'max handlers in flight', cells: col((r) => String(r.maxHandlersInFlight)) },
    ...(runs.some((r) => r.monitor)
      ? [{ label: 'monitor: suspected lost updates', cells: col((r) => (r.monitor ? String(r.monitor.suspectedLostUpdates) : '-')), bad: runs.map((r) => (r.monitor?.suspectedLostUpdates ?? 0) > 0) }]
      : []),
  ];
  const timelines = runs.map((r) => {
    const calls = (r.calls ?? []).map(timelineCall);
    const lost = (r.calls ?? []).filter((c) => c.overwrote).length;
    return `<h3>${r.variant}: ${r.incrementsSent} increments, ${r.lostUpdates} lost${lost ? ` (${lost} writes went over updates they never read, in red)` : ''}</h3>${timelineSvg({ title: `${r.variant} timeline`, calls })}`;
  });
  return {
    title: `racelab demo grpc: the seed's Counter, ${settings.clients} client processes x ${settings.increments} increments`,
    verdict: anyLost ? { label: `updates lost: ${runs.filter((r) => r.lostUpdates > 0).map((r) => r.variant).join(', ')}`, tone: 'bad' } : { label: 'no update lost', tone: 'good' },
    meta: [`${formatMs(settings.delayMs)} read-modify-write window · max concurrency ${settings.maxConcurrency} · store ${settings.store} · variants ${runs.map((r) => r.variant).join(', ')}`],
    reproduce: { command, note: 'Client processes race for real, so a rerun loses a similar number of updates, not the same ones.' },
    table: { columns: ['', ...runs.map((r) => r.variant)], rows },
    explanation: report.explanation,
    terminal: renderGrpcDemo(report),
    sections: [
      {
        id: 'timeline',
        title: 'Every call',
        html: `${timelineLegend({ windows: true })}\n${timelines.join('\n')}`,
        note: "One lane per client process. The light bar is the call as the client saw it, the blue bar the server's handler, the dark bar its read-modify-write (read the counter, wait, write read+1). Click a call for its times.",
      },
      { id: 'latency', title: 'Latency', html: histogramSvg(runs.map((r) => ({ name: r.variant, valuesMs: r.latenciesMs ?? [] }))) },
    ],
  };
}
