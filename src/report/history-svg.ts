import type { CheckReport } from '../check/check-report.js';
import { BAR_H, LABEL_W, LANE_H, TOP, type HistoryLayout } from './history-layout.js';
import { esc } from './page.js';

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** The fixed column of lane labels (`process 3`), drawn apart so that it stays put while the plot scrolls. */
export function laneLabelsSvg(layout: HistoryLayout): string {
  const { processes, height } = layout;
  const labels = [`<svg width="${LABEL_W}" height="${height}" viewBox="0 0 ${LABEL_W} ${height}" aria-hidden="true">`];
  processes.forEach((p, i) => {
    const y = TOP + i * LANE_H;
    labels.push(`<rect x="0" y="${y}" width="${LABEL_W}" height="${LANE_H}" fill="${i % 2 ? '#f8fafc' : '#ffffff'}"/>`);
    labels.push(`<text class="lane-label" x="8" y="${y + LANE_H / 2 + 4}">process ${esc(String(p))}</text>`);
  });
  labels.push('</svg>');
  return labels.join('');
}

/**
 * The timeline: one lane per process, one bar per operation from invocation to response, the smallest failing
 * window shaded, the (longest partial) linearization as a numbered thread through the bars, and the operation
 * where it breaks in red.
 */
export function timelineSvg(report: CheckReport, layout: HistoryLayout): string {
  const { ops, window, focusReport, blocked, blockedOp, firstCall, shown, left, right, typical, pxPerUnit, plotW, processes, height, width, order, essential, textLabel, inFocus, x, laneY } =
    layout;
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
  const callouts: Array<{ o: (typeof shown)[number]; label: string; x: number; y: number; bad: boolean }> = [];
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
    // An operation of the failing window whose label is cut gets it whole in a callout under the lanes: there
    // `[2] get "k1" → "…` hid the very value that breaks the linearization.
    if (shownLabel !== label && (textLabel.has(o.id) || o.id === blocked || o.id === window?.breakOperation)) callouts.push({ o, label, x: x0, y: y + BAR_H, bad: o.id === blocked || o.id === window?.breakOperation });
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
  // Each cut label of the failing window on a row of its own below the lanes (so two never overlap), joined to
  // its bar by a dashed line; the svg grows by those rows.
  const CALLOUT_H = 18;
  callouts
    .sort((a, b) => a.x - b.x)
    .forEach((c, i) => {
      const ty = height + 4 + i * CALLOUT_H;
      const CHAR_W = 7.2;
      const anchorEnd = c.x + c.label.length * CHAR_W > width - 4;
      svg.push(
        `<g class="callout" data-op="${c.o.id}"><line x1="${(c.x + 2).toFixed(1)}" y1="${c.y}" x2="${(c.x + 2).toFixed(1)}" y2="${ty + 4}" stroke="${c.bad ? '#dc2626' : '#ea580c'}" stroke-dasharray="2 3"/>` +
          `<text x="${(anchorEnd ? c.x + 2 : c.x + 6).toFixed(1)}" y="${ty + 8}"${anchorEnd ? ' text-anchor="end"' : ''} font-weight="600" fill="${c.bad ? '#b91c1c' : '#9a3412'}">${esc(c.label)}</text></g>`,
      );
    });
  if (callouts.length) {
    const grown = height + 8 + callouts.length * CALLOUT_H;
    svg[0] = `<svg width="${width}" height="${grown}" viewBox="0 0 ${width} ${grown}" role="img" aria-label="history timeline">`;
  }
  svg.push('</svg>');
  return svg.join('\n');
}
