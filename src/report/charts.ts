import { plural } from '../core/units.js';
import { esc } from './page.js';

/*
 * The charts of a run's page, drawn as inline SVG. A charting library was weighed (uPlot, Vega-Lite, ECharts)
 * and not taken: what these pages draw is bars on lanes (a Gantt of calls, a schedule of steps) and one
 * histogram, which none of them draws better than a rect per call; uPlot has no lanes, and Vega-Lite or ECharts
 * inlined would add 0.8–1 MB to every page for charts of a few dozen marks. Hand-drawn, every call is an element
 * with a class and a <title>, which the page's details panel and the browser tests read.
 */

/** One call on a timeline. Times are µs on one monotonic clock (client and server on one machine). */
export interface TimelineCall {
  /** Who sent it: `client 3`, `connection 2`. */
  readonly lane: string;
  readonly sentMicros: number;
  readonly doneMicros: number;
  /** The server's handler, when known. */
  readonly handler?: { readonly startMicros: number; readonly endMicros?: number };
  /** Its read-modify-write window (first read to write), when known. */
  readonly window?: { readonly startMicros: number; readonly endMicros: number };
  readonly status: 'ok' | 'fail' | 'unknown';
  /** `lost`: its write went over updates it never read; `overwritten`: its update was written over; `duplicated`: it applied an effect a second time. */
  readonly mark?: 'lost' | 'overwritten' | 'duplicated';
  /** What clicking it shows. */
  readonly details: string;
}

export interface TimelineGroup {
  readonly title: string;
  readonly calls: readonly TimelineCall[];
  /** Shaded intervals (µs), e.g. where calls of a round that lost updates were in flight together. */
  readonly bands?: ReadonlyArray<{ readonly startMicros: number; readonly endMicros: number; readonly label: string }>;
}

/** The timeline's legend: only the marks a page draws (an attack sees no read-modify-write; a demo has no rounds; replicas report no handler times). */
export function timelineLegend(shows: {
  readonly windows?: boolean;
  readonly bands?: boolean;
  readonly handlers?: boolean;
  /** The purple mark of a message that applied an effect a second time (only where a run has one). */
  readonly duplicates?: boolean;
  /** What the light bar and the handler bar are, where they are not a client's call and a server's handler. */
  readonly labels?: { readonly span?: string; readonly handler?: string };
}): string {
  return `<div class="legend">
  <span><i style="background:#e2e8f0;border-color:#94a3b8"></i>${esc(shows.labels?.span ?? 'client: sent → answered')}</span>
  ${shows.handlers === false ? '' : `<span><i style="background:#93c5fd;border-color:#2563eb"></i>${esc(shows.labels?.handler ?? 'server handler')}</span>`}
  ${
    shows.windows
      ? `<span><i style="background:#1e3a8a;border-color:#1e3a8a"></i>read → write</span>
  <span><i style="background:#dc2626;border-color:#7f1d1d"></i>wrote over an update it never read (lost update)</span>
  <span><i style="background:#f59e0b;border-color:#b45309"></i>its update was written over</span>`
      : ''
  }
  ${shows.duplicates ? '<span><i style="background:#fff;border:2px solid #7c3aed"></i>applied an effect once too often: a second time, or beyond its limit (duplicated effect)</span>' : ''}
  <span><i style="background:#fff;border:1px dashed #d97706"></i>outcome unknown</span>
  ${shows.bands ? '<span><i style="background:#fee2e2;border:1px dashed #f87171"></i>handler starts of a round that lost updates</span>' : ''}
</div>`;
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** A tick of a timeline's axis: µs shown as `250µs`, `1.5ms`, `120ms`. */
export const fmtMs = (micros: number): string => {
  const ms = micros / 1000;
  return ms >= 100 ? `${Math.round(ms)}ms` : ms >= 1 ? `${+ms.toFixed(1)}ms` : `${Math.round(micros)}µs`;
};

/** Packs a lane's calls into rows so that calls in flight together do not cover each other. */
function packRows(calls: readonly TimelineCall[]): number[] {
  const rowEnds: number[] = [];
  const rowOf: number[] = [];
  const order = calls.map((_, i) => i).sort((a, b) => calls[a]!.sentMicros - calls[b]!.sentMicros);
  for (const i of order) {
    const c = calls[i]!;
    let row = rowEnds.findIndex((end) => end <= c.sentMicros);
    if (row < 0) {
      row = rowEnds.length;
      rowEnds.push(0);
    }
    rowEnds[row] = Math.max(c.doneMicros, c.handler?.endMicros ?? 0);
    rowOf[i] = row;
  }
  return rowOf;
}

/**
 * One group's calls as lanes (one per sender, split into rows where its calls overlap): the client's span as a
 * light bar, the handler inside it, the read-modify-write window darkest; lost updates in red and orange.
 */
export function timelineSvg(group: TimelineGroup, options: { width?: number; tickLabel?: (micros: number) => string } = {}): string {
  const tickLabel = options.tickLabel ?? fmtMs;
  const calls = group.calls;
  if (calls.length === 0) return '<p class="note">no calls</p>';
  const LABEL_W = 110;
  const plotW = options.width ?? 1100;
  const t0 = Math.min(...calls.map((c) => Math.min(c.sentMicros, c.handler?.startMicros ?? Infinity)));
  const t1 = Math.max(...calls.map((c) => Math.max(c.doneMicros, c.handler?.endMicros ?? 0)), t0 + 1);
  const x = (t: number): number => LABEL_W + ((t - t0) / (t1 - t0)) * (plotW - 20);
  const lanes = [...new Set(calls.map((c) => c.lane))];
  const byLane = new Map(lanes.map((l) => [l, calls.filter((c) => c.lane === l)]));
  const rowsOf = new Map(lanes.map((l) => [l, packRows(byLane.get(l)!)]));
  const totalRows = lanes.reduce((n, l) => n + Math.max(1, ...rowsOf.get(l)!.map((r) => r + 1)), 0);
  // Rows shrink as they multiply, so a 1000-call round stays a page tall.
  const ROW_H = Math.max(3, Math.min(22, Math.floor(600 / totalRows)));
  const TOP = 22;
  const out: string[] = [];
  let y = TOP;
  const laneTops: Array<{ lane: string; y: number; h: number }> = [];
  for (const lane of lanes) {
    const rows = Math.max(1, ...rowsOf.get(lane)!.map((r) => r + 1));
    laneTops.push({ lane, y, h: rows * ROW_H + 4 });
    y += rows * ROW_H + 4;
  }
  const height = y + 8;
  const width = LABEL_W + plotW;
  out.push(`<svg class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(group.title)}">`);
  laneTops.forEach((l, i) => {
    out.push(`<rect x="0" y="${l.y}" width="${width}" height="${l.h}" fill="${i % 2 ? '#f8fafc' : '#ffffff'}"/>`);
    if (ROW_H >= 6 || l.h >= 12) out.push(`<text class="lane-label" x="6" y="${l.y + Math.min(l.h, 22) / 2 + 4}">${esc(l.lane)}</text>`);
  });
  const step = niceStep(t1 - t0, 8);
  for (let t = 0; t <= t1 - t0; t += step) {
    out.push(`<line x1="${x(t0 + t).toFixed(1)}" y1="${TOP - 4}" x2="${x(t0 + t).toFixed(1)}" y2="${height - 6}" stroke="#e2e8f0"/>`);
    out.push(`<text class="tick" x="${x(t0 + t).toFixed(1)}" y="${TOP - 8}" text-anchor="middle">${esc(tickLabel(t))}</text>`);
  }
  const laneY = new Map(laneTops.map((l) => [l.lane, l.y + 2]));
  for (const lane of lanes) {
    const laneCalls = byLane.get(lane)!;
    const rows = rowsOf.get(lane)!;
    laneCalls.forEach((c, i) => {
      const top = laneY.get(lane)! + rows[i]! * ROW_H;
      const h = Math.max(2, ROW_H - 2);
      const cls = ['call', 'clickable', `status-${c.status}`, ...(c.mark ? [c.mark] : [])].join(' ');
      const parts = [
        `<rect x="${x(c.sentMicros).toFixed(1)}" y="${top}" width="${Math.max(1.5, x(c.doneMicros) - x(c.sentMicros)).toFixed(1)}" height="${h}" fill="${c.status === 'unknown' ? '#ffffff' : '#e2e8f0'}" stroke="${c.status === 'unknown' ? '#d97706' : '#94a3b8'}"${c.status === 'unknown' ? ' stroke-dasharray="3 2"' : ''} rx="2"/>`,
      ];
      if (c.handler) {
        const hx = x(c.handler.startMicros);
        const he = x(c.handler.endMicros ?? c.doneMicros);
        parts.push(`<rect x="${hx.toFixed(1)}" y="${top + h * 0.15}" width="${Math.max(1.5, he - hx).toFixed(1)}" height="${h * 0.7}" fill="#93c5fd" stroke="#2563eb" stroke-width="0.6"/>`);
      }
      if (c.window) {
        const wx = x(c.window.startMicros);
        const fill = c.mark === 'lost' ? '#dc2626' : c.mark === 'overwritten' ? '#f59e0b' : c.mark === 'duplicated' ? '#7c3aed' : '#1e3a8a';
        // In rows a few pixels high a marked window fills its row: a 1 px red line inside a blue bar reads purple.
        const full = c.mark !== undefined && h < 10;
        parts.push(`<rect class="rmw" x="${wx.toFixed(1)}" y="${full ? top : top + h * 0.3}" width="${Math.max(full ? 3 : 1.5, x(c.window.endMicros) - wx).toFixed(1)}" height="${full ? h : h * 0.4}" fill="${fill}"/>`);
      } else if (c.mark) {
        parts.push(`<rect x="${x(c.sentMicros).toFixed(1)}" y="${top}" width="${Math.max(1.5, x(c.doneMicros) - x(c.sentMicros)).toFixed(1)}" height="${h}" fill="none" stroke="${c.mark === 'lost' ? '#dc2626' : c.mark === 'duplicated' ? '#7c3aed' : '#f59e0b'}" stroke-width="2"/>`);
      }
      out.push(`<g class="${cls}"><title>${esc(c.details)}</title>${parts.join('')}</g>`);
    });
  }
  // The bands go over the calls, translucent: drawn under them, the calls' bars hid all but their dashed edges.
  // They let clicks through to the calls; their label is the text above them.
  for (const b of group.bands ?? []) {
    const bx = x(b.startMicros);
    out.push(
      `<g class="overlap-band" pointer-events="none"><title>${esc(b.label)}</title><rect x="${bx.toFixed(1)}" y="${TOP}" width="${Math.max(3, x(b.endMicros) - bx).toFixed(1)}" height="${height - TOP - 8}" fill="#ef4444" fill-opacity="0.18" stroke="#dc2626" stroke-dasharray="4 3"/></g>`,
    );
  }
  out.push('</svg>');
  return `<div class="chart">${out.join('\n')}</div>`;
}

/** Latency in ms of calls timed on one clock in µs (send to answer): what the histograms of every page draw. */
export const latenciesMs = (calls: ReadonlyArray<{ readonly sentMicros: number; readonly doneMicros: number }>): number[] => calls.map((c) => (c.doneMicros - c.sentMicros) / 1000);

/*
 * The histogram and the bar chart fill the width of their box, whatever it is: the bars are drawn in a nested
 * SVG whose 1000-unit viewBox stretches horizontally only (preserveAspectRatio="none"), and the text is placed
 * in the outer SVG at percentages of its width, so that letters are never stretched. A fixed-width drawing left
 * a half or two thirds of a wide box empty.
 */
const PLOT_UNITS = 1000;
/** x (0…1 of the plot) as a percentage of the svg's width, for text placed outside the stretched plot. */
const pct = (f: number): string => `${(f * 100).toFixed(2)}%`;

/** Latency histograms, one per series, on one shared x scale (so variants compare at a glance). */
export function histogramSvg(series: ReadonlyArray<{ readonly name: string; readonly valuesMs: readonly number[] }>, options: { bins?: number; unit?: string } = {}): string {
  const unit = options.unit ?? 'call';
  const all = series.flatMap((s) => s.valuesMs);
  if (all.length === 0) return '<p class="note">no latencies measured</p>';
  const bins = options.bins ?? 30;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of all) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  lo = Math.max(0, lo);
  if (hi <= lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const H = 150;
  const B = 26;
  const TOP = 18;
  return `<div class="charts">${series
    .map((s) => {
      const counts = new Array<number>(bins).fill(0);
      for (const v of s.valuesMs) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]!++;
      const max = Math.max(1, ...counts);
      const bw = PLOT_UNITS / bins;
      const bars = counts
        .map((n, i) => {
          const h = (n / max) * (H - B - TOP);
          const from = lo + i * width;
          return n === 0
            ? ''
            : `<g class="bin clickable"><title>${esc(`${s.name}: ${plural(n, unit)} between ${from.toFixed(2)}ms and ${(from + width).toFixed(2)}ms`)}</title><rect x="${(i * bw).toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${(bw * 0.92).toFixed(1)}" height="${h.toFixed(1)}" fill="#2563eb"/></g>`;
        })
        .join('');
      const ticks = [0, 0.5, 1]
        .map((f) => `<text class="tick" x="${pct(f)}" y="${H - 8}" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}">${(lo + f * (hi - lo)).toFixed(1)}ms</text>`)
        .join('');
      return `<div><h3>${esc(s.name)} (${plural(s.valuesMs.length, unit)})</h3><div class="chart"><svg class="histogram" width="100%" height="${H}" role="img" aria-label="latency histogram of ${esc(s.name)}">${stretchedPlot(H, `<line x1="0" y1="${H - B}" x2="${PLOT_UNITS}" y2="${H - B}" stroke="#94a3b8" vector-effect="non-scaling-stroke"/>${bars}`)}<text class="tick" x="2" y="12">${plural(max, unit)} at the highest bar</text>${ticks}</svg></div></div>`;
    })
    .join('')}</div>`;
}

/** The part of a chart that stretches to its box's width: marks in 0…PLOT_UNITS across, at their own height. */
function stretchedPlot(height: number, marks: string): string {
  return `<svg class="plot" x="0" y="0" width="100%" height="${height}" viewBox="0 0 ${PLOT_UNITS} ${height}" preserveAspectRatio="none">${marks}</svg>`;
}

/**
 * A bar's label cut into lines of at most `chars` characters, broken after a space or a hyphen where it can be
 * (`redis-lock-fencing x2` → `redis-lock-`, `fencing x2`), so that labels which begin alike stay apart.
 */
export function wrapLabel(label: string, chars: number): string[] {
  const words = label.match(/[^\s-]+-?|\s+/g)?.filter((w) => w.trim()) ?? [label];
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const joined = line && !line.endsWith('-') ? `${line} ${w}` : `${line}${w}`;
    if (line && joined.length > chars) {
      lines.push(line);
      line = w;
    } else line = joined;
    while (line.length > chars) {
      lines.push(line.slice(0, chars));
      line = line.slice(chars);
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** One bar per item (a burst round's spread, a variant's count), labelled in full (wrapped), red where `bad`. */
export function barsSvg(items: ReadonlyArray<{ readonly label: string; readonly value: number; readonly text: string; readonly bad?: boolean; readonly details: string }>): string {
  if (items.length === 0) return '<p class="note">nothing measured</p>';
  // The narrowest the chart is drawn (it stretches wider with its box): the labels are wrapped to fit it.
  const minW = Math.max(460, Math.min(1200, items.length * (items.length > 40 ? 14 : 90) + 60));
  const labelEvery = Math.ceil(items.length / 25);
  const labelChars = Math.max(2, Math.floor(((minW / items.length) * labelEvery - 6) / 6.6));
  const labels = items.map((it) => wrapLabel(it.label, labelChars));
  const lines = Math.min(5, Math.max(1, ...labels.filter((_, i) => i % labelEvery === 0).map((l) => l.length)));
  const TOP = 18;
  const PLOT_H = 142;
  const H = PLOT_H + 8 + lines * 13;
  const max = Math.max(1e-9, ...items.map((i) => i.value));
  const bw = PLOT_UNITS / items.length;
  const bars = items
    .map((it, i) => {
      const h = (it.value / max) * (PLOT_H - TOP);
      return `<g class="bar clickable${it.bad ? ' bad' : ''}"><title>${esc(it.details)}</title><rect x="${(i * bw + bw * 0.04).toFixed(1)}" y="${(PLOT_H - h).toFixed(1)}" width="${(bw * 0.92).toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}" fill="${it.bad ? '#dc2626' : '#2563eb'}"/></g>`;
    })
    .join('');
  const texts = labels
    .map((l, i) => {
      if (i % labelEvery !== 0) return '';
      const shown = l.length > lines ? [...l.slice(0, lines - 1), `${l[lines - 1]!.slice(0, labelChars - 1)}…`] : l;
      const x = pct((i + 0.5) / items.length);
      return `<text class="tick bar-label" text-anchor="middle"><title>${esc(items[i]!.label)}</title>${shown.map((t, k) => `<tspan x="${x}" y="${PLOT_H + 14 + k * 13}">${esc(t)}</tspan>`).join('')}</text>`;
    })
    .join('');
  const top = items.reduce((m, i) => (i.value > m.value ? i : m), items[0]!).text;
  return `<div class="chart"><svg class="bars" width="100%" height="${H}" style="min-width:${minW}px" role="img">${stretchedPlot(H, `<line x1="0" y1="${PLOT_H}" x2="${PLOT_UNITS}" y2="${PLOT_H}" stroke="#94a3b8" vector-effect="non-scaling-stroke"/>${bars}`)}<text class="tick" x="2" y="12">highest: ${esc(top)}</text>${texts}</svg></div>`;
}

/** One step of a schedule: which task ran it, its label, whether it preempted another task, the state after. */
export interface ScheduleStep {
  readonly step: number;
  readonly task: string;
  readonly label: string;
  readonly preempts?: string;
  /** The state after the step, as known (e.g. `counter=1`). */
  readonly state?: string;
}

/**
 * A schedule as lanes per task: each step a numbered box in its task's lane, preemptions marked, the state after
 * each step below (a row only when some step has a state). The lane labels are a column of their own beside the
 * scrolled steps, so a schedule thousands of pixels wide keeps them in view (as the check page's timeline does).
 */
export function scheduleSvg(steps: readonly ScheduleStep[]): string {
  if (steps.length === 0) return '<p class="note">no steps</p>';
  const tasks = [...new Set(steps.map((s) => s.task))].sort();
  const hasState = steps.some((s) => s.state !== undefined);
  const LABEL_W = Math.max(70, Math.min(260, Math.max(...tasks.map((t) => t.length)) * 7 + 16));
  const BOX_W = Math.max(120, Math.min(260, Math.max(...steps.map((s) => s.label.length)) * 7 + 44));
  const GAP = 10;
  const LANE_H = 46;
  const TOP = 24;
  const stateY = TOP + tasks.length * LANE_H + 8;
  const width = steps.length * (BOX_W + GAP) + 10;
  const height = hasState ? stateY + 40 : stateY;
  const labels: string[] = [`<svg class="schedule-labels" width="${LABEL_W}" height="${height}" viewBox="0 0 ${LABEL_W} ${height}" aria-hidden="true">`];
  const out: string[] = [`<svg class="schedule" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="schedule">`];
  tasks.forEach((t, i) => {
    const y = TOP + i * LANE_H;
    const fill = i % 2 ? '#f8fafc' : '#ffffff';
    labels.push(`<rect x="0" y="${y}" width="${LABEL_W}" height="${LANE_H}" fill="${fill}"/><text class="lane-label" x="8" y="${y + LANE_H / 2 + 4}">${esc(t)}</text>`);
    out.push(`<rect x="0" y="${y}" width="${width}" height="${LANE_H}" fill="${fill}"/>`);
  });
  if (hasState) labels.push(`<text class="lane-label" x="8" y="${stateY + 20}">state</text>`);
  labels.push('</svg>');
  let prev: { x: number; y: number } | undefined;
  steps.forEach((s, i) => {
    const x = i * (BOX_W + GAP) + 4;
    const y = TOP + tasks.indexOf(s.task) * LANE_H + 7;
    const h = LANE_H - 14;
    if (prev) out.push(`<line x1="${prev.x}" y1="${prev.y}" x2="${x}" y2="${y + h / 2}" stroke="#94a3b8" stroke-width="1.2"/>`);
    prev = { x: x + BOX_W, y: y + h / 2 };
    const maxChars = Math.floor((BOX_W - 34) / 6.6);
    const label = s.label.length > maxChars ? `${s.label.slice(0, maxChars - 1)}…` : s.label;
    const details = `step ${s.step}: ${s.task} ${s.label}${s.preempts ? `\npreempts ${s.preempts}: the scheduler switched away from a task that could have continued` : ''}${s.state ? `\nstate after: ${s.state}` : ''}`;
    out.push(
      `<g class="step clickable${s.preempts ? ' preemption' : ''}" data-step="${s.step}"><title>${esc(details)}</title>` +
        `<rect x="${x}" y="${y}" width="${BOX_W}" height="${h}" rx="5" fill="${s.preempts ? '#fef3c7' : '#dbeafe'}" stroke="${s.preempts ? '#d97706' : '#2563eb'}" stroke-width="${s.preempts ? 2.5 : 1}"/>` +
        `<text x="${x + 6}" y="${y + h / 2 + 4}" font-weight="700" fill="#334155">${s.step}</text>` +
        `<text x="${x + 26}" y="${y + h / 2 + 4}" fill="#0f172a">${esc(label)}</text>` +
        (s.preempts ? `<text class="preempt-mark" x="${x + BOX_W - 4}" y="${y - 1}" text-anchor="end" fill="#b45309" font-size="11">⚡ preempts ${esc(s.preempts)}</text>` : '') +
        '</g>',
    );
    if (s.state !== undefined) {
      out.push(`<g class="state"><rect x="${x}" y="${stateY + 4}" width="${BOX_W}" height="24" rx="4" fill="#f1f5f9" stroke="#cbd5e1"/><text x="${x + 6}" y="${stateY + 20}" fill="#0f172a">${esc(s.state.length > maxChars + 3 ? `${s.state.slice(0, maxChars + 2)}…` : s.state)}</text></g>`);
    }
  });
  out.push('</svg>');
  return `<div class="chart schedule-box">${labels.join('')}<div class="schedule-scroll">${out.join('\n')}</div></div>`;
}

/**
 * Every call of every round on one chart: a row per round, each call a thin bar from send to answer, x measured
 * from the round's first send, so rounds compare at a glance. Bare rects (no per-call title) keep a
 * 10,000-call page small; the per-round timelines carry the details.
 */
export function roundsOverviewSvg(rounds: ReadonlyArray<{ readonly round: number; readonly race: boolean; readonly calls: ReadonlyArray<{ readonly sentMicros: number; readonly doneMicros: number; readonly handlerStartMicros?: number }> }>): string {
  const withCalls = rounds.filter((r) => r.calls.length > 0);
  if (withCalls.length === 0) return '<p class="note">no calls kept</p>';
  const LABEL_W = 70;
  const plotW = 1100;
  const ROW_H = Math.max(2, Math.min(16, Math.floor(700 / withCalls.length)));
  const TOP = 22;
  let span = 1;
  for (const r of withCalls) {
    const s0 = Math.min(...r.calls.map((c) => c.sentMicros));
    span = Math.max(span, ...r.calls.map((c) => c.doneMicros - s0));
  }
  const x = (dt: number): number => LABEL_W + (dt / span) * (plotW - 20);
  const height = TOP + withCalls.length * ROW_H + 10;
  const width = LABEL_W + plotW;
  const out: string[] = [`<svg class="rounds-overview" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="every call of every round">`];
  const step = niceStep(span, 8);
  for (let t = 0; t <= span; t += step) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${TOP - 4}" x2="${x(t).toFixed(1)}" y2="${height - 6}" stroke="#e2e8f0"/><text class="tick" x="${x(t).toFixed(1)}" y="${TOP - 8}" text-anchor="middle">${fmtMs(t)}</text>`);
  }
  const labelEvery = Math.ceil(12 / ROW_H);
  withCalls.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    const s0 = Math.min(...r.calls.map((c) => c.sentMicros));
    if (i % labelEvery === 0) out.push(`<text class="tick" x="6" y="${y + Math.min(ROW_H, 12) - 1}">round ${r.round}</text>`);
    const h = Math.max(1, ROW_H - 1);
    // Calls of one round drawn with low opacity: where they pile up, the bar darkens.
    out.push(
      `<g class="round-row${r.race ? ' race' : ''}" data-round="${r.round}" fill="${r.race ? '#dc2626' : '#2563eb'}" fill-opacity="${Math.max(0.08, Math.min(0.5, 3 / r.calls.length))}">${r.calls
        .map((c) => `<rect x="${x(c.sentMicros - s0).toFixed(1)}" y="${y}" width="${Math.max(1, x(c.doneMicros - s0) - x(c.sentMicros - s0)).toFixed(1)}" height="${h}"/>`)
        .join('')}</g>`,
    );
  });
  out.push('</svg>');
  return `<div class="chart">${out.join('')}</div>`;
}
