import { plural } from '../core/units.js';
import type { Anomaly, TxnCheckReport } from '../txn/types.js';
import { esc } from './page.js';

/**
 * A self-contained page (no external file, font or script) for a transactional check: the verdict, the counts
 * by anomaly type, the models ruled out, and for each example anomaly its cycle drawn as a small graph of
 * transactions (on a circle, in cycle order) with each edge labelled by its dependency and key, beside the
 * step-by-step explanation.
 */
export interface TxnHtmlOptions {
  readonly title?: string;
  readonly source?: string;
}

const EDGE_COLOR: Record<string, string> = { ww: '#1d4ed8', wr: '#15803d', rw: '#b91c1c', 'ww-or-rw': '#9333ea', realtime: '#6b7280', process: '#b45309' };

const VERDICT: Record<TxnCheckReport['verdict'], { label: string; color: string }> = {
  ok: { label: 'no anomaly found', color: '#15803d' },
  illegal: { label: 'anomalies found', color: '#b91c1c' },
  unknown: { label: 'unknown: the budget ran out before the analysis finished', color: '#b45309' },
};

/** One cycle as SVG: nodes on a circle, curved arrows between consecutive ones, labels at the arrows' middles. */
export function cycleSvg(anomaly: Anomaly, report: TxnCheckReport): string {
  const steps = anomaly.cycle ?? [];
  const n = steps.length;
  const size = n <= 2 ? 260 : Math.min(520, 200 + n * 50);
  const c = size / 2;
  const r = size / 2 - 60;
  const at = (i: number): { x: number; y: number } => ({ x: c + r * Math.cos((2 * Math.PI * i) / n - Math.PI / 2), y: c + r * Math.sin((2 * Math.PI * i) / n - Math.PI / 2) });
  const label = (t: number): string => report.transactions[t]?.label ?? `T${t + 1}`;
  const parts: string[] = [];
  steps.forEach((s, i) => {
    const a = at(i);
    const b = at((i + 1) % n);
    // Bend each edge outwards so a two-transaction cycle draws two arrows, not one line.
    const mx = (a.x + b.x) / 2;
    const my = (a.y + b.y) / 2;
    const dx = mx - c;
    const dy = my - c;
    const len = Math.hypot(dx, dy) || 1;
    const bend = n === 2 ? 70 : 30;
    const ox = n === 2 ? (i === 0 ? 1 : -1) * bend : (dx / len) * bend;
    const oy = n === 2 ? 0 : (dy / len) * bend;
    const qx = mx + ox;
    const qy = my + oy;
    const color = EDGE_COLOR[s.kind] ?? '#111';
    // Stop the arrow at the target circle's edge.
    const ex = b.x - ((b.x - qx) / Math.hypot(b.x - qx, b.y - qy)) * 24;
    const ey = b.y - ((b.y - qy) / Math.hypot(b.x - qx, b.y - qy)) * 24;
    parts.push(`<path d="M${a.x.toFixed(1)},${a.y.toFixed(1)} Q${qx.toFixed(1)},${qy.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}" fill="none" stroke="${color}" stroke-width="2" marker-end="url(#arrow-${s.kind})"/>`);
    parts.push(`<text x="${(0.25 * a.x + 0.5 * qx + 0.25 * b.x).toFixed(1)}" y="${(0.25 * a.y + 0.5 * qy + 0.25 * b.y).toFixed(1)}" fill="${color}" font-size="12" text-anchor="middle" class="edge">${esc(s.kind)}${s.key !== undefined ? ` ${esc(s.key)}` : ''}</text>`);
  });
  steps.forEach((s, i) => {
    const p = at(i);
    parts.push(`<g class="txn"><circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="22" fill="#fff" stroke="#111" stroke-width="1.5"/><text x="${p.x.toFixed(1)}" y="${(p.y + 4).toFixed(1)}" font-size="11" text-anchor="middle">${esc(label(s.from))}</text><title>${esc(`${label(s.from)}: ${report.transactions[s.from]?.ops ?? ''}`)}</title></g>`);
  });
  const markers = Object.entries(EDGE_COLOR)
    .map(([k, color]) => `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="${esc(anomaly.type)} cycle"><defs>${markers}</defs>${parts.join('')}</svg>`;
}

export function renderTxnHtml(report: TxnCheckReport, options: TxnHtmlOptions = {}): string {
  const v = VERDICT[report.verdict];
  const title = options.title ?? `racelab txn check${options.source ? `: ${options.source}` : ''}`;
  const counts = Object.entries(report.anomalyCounts).map(([k, n]) => `<tr><td>${esc(k)}</td><td>${n}</td></tr>`).join('');
  const models = Object.entries(report.models).map(([m, r]) => `<tr><td>${esc(m)}</td><td class="${r}">${esc(r)}</td></tr>`).join('');
  const anomalies = report.anomalies
    .map((a) => {
      const txns = a.txns.map((t) => report.transactions[t]).filter((t) => t !== undefined).map((t) => `<li><b>${esc(t.label)}</b> (process ${esc(t.process)}, ${t.status}): <code>${esc(t.ops)}</code></li>`).join('');
      return `<section class="anomaly"><h2>${esc(a.type)}</h2><div class="row">${a.cycle ? cycleSvg(a, report) : ''}<div><ol class="why">${a.explanation.map((l) => `<li>${esc(l)}</li>`).join('')}</ol><ul>${txns}</ul></div></div></section>`;
    })
    .join('\n');
  const c = report.counts;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;max-width:1100px}
h1{font-size:20px} .verdict{color:${v.color};font-weight:600}
table{border-collapse:collapse;margin:8px 24px 8px 0;display:inline-table;vertical-align:top} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
.ruled-out{color:#b91c1c;font-weight:600} .not-ruled-out{color:#15803d} .unknown{color:#b45309}
.anomaly{border-top:1px solid #ddd;margin-top:16px} .row{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap} .row>div{flex:1;min-width:320px}
ol.why{list-style:none;padding-left:0} ol.why li{margin:4px 0} code{font-size:12px}
</style></head><body>
<h1>${esc(title)}</h1>
<p>workload <b>${esc(report.workload)}</b>: <span class="verdict">${esc(v.label)}</span></p>
<p>${plural(c.transactions, 'transaction')} from ${plural(c.processes, 'process', 'processes')} (${c.ok} ok, ${c.failed} failed, ${c.unknownOutcome} unknown outcome) on ${plural(c.keys, 'key')}; ${plural(report.graph.edges, 'dependency edge')}; ${plural(report.graph.components, 'cycle-holding component')}; ${report.elapsedMs.toFixed(0)} ms.</p>
${counts ? `<table><tr><th>anomaly</th><th>found</th></tr>${counts}</table>` : ''}<table><tr><th>model</th><th>verdict</th></tr>${models}</table>
${report.notes.map((n) => `<p class="note">note: ${esc(n)}</p>`).join('')}
${anomalies}
</body></html>
`;
}
