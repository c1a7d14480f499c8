import { formatMs, pct, plural } from '../core/units.js';
import type { ReplicasDemoReport } from '../scenarios/replicas/demo.js';
import { formatCounterStats } from './counter-stats.js';
import { interruptedLine, renderTable, wrap } from './table.js';

export function renderReplicasDemo(report: ReplicasDemoReport): string {
  const ms = (v: number): string => (Number.isFinite(v) ? formatMs(v) : '-');
  const table = renderTable(
    ['run', 'store', 'replicas', 'acknowledged', 'final', 'lost', 'failed/unknown', 'calls/s', 'p50', 'p99', 'cost'],
    report.runs.map((r) => [
      r.label,
      r.store,
      String(r.replicas),
      String(r.acknowledged),
      String(r.finalValue),
      r.lostUpdates > 0 ? `${r.lostUpdates} (${pct(r.lostUpdates, r.acknowledged)})` : String(r.lostUpdates),
      `${r.failed}/${r.unknown}`,
      String(Math.round(r.callsPerSecond)),
      ms(r.latencyP50Ms),
      ms(r.latencyP99Ms),
      formatCounterStats(r.stats, true) || '-',
    ]),
  );
  const parts = [
    `racelab demo replicas: the counter on a shared store, ${plural(report.settings.calls, 'increment')} per run, ${report.settings.concurrency} in flight, ${formatMs(report.settings.delayMs)} read-modify-write window`,
    `stores: ${report.settings.stores.join(', ')}`,
    ...(report.runs.length ? [table] : []),
  ];
  if (report.kills.length) {
    parts.push(
      renderTable(
        ['kill -9 mid-burst', 'store', 'killed', 'in flight', 'acknowledged', 'unknown', 'final', 'lost acknowledged', 'unknown applied'],
        report.kills.map((k) => [
          k.variant,
          k.store,
          `replica ${k.killedReplica} after ${k.acknowledgedAtKill}`,
          String(k.inFlightAtKill),
          String(k.acknowledged),
          String(k.unknown),
          String(k.finalValue),
          String(k.lostAcknowledged),
          String(k.unknownApplied),
        ]),
      ),
    );
  }
  parts.push(...report.explanation.map((p) => wrap(p, 100)), ...interruptedLine(report.interrupted, 'run'));
  return parts.join('\n\n');
}
