import { formatMs, plural } from '../core/units.js';
import { isUnknownOutcome, statusName } from '../grpc/status.js';
import { formatMicros } from '../attack/report.js';
import { barsSvg, histogramSvg, latenciesMs, timelineSvg, timelineLegend, type TimelineCall } from './charts.js';
import { esc, type ReportPage, type Tone } from './page.js';
import { explainImpactsScenario, exploredText, monitorText, renderImpactsDemo } from './impacts-demo-text.js';
import type { ImpactDemoCall, ImpactsDemoReport, ImpactsDemoRun, ImpactsDemoScenario } from '../scenarios/impacts/demo.js';

const accepted = (r: ImpactsDemoRun): number => Object.values(r.accepted).reduce((s, n) => s + n, 0);

function timelineCall(c: ImpactDemoCall): TimelineCall {
  const rel = (t: number | undefined): string => (t === undefined ? '?' : `${((t - c.sentMicros) / 1000).toFixed(2)}ms`);
  const details = [
    `call ${c.index + 1}, request ${c.requestId}: ${c.method} -> ${statusName(c.code)}`,
    `request ${JSON.stringify(c.request)}`,
    `sent at +0, answered at ${rel(c.doneMicros)}`,
    c.handlerStartMicros !== undefined ? `server handler ${rel(c.handlerStartMicros)} → ${rel(c.handlerEndMicros)}` : '',
    c.windowMicros ? `first read at ${rel(c.windowMicros.startMicros)}, last write at ${rel(c.windowMicros.endMicros)}` : '',
    c.overwrote ? `SUSPECTED LOST UPDATE: wrote over the update of request ${c.overwrote}, which it never read` : '',
    c.overwrittenBy ? `its update was written over by request ${c.overwrittenBy}` : '',
  ].filter(Boolean);
  return {
    lane: c.method,
    sentMicros: c.sentMicros,
    doneMicros: c.doneMicros,
    ...(c.handlerStartMicros !== undefined ? { handler: { startMicros: c.handlerStartMicros, ...(c.handlerEndMicros !== undefined ? { endMicros: c.handlerEndMicros } : {}) } } : {}),
    ...(c.windowMicros ? { window: c.windowMicros } : {}),
    status: c.code === 0 ? 'ok' : isUnknownOutcome(c.code) ? 'unknown' : 'fail',
    ...(c.overwrote ? { mark: 'lost' as const } : c.overwrittenBy ? { mark: 'overwritten' as const } : {}),
    details: details.join('\n'),
  };
}

/** A cell of the side-by-side table: text, red when bad, and a class and data attribute for styling and tests. */
const cell = (text: string, cls: string, bad = false, data = ''): string => `<td class="${cls}${bad ? ' bad' : ''}"${data ? ` data-verdict="${esc(data)}"` : ''}>${esc(text)}</td>`;

/** One scenario's variants side by side: a column per variant (the check page's table look). */
function scenarioTable(s: ImpactsDemoScenario): string {
  const runs = s.runs;
  const row = (label: string, cells: string[]): string => `<tr><td>${esc(label)}</td>${cells.join('')}</tr>`;
  const rows = [
    `<tr><th></th>${runs.map((r) => `<th>${esc(r.variant)}</th>`).join('')}</tr>`,
    row('design', runs.map((r) => cell(r.safe ? 'a fix' : 'not safe', 'design'))),
    row('burst verdict', runs.map((r) => cell(r.verdict.toUpperCase(), 'burst-verdict', r.verdict === 'race', r.verdict))),
    row('accepted', runs.map((r) => cell(`${accepted(r)}/${r.calls} (${Object.entries(r.accepted).map(([m, n]) => `${m} ${n}`).join(', ') || 'none'})`, 'accepted'))),
    row('refused / unknown', runs.map((r) => cell(`${r.refused} / ${r.unknown}`, 'refused'))),
    row('impact', runs.map((r) => cell(r.impact.violated ? `${r.impact.amount} ${r.impact.unit}` : 'invariant holds', 'impact', r.impact.violated))),
    row('impact detail', runs.map((r) => cell(r.impact.detail, 'impact-detail'))),
    row('explorer (dfs)', runs.map((r) => cell(exploredText(r.explored), 'explorer-verdict', r.explored?.verdict === 'race-found' || r.explored?.verdict === 'deadlock-found', r.explored?.verdict ?? 'not-explored'))),
    ...(runs.some((r) => r.monitor)
      ? [row('race monitor', runs.map((r) => (r.monitor ? cell(monitorText(r.monitor), 'monitor', r.monitor.visible && r.monitor.suspectedLostUpdates > 0, r.monitor.visible ? String(r.monitor.suspectedLostUpdates) : 'not-visible') : cell('-', 'monitor'))))]
      : []),
    row('burst wall time', runs.map((r) => cell(formatMs(r.wallMs), 'wall'))),
  ];
  return `<table class="side scenario-table" data-scenario="${esc(s.name)}">${rows.join('\n')}</table>`;
}

function detectionTable(s: ImpactsDemoScenario): string {
  if (!s.detection?.length) return '';
  const head = '<tr><th>sync mode</th><th>rounds with the invariant broken</th><th>undecided</th><th>impact in all</th></tr>';
  const rows = s.detection
    .map((d) => `<tr><td>${esc(d.sync)}</td>${cell(`${d.detected}/${d.rounds} (${Math.round((100 * d.detected) / Math.max(1, d.rounds))}%)`, 'detected', d.detected > 0)}${cell(String(d.undecided), 'undecided')}${cell(`${d.impact} ${d.unit || 'impact'}`, 'impact')}</tr>`)
    .join('\n');
  return `<h3>Detection rate of the vulnerable variant per sync mode (racelab attack --scenario ${esc(s.name)})</h3><table class="side detection">${head}\n${rows}</table>`;
}

/** Each variant's burst is one round: its spread per variant, as the attack page draws it per round. */
function burstSpreads(s: ImpactsDemoScenario): string {
  const runs = s.runs.filter((r) => r.burstSpread);
  if (runs.length === 0) return '';
  const measure = (r: ImpactsDemoRun) => r.burstSpread!.server ?? r.burstSpread!.send;
  const worst = Math.max(...runs.map((r) => measure(r)?.rangeMicros ?? 0));
  return `<h3>Burst spread per variant (one round each)</h3>${barsSvg(
    runs.map((r) => {
      const { server, send } = r.burstSpread!;
      return {
        label: r.variant,
        value: measure(r)?.rangeMicros ?? 0,
        text: formatMicros(worst),
        bad: r.verdict === 'race',
        details: `${r.variant}: ${r.verdict}${r.impact.violated ? `, ${r.impact.amount} ${r.impact.unit}` : ''}\n${server ? `server: first to last handler start ${formatMicros(server.rangeMicros)}` : 'server spread not known (a handler start is missing)'}\n${send ? `client: first to last send ${formatMicros(send.rangeMicros)}` : ''}`,
      };
    }),
  )}<p class="note">First to last handler start on the server (or first to last send, where a handler start is missing); red: the burst broke the invariant.</p>`;
}

function latencies(s: ImpactsDemoScenario): string {
  const series = s.runs.filter((r) => r.callLog?.length).map((r) => ({ name: r.variant, valuesMs: latenciesMs(r.callLog!) }));
  return series.length ? `<h3>Latency of the burst calls, per variant</h3>${histogramSvg(series)}` : '';
}

function scenarioHtml(s: ImpactsDemoScenario): string {
  const timelines = s.runs
    .filter((r) => r.callLog?.length)
    .map((r) => {
      const lost = (r.callLog ?? []).filter((c) => c.overwrote).length;
      return `<h3>${esc(r.variant)}: ${plural(r.calls, 'call')}, ${accepted(r)} accepted, ${esc(r.impact.violated ? `${r.impact.amount} ${r.impact.unit}` : 'invariant holds')}${lost ? ` (${lost} writes went over updates they never read, in red)` : ''}</h3>${timelineSvg({ title: `${s.name} ${r.variant} timeline`, calls: (r.callLog ?? []).map(timelineCall) })}`;
    });
  return [
    `<p class="meta">invariant: ${esc(s.invariant)}</p>`,
    scenarioTable(s),
    `<ul class="note variants">${s.runs.map((r) => `<li><b>${esc(r.variant)}</b>: ${esc(r.summary)}</li>`).join('')}</ul>`,
    timelines.length ? `<h3>Every call of each burst</h3>${timelineLegend({ windows: true })}\n${timelines.join('\n')}` : '',
    burstSpreads(s),
    latencies(s),
    detectionTable(s),
  ]
    .filter(Boolean)
    .join('\n');
}

/** `racelab demo impacts --html`: per scenario the variants side by side, the explorer's verdicts, every burst call. */
export function impactsDemoPage(report: ImpactsDemoReport, command: string): ReportPage {
  const vulnerable = report.scenarios.flatMap((s) => s.runs.filter((r) => r.verdict === 'race').map((r) => `${s.name} ${r.variant}`));
  const fixFailed = report.scenarios.flatMap((s) => s.runs.filter((r) => r.safe && r.verdict === 'race').map((r) => `${s.name} ${r.variant}`));
  const undecided = report.scenarios.some((s) => s.runs.some((r) => r.verdict === 'unknown'));
  const verdict: { label: string; tone: Tone } = fixFailed.length
    ? { label: `a fix broke the invariant: ${fixFailed.join(', ')}`, tone: 'bad' }
    : vulnerable.length
      ? { label: `invariant broken by the vulnerable variants (${vulnerable.length}); every fix held${undecided ? ' or is undecided' : ''}`, tone: undecided ? 'warn' : 'bad' }
      : { label: undecided ? 'no invariant broken; some outcomes unknown' : 'no invariant broken', tone: undecided ? 'warn' : 'good' };
  return {
    title: `racelab demo impacts: ${report.scenarios.map((s) => s.name).join(', ')}`,
    verdict,
    meta: [`each variant served on loopback on the memory store · ${formatMs(report.delayMs)} between check and write · ${plural(report.count, 'call')} of each method at once · explorer: dfs, 3 clients`],
    reproduce: { command, note: 'The bursts race for real, so a rerun breaks the invariant by a similar amount, not the same; the explorer\'s verdicts are deterministic (seed 1).' },
    explanation: report.scenarios.flatMap((s) => explainImpactsScenario(s).map((l) => `${s.name} — ${l}`)),
    terminal: renderImpactsDemo(report),
    sections: report.scenarios.map((s) => ({
      id: `scenario-${s.name}`,
      title: s.title,
      html: scenarioHtml(s),
      note: "Timelines: one lane per method. The light bar is the call as the client saw it, the blue bar the server's handler, the dark bar its first read to its last write through the Store (absent where the handler did not go through one). Click a call for its request and times.",
    })),
  };
}
