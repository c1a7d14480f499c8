import { formatMs, pct, plural } from '../core/units.js';
import type { GrpcDemoReport, GrpcDemoRun } from '../scenarios/counter/demo.js';
import { interruptedLine, renderTable, wrap } from './table.js';

export function renderGrpcDemo(report: GrpcDemoReport): string {
  const { settings, runs } = report;
  const rows: Array<[string, (r: GrpcDemoRun) => string]> = [
    ['client processes', (r) => String(r.clients)],
    ['increments sent', (r) => String(r.incrementsSent)],
    ['acknowledged', (r) => String(r.acknowledged)],
    ['final value', (r) => String(r.finalValue)],
    ['expected', (r) => String(r.expected)],
    ['lost updates', (r) => `${r.lostUpdates} (${pct(r.lostUpdates, r.expected)})`],
    ['failed / unknown', (r) => `${r.failed} / ${r.unknown}`],
    ['wall time', (r) => formatMs(r.wallMs)],
    ['latency p50', (r) => formatMs(r.latencyP50Ms)],
    ['latency p99', (r) => formatMs(r.latencyP99Ms)],
    ['max handlers in flight', (r) => String(r.maxHandlersInFlight)],
    ['responses per wave', (r) => String(r.completionWaveMedian)],
    ...(runs.some((r) => r.monitor) ? ([['monitor: suspected lost updates', (r: GrpcDemoRun) => (r.monitor ? String(r.monitor.suspectedLostUpdates) : '-')]] as Array<[string, (r: GrpcDemoRun) => string]>) : []),
  ];
  const table = renderTable(
    ['', ...runs.map((r) => r.variant)],
    rows.map(([label, f]) => [label, ...runs.map(f)]),
  );
  const title = `racelab demo grpc: the seed's Counter, ${plural(settings.clients, 'client process', 'client processes')} x ${plural(settings.increments, 'increment')}, ${formatMs(settings.delayMs)} read-modify-write window${settings.store === 'memory' ? '' : `, store ${settings.store}`}`;
  return [title, ...(runs.length ? [table] : []), ...report.explanation.map((p) => wrap(p, 100)), ...interruptedLine(report.interrupted, 'variant')].join('\n\n');
}
