import { plural } from '../core/units.js';
import type { CheckReport, OperationView } from '../check/check-report.js';
import { DETAILS_SCRIPT } from './page.js';

/**
 * A self-contained HTML page (no external file, font or script) that draws a checked history as a timeline:
 * one lane per client, one bar per operation from invocation to response, the (longest partial) linearization
 * as a numbered thread through the bars, the smallest failing window shaded and the operation where the
 * linearization breaks in red.
 */
export interface HistoryHtmlOptions {
  readonly title?: string;
  /** Where the history came from, shown in the header. */
  readonly source?: string;
  /** Most operations drawn (around the failing window, or from the start); the page says how many were left out. */
  readonly maxOperations?: number;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const VERDICT: Record<CheckReport['verdict'], { label: string; color: string }> = {
  ok: { label: 'linearizable', color: '#15803d' },
  illegal: { label: 'not linearizable', color: '#b91c1c' },
  unknown: { label: 'unknown: the budget ran out', color: '#b45309' },
};

const LABEL_W = 120;
const LANE_H = 38;
const BAR_H = 22;
const TOP = 34;

function compareProcess(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a.localeCompare(b);
}

/** The operations to draw: those overlapping a time range grown around the focus until `max` would be passed. */
function visibleRange(ops: readonly OperationView[], focus: { start: number; end: number }, max: number): { lo: number; hi: number; shown: OperationView[] } {
  const end = (o: OperationView): number => o.return ?? Infinity;
  const within = (lo: number, hi: number): OperationView[] => ops.filter((o) => o.call <= hi && end(o) >= lo);
  const span = Math.max(1, focus.end - focus.start);
  let shown = within(focus.start, focus.end);
  let good = 0;
  let bad = -1;
  // Double the margin around the focus while the operations still fit, then bisect to fill up to `max`.
  for (let grow = span / 2; grow < 1e15; grow *= 2) {
    const next = within(focus.start - grow, focus.end + grow);
    if (next.length > max) {
      bad = grow;
      break;
    }
    good = grow;
    shown = next;
    if (next.length === ops.length) break;
  }
  for (let i = 0; bad > 0 && i < 30; i++) {
    const mid = (good + bad) / 2;
    const next = within(focus.start - mid, focus.end + mid);
    if (next.length > max) bad = mid;
    else {
      good = mid;
      shown = next;
    }
  }
  const lo = focus.start - good;
  const hi = focus.end + good;
  if (shown.length > max) shown = shown.slice(0, max);
  return { lo, hi, shown };
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function renderHistoryHtml(report: CheckReport, options: HistoryHtmlOptions = {}): string {
  const max = options.maxOperations ?? 600;
  const ops = report.timeline;
  const window = report.window;
  const focusPartition = window ? window.partition : report.partitions === 1 ? (report.partitionReports[0]?.key ?? null) : undefined;
  const focusReport =
    focusPartition !== undefined
      ? report.partitionReports.find((p) => p.key === focusPartition)
      : report.partitionReports.find((p) => p.verdict !== 'ok');
  const inFocus = (o: OperationView): boolean => focusPartition === undefined || focusPartition === null || o.partition === focusPartition;
  const blocked = focusReport?.blockedBy;

  // A loop, not Math.min(...spread): spreading 150,000 operations into one call overflows the stack.
  const firstCall = ops.length > 0 ? ops.reduce((m, o) => Math.min(m, o.call), Infinity) : 0;
  const lastTime = ops.length > 0 ? ops.reduce((m, o) => Math.max(m, o.return ?? o.call), -Infinity) : 1;
  const blockedOp = blocked !== undefined ? ops[blocked] : undefined;
  const focus = window
    ? { start: window.start, end: window.end }
    : blockedOp
      ? { start: blockedOp.call, end: blockedOp.return ?? blockedOp.call }
      : { start: firstCall, end: firstCall };
  const { lo: rangeLo, hi: rangeHi, shown } = visibleRange(ops, focus, max);
  const lo = Math.max(firstCall, rangeLo);
  const hi = Math.min(Math.max(lastTime, lo + 1), rangeHi);
  const left = Math.min(lo, ...shown.map((o) => o.call));
  const right = Math.max(hi, ...shown.map((o) => o.return ?? o.call), left + 1);

  // Scale so that a typical operation is wide enough to label, within a page that scrolls sideways.
  const durations = shown.filter((o) => o.return !== null).map((o) => o.return! - o.call).sort((a, b) => a - b);
  const typical = durations.length > 0 ? Math.max(durations[durations.length >> 1]!, (right - left) / 400) : right - left;
  // Wide enough for a typical label (`#12 put x=abc`), not only a fixed 90px: kv labels were cut to "pu…".
  const labelLengths = shown.map((o) => o.description.length + 5).sort((a, b) => a - b);
  const typicalLabelPx = Math.max(90, (labelLengths[labelLengths.length >> 1] ?? 10) * 6.6 + 14);
  const pxPerUnit = Math.min(12_000 / (right - left), Math.max(900 / (right - left), typicalLabelPx / Math.max(typical, 1e-9)));
  const plotW = Math.ceil((right - left) * pxPerUnit);
  // The plot scrolls sideways under a fixed column of lane labels, so x is measured from the plot's own edge.
  const x = (t: number): number => 10 + (Math.min(t, right) - left) * pxPerUnit;

  const processes = [...new Set(shown.map((o) => o.process))].sort(compareProcess);
  const lane = new Map(processes.map((p, i) => [p, i]));
  const laneY = (p: string | number): number => TOP + lane.get(p)! * LANE_H;
  const height = TOP + processes.length * LANE_H + 30;
  const width = 20 + plotW + 160; // room after the last bars for labels that do not fit inside them

  const order = new Map<number, number>();
  (focusReport?.order ?? []).forEach((id, k) => order.set(id, k + 1));
  const essential = new Set(window?.operations ?? []);
  // With a failing window, bars carry the explanation's own numbers ([1]…[n]), so the text and the chart agree;
  // the linearization order (#k) stays in each bar's details.
  const textLabel = new Map((window?.operations ?? []).map((id, k) => [id, `[${k + 1}]`]));

  const svg: string[] = [];
  svg.push(`<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="history timeline">`);
  svg.push(
    '<defs><pattern id="hatch" width="7" height="7" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="7" height="7" fill="#fffbeb"/><line x1="0" y1="0" x2="0" y2="7" stroke="#fcd34d" stroke-width="2"/></pattern></defs>',
  );
  // Lanes.
  processes.forEach((p, i) => {
    const y = TOP + i * LANE_H;
    svg.push(`<rect class="lane" x="0" y="${y}" width="${width}" height="${LANE_H}" fill="${i % 2 ? '#f8fafc' : '#ffffff'}"/>`);
  });
  const labels = [`<svg width="${LABEL_W}" height="${height}" viewBox="0 0 ${LABEL_W} ${height}" aria-hidden="true">`];
  processes.forEach((p, i) => {
    const y = TOP + i * LANE_H;
    labels.push(`<rect x="0" y="${y}" width="${LABEL_W}" height="${LANE_H}" fill="${i % 2 ? '#f8fafc' : '#ffffff'}"/>`);
    labels.push(`<text class="lane-label" x="8" y="${y + LANE_H / 2 + 4}">process ${esc(String(p))}</text>`);
  });
  labels.push('</svg>');
  // Time axis.
  const step = niceStep(right - left, Math.max(4, plotW / 140));
  const axisOrigin = report.timeUnit === 'us' ? firstCall : 0;
  for (let t = axisOrigin + Math.ceil((left - axisOrigin) / step) * step; t <= right; t += step) {
    const label = report.timeUnit === 'us' ? `${+((t - firstCall) / 1000).toFixed(3)}ms` : `event ${Math.round(t) + 1}`;
    svg.push(`<line x1="${x(t)}" y1="${TOP - 6}" x2="${x(t)}" y2="${height - 24}" stroke="#e2e8f0"/>`);
    svg.push(`<text class="tick" x="${x(t)}" y="${TOP - 10}" text-anchor="middle">${esc(label)}</text>`);
  }
  // The smallest failing window.
  if (window) {
    const wx = x(window.start);
    svg.push(
      `<rect class="window-band" x="${wx}" y="${TOP}" width="${Math.max(2, x(window.end) - wx)}" height="${processes.length * LANE_H}" fill="#fee2e2" fill-opacity="0.55" stroke="#f87171" stroke-dasharray="4 3"/>`,
    );
    svg.push(`<text class="window-label" x="${wx + 4}" y="${height - 10}">smallest failing window</text>`);
  }
  // Where the next bar on the same lane starts: a label that does not fit in a short bar goes after it if there is room.
  const nextStart = new Map<number, number>();
  for (const p of processes) {
    const onLane = shown.filter((o) => o.process === p).sort((a, b) => a.call - b.call);
    onLane.forEach((o, i) => nextStart.set(o.id, i + 1 < onLane.length ? x(onLane[i + 1]!.call) : width - 10));
  }
  // Bars.
  for (const o of shown) {
    const y = laneY(o.process) + (LANE_H - BAR_H) / 2;
    const x0 = x(o.call);
    // An unknown outcome has no end: a short hatched bar, then a dashed line for "may take effect any time later"
    // (a full-width hatched lane drowned the operations that decide the verdict).
    const openEnded = o.return === null;
    const x1 = openEnded ? Math.min(x(right), x0 + Math.max(36, typical * pxPerUnit)) : x(o.return!);
    const w = Math.max(3, x1 - x0);
    const k = order.get(o.id);
    const classes = ['op', `status-${o.status}`, 'clickable'];
    let fill = '#cbd5e1';
    let stroke = '#64748b';
    let text = '#0f172a';
    let dash = '';
    let strokeW = 1;
    if (!inFocus(o)) {
      fill = '#f1f5f9';
      stroke = '#cbd5e1';
      text = '#64748b';
      classes.push('other-partition');
    } else if (o.status === 'info') {
      fill = 'url(#hatch)';
      stroke = '#d97706';
      dash = ' stroke-dasharray="5 3"';
    } else if (o.status === 'fail') {
      fill = '#f8fafc';
      stroke = '#94a3b8';
      dash = ' stroke-dasharray="2 2"';
      text = '#64748b';
    } else if (k !== undefined) {
      fill = '#2563eb';
      stroke = '#1e3a8a';
      text = '#ffffff';
      classes.push('linearized');
    }
    if (essential.has(o.id)) {
      stroke = '#ea580c';
      strokeW = 2.5;
      classes.push('essential');
    }
    if (o.id === blocked || o.id === window?.breakOperation) {
      fill = '#dc2626';
      stroke = '#7f1d1d';
      text = '#ffffff';
      strokeW = 3;
      classes.push('break');
    }
    if (k !== undefined && o.status === 'info') classes.push('linearized');
    const tip = [
      `process ${o.process}: ${o.description}`,
      o.status === 'ok' ? 'completed (ok)' : o.status === 'fail' ? 'failed: no effect' : 'outcome unknown: may or may not have taken effect',
      report.timeUnit === 'us'
        ? `invoked ${((o.call - firstCall) / 1000).toFixed(3)}ms${o.return !== null ? `, returned ${((o.return - firstCall) / 1000).toFixed(3)}ms` : ''}`
        : `events ${o.call + 1}${o.return !== null ? `–${o.return + 1}` : ''}`,
      o.line !== undefined ? `line ${o.line}` : '',
      o.partition !== undefined ? `key ${o.partition}` : '',
      textLabel.has(o.id) ? `${textLabel.get(o.id)} in the explanation` : '',
      k !== undefined ? `#${k} in the ${focusReport?.verdict === 'ok' ? '' : 'longest partial '}linearization${o.stateAfter !== undefined ? `; state after it: ${o.stateAfter}` : ''}` : '',
      o.id === blocked ? 'the linearization breaks here: this response cannot be explained' : '',
    ]
      .filter(Boolean)
      .join('\n');
    const prefix = window ? (textLabel.has(o.id) ? `${textLabel.get(o.id)} ` : '') : k !== undefined ? `#${k} ` : '';
    const label = `${prefix}${o.description}${o.status === 'info' ? ' ?' : ''}${o.partition !== undefined && !inFocus(o) ? ` [${o.partition}]` : ''}`;
    const CHAR_W = 6.6;
    const fitsInside = label.length * CHAR_W + 8 <= w;
    const room = (nextStart.get(o.id) ?? width) - (x0 + w) - 8;
    const outside = !fitsInside && label.length * CHAR_W <= room;
    const maxChars = Math.floor((outside ? room : w - 8) / CHAR_W);
    const shownLabel = maxChars <= 1 ? '' : label.length > maxChars ? `${label.slice(0, Math.max(1, maxChars - 1))}…` : label;
    const labelX = outside ? x0 + w + 4 : x0 + 5;
    const labelFill = outside ? (o.id === blocked || o.id === window?.breakOperation ? '#b91c1c' : '#0f172a') : text;
    svg.push(
      `<g class="${classes.join(' ')}" data-op="${o.id}"${o.partition !== undefined ? ` data-partition="${esc(o.partition)}"` : ''}><title>${esc(tip)}</title>` +
        `<rect x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" rx="4" fill="${fill}" stroke="${stroke}" stroke-width="${strokeW}"${dash}/>` +
        (openEnded && x1 < x(right) ? `<line class="open-end" x1="${x1.toFixed(1)}" y1="${y + BAR_H / 2}" x2="${x(right).toFixed(1)}" y2="${y + BAR_H / 2}" stroke="#d97706" stroke-width="1.2" stroke-dasharray="2 4"/>` : '') +
        (shownLabel ? `<text x="${labelX.toFixed(1)}" y="${y + BAR_H / 2 + 4}" fill="${labelFill}"${outside ? ' font-weight="600"' : ''}>${esc(shownLabel)}</text>` : '') +
        '</g>',
    );
  }
  // The linearization as a thread: each operation at the earliest instant consistent with the order.
  if (focusReport && focusReport.order.length > 0) {
    const visible = new Set(shown.map((o) => o.id));
    let t = -Infinity;
    const points: Array<{ x: number; y: number; id: number }> = [];
    for (const id of focusReport.order) {
      const o = ops[id]!;
      t = Math.max(t, o.call);
      if (visible.has(id) && t >= left && t <= right) points.push({ x: x(t), y: laneY(o.process) + LANE_H / 2, id });
    }
    if (points.length > 1) {
      svg.push(`<polyline class="thread" points="${points.map((p) => `${p.x.toFixed(1)},${p.y}`).join(' ')}" fill="none" stroke="#0f172a" stroke-width="1.5" stroke-opacity="0.65"/>`);
    }
    for (const p of points) svg.push(`<circle class="point" cx="${p.x.toFixed(1)}" cy="${p.y}" r="3.5" fill="#0f172a"/>`);
    const b = blockedOp && visible.has(blockedOp.id) ? blockedOp : undefined;
    const last = points[points.length - 1];
    if (b && last) {
      const bx = x(Math.max(t, b.call));
      const by = laneY(b.process) + LANE_H / 2;
      svg.push(`<line class="break-link" x1="${last.x.toFixed(1)}" y1="${last.y}" x2="${bx.toFixed(1)}" y2="${by}" stroke="#dc2626" stroke-width="2" stroke-dasharray="5 4"/>`);
      svg.push(`<text class="break-mark" x="${bx.toFixed(1)}" y="${by + 5}" text-anchor="middle" fill="#ffffff">✕</text>`);
    }
  }
  svg.push('</svg>');

  const v = VERDICT[report.verdict];
  const c = report.counts;
  const omitted = ops.length - shown.length;
  const explanation = report.explanation
    .map((line) => (/^\s+\[\d+\]/.test(line) ? `<li>${esc(line.trim())}</li>` : `<p>${esc(line)}</p>`))
    .join('\n')
    .replace(/<\/p>\n<li>/g, '</p>\n<ol class="ops"><li>')
    .replace(/<\/li>\n<p>/g, '</li></ol>\n<p>');
  const partitionOptions =
    report.partitions > 1
      ? `<label class="filter">show key <select id="partition"><option value="">all keys</option>${report.partitionReports
          .map((p) => `<option value="${esc(String(p.key))}"${p.key === focusPartition ? ' selected' : ''}>${esc(String(p.key))} (${p.verdict})</option>`)
          .join('')}</select></label>`
      : '';
  const title = options.title ?? `racelab check: ${report.model} model`;
  // The state along the linearization, step by step: the chart shows the order, this shows what it does.
  const MAX_STEPS = 300;
  const orderIds = focusReport?.order ?? [];
  const stepRows = orderIds
    .slice(0, MAX_STEPS)
    .map((id, k) => {
      const o = ops[id]!;
      return `<tr data-op="${id}"><td>#${k + 1}</td><td>${textLabel.has(id) ? esc(textLabel.get(id)!) : ''}</td><td>process ${esc(String(o.process))}</td><td>${esc(o.description)}${o.status === 'info' ? ' (outcome unknown)' : ''}</td><td>${o.stateAfter !== undefined ? esc(o.stateAfter) : ''}</td></tr>`;
    })
    .join('\n');
  const breakRow =
    blockedOp && focusReport?.verdict !== 'ok'
      ? `<tr class="break-row"><td>✕</td><td>${textLabel.has(blockedOp.id) ? esc(textLabel.get(blockedOp.id)!) : ''}</td><td>process ${esc(String(blockedOp.process))}</td><td>${esc(blockedOp.description)}</td><td>does not fit: no state along this order explains its response</td></tr>`
      : '';
  const linearization =
    orderIds.length > 0 || breakRow
      ? `<section id="linearization"><h2>The ${focusReport?.verdict === 'ok' ? '' : 'longest partial '}linearization${focusPartition ? ` of key ${esc(String(focusPartition))}` : ''}, step by step</h2>
<table class="steps"><tr><th>order</th><th>in the text</th><th>process</th><th>operation</th><th>state after it</th></tr>
${stepRows}${breakRow}</table>${orderIds.length > MAX_STEPS ? `<p class="note">the first ${MAX_STEPS} of ${orderIds.length} steps</p>` : ''}</section>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #0f172a; margin: 0; background: #fff; }
  header, section { padding: 14px 22px; }
  header { border-bottom: 1px solid #e2e8f0; }
  h1 { font-size: 18px; margin: 0 0 6px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  .verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; background: ${v.color}; }
  .meta { color: #475569; margin: 6px 0 0; }
  .explanation p { margin: 6px 0; max-width: 110ch; }
  ol.ops { margin: 4px 0 8px; padding-left: 22px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; list-style: none; }
  .legend { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; color: #334155; font-size: 13px; margin-bottom: 8px; }
  .legend i { display: inline-block; width: 26px; height: 12px; border-radius: 3px; vertical-align: -1px; margin-right: 5px; border: 1px solid #64748b; }
  .timeline { display: flex; border: 1px solid #e2e8f0; border-radius: 6px; overflow: hidden; }
  .labels { flex: none; border-right: 1px solid #e2e8f0; }
  .scroll { overflow-x: auto; flex: 1; }
  svg { display: block; font: 12px system-ui, sans-serif; }
  .lane-label { font-weight: 600; fill: #334155; }
  .tick { fill: #64748b; font-size: 11px; }
  .window-label { fill: #b91c1c; font-size: 12px; font-weight: 600; }
  .break-mark { font-size: 15px; font-weight: 700; }
  .op { cursor: default; }
  .op:hover rect { filter: brightness(1.08); stroke-width: 3; }
  .other-partition { opacity: 0.55; }
  .hidden { display: none; }
  .note { color: #64748b; font-size: 13px; }
  .filter { margin-left: auto; }
  .clickable { cursor: pointer; }
  .selected { stroke: #0f172a !important; stroke-width: 3 !important; }
  table.steps { border-collapse: collapse; font-size: 13px; }
  table.steps th, table.steps td { border-bottom: 1px solid #e2e8f0; padding: 3px 12px; text-align: left; }
  table.steps td:nth-child(4), table.steps td:nth-child(5) { font-family: ui-monospace, Menlo, Consolas, monospace; }
  tr.break-row td { color: #b91c1c; font-weight: 600; }
  #details { position: fixed; right: 16px; bottom: 16px; max-width: 520px; background: #f8fafc; border: 1px solid #94a3b8; border-radius: 6px; box-shadow: 0 4px 14px rgba(15, 23, 42, 0.18); padding: 8px 12px; font: 13px ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; }
  #details:empty { display: none; }
</style>
</head>
<body>
<header>
  <h1>${esc(title)} <span class="verdict" id="verdict">${esc(v.label)}</span></h1>
  <p class="meta">${options.source ? `${esc(options.source)} · ` : ''}${plural(ops.length, 'operation')} from ${plural(c.processes, 'process', 'processes')} (${c.ok} ok, ${c.failed} failed, ${c.unknownOutcome} unknown outcome) · ${plural(report.partitions, 'partition')} · ${plural(report.steps, 'search step')} in ${report.searchMs.toFixed(1)}ms</p>
</header>
<section class="explanation">
${explanation}
</section>
<section>
  <div class="legend">
    <span><i style="background:#2563eb;border-color:#1e3a8a"></i>in the ${report.verdict === 'ok' ? '' : 'longest partial '}linearization (#order)</span>
    <span><i style="background:#cbd5e1"></i>not in it</span>
    ${report.verdict === 'ok' ? '' : '<span><i style="background:#dc2626;border-color:#7f1d1d"></i>where it breaks</span>'}
    ${window ? '<span><i style="background:#fff;border:2.5px solid #ea580c"></i>needed for the proof</span>' : ''}
    <span><i style="background:#fef3c7;border:1px dashed #d97706"></i>outcome unknown</span>
    <span><i style="background:#f8fafc;border:1px dashed #94a3b8"></i>failed (no effect)</span>
    ${window ? '<span><i style="background:#fee2e2;border:1px dashed #f87171"></i>smallest failing window</span>' : ''}
    ${partitionOptions}
  </div>
  <div class="timeline"><div class="labels">${labels.join('')}</div><div class="scroll">${svg.join('\n')}</div></div>
  <p class="note">${omitted > 0 ? `${shown.length} of ${ops.length} operations drawn (those around ${window ? 'the failing window' : blockedOp ? 'where the search stopped' : 'the start'}); ${omitted} left out. ` : ''}Click a bar (or hover it) for its details. The thread joins the operations in linearization order, each at the earliest instant the order allows.</p>
</section>
${linearization}
<div id="details"></div>
<script>${DETAILS_SCRIPT}</script>
<script>
  (function () {
    // Open at the failing window (or where the search stopped), not at the start of a long history.
    var scroller = document.querySelector('.scroll');
    var target = document.querySelector('.window-band') || document.querySelector('g.op.break rect');
    if (scroller && target) {
      var x = target.getBBox().x;
      scroller.scrollLeft = Math.max(0, x - scroller.clientWidth / 3);
    }
  })();
  (function () {
    var select = document.getElementById('partition');
    if (!select) return;
    function apply() {
      var key = select.value;
      document.querySelectorAll('g.op').forEach(function (g) {
        var p = g.getAttribute('data-partition');
        g.classList.toggle('hidden', key !== '' && p !== key);
      });
    }
    select.addEventListener('change', apply);
  })();
</script>
</body>
</html>
`;
}
