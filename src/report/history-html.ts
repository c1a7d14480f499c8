import type { CheckReport } from '../check/check-report.js';
import { explanationHtml, linearizationSection, partitionFilterHtml } from './history-details.js';
import { focusOfHistory, layoutHistory } from './history-layout.js';
import { laneLabelsSvg, timelineSvg } from './history-svg.js';
import { DETAILS_SCRIPT, esc } from './page.js';
import { plural } from '../core/units.js';

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
  /**
   * Asked before the timeline chart is laid out and before it is drawn, its costly part on a large history: a
   * reason ("the budget ran out before it was drawn; …") leaves the chart out, and the page says so in its place,
   * with the verdict, the explanation and the linearization table still there. How a caller holds the page to a
   * time budget, or stops it on a signal. Absent: the chart is always drawn.
   */
  readonly leaveOut?: () => string | undefined;
}

/** A page, and why its chart was left out when it was (see `HistoryHtmlOptions.leaveOut`). */
export interface HistoryPage {
  readonly html: string;
  readonly chartLeftOut?: string;
}

const VERDICT: Record<CheckReport['verdict'], { label: string; color: string }> = {
  ok: { label: 'linearizable', color: '#15803d' },
  illegal: { label: 'not linearizable', color: '#b91c1c' },
  unknown: { label: 'unknown: the budget ran out', color: '#b45309' },
};

/** The page: the verdict and counts, the explanation, the timeline (history-svg.ts) and the linearization table. */
export function renderHistoryHtml(report: CheckReport, options: HistoryHtmlOptions = {}): string {
  return renderHistoryPage(report, options).html;
}

/** The chart: the lane labels and the timeline beside them, and the note under it; or why it was left out. */
function chartHtml(report: CheckReport, options: HistoryHtmlOptions, focused: ReturnType<typeof focusOfHistory>): { html: string; leftOut?: string } {
  const leftOut = (why: string): { html: string; leftOut: string } => ({ html: `<p class="note left-out">The timeline chart was left out: ${esc(why)}.</p>`, leftOut: why });
  const before = options.leaveOut?.();
  if (before !== undefined) return leftOut(before);
  const layout = layoutHistory(report, options.maxOperations ?? 600, focused);
  const laidOut = options.leaveOut?.();
  if (laidOut !== undefined) return leftOut(laidOut);
  const { ops, window, blockedOp, shown } = layout;
  const omitted = ops.length - shown.length;
  return {
    html: `<div class="timeline"><div class="labels">${laneLabelsSvg(layout)}</div><div class="scroll">${timelineSvg(report, layout)}</div></div>
  <p class="note">${omitted > 0 ? `${shown.length} of ${ops.length} operations drawn (those around ${window ? 'the failing window' : blockedOp ? 'where the search stopped' : 'the start'}); ${omitted} left out. ` : ''}Click a bar (or hover it) for its details. The thread joins the operations in linearization order, each at the earliest instant the order allows.</p>`,
  };
}

/** The page, with the chart left out when `options.leaveOut` gives a reason. */
export function renderHistoryPage(report: CheckReport, options: HistoryHtmlOptions = {}): HistoryPage {
  const focused = focusOfHistory(report);
  const { ops, window } = focused;
  const v = VERDICT[report.verdict];
  const c = report.counts;
  const explanation = explanationHtml(report);
  const partitionOptions = partitionFilterHtml(report, focused);
  const title = options.title ?? `racelab check: ${report.model} model`;
  const linearization = linearizationSection(focused);
  const chart = chartHtml(report, options, focused);
  const html = `<!doctype html>
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
  .note.left-out { color: #b45309; font-weight: 600; }
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
  <div class="legend">${chart.leftOut !== undefined ? '' : `
    <span><i style="background:#2563eb;border-color:#1e3a8a"></i>in the ${report.verdict === 'ok' ? '' : 'longest partial '}linearization (#order)</span>
    <span><i style="background:#cbd5e1"></i>not in it</span>
    ${report.verdict === 'ok' ? '' : '<span><i style="background:#dc2626;border-color:#7f1d1d"></i>where it breaks</span>'}
    ${window ? '<span><i style="background:#fff;border:2.5px solid #ea580c"></i>needed for the proof</span>' : ''}
    <span><i style="background:#fef3c7;border:1px dashed #d97706"></i>outcome unknown</span>
    <span><i style="background:#f8fafc;border:1px dashed #94a3b8"></i>failed (no effect)</span>
    ${window ? '<span><i style="background:#fee2e2;border:1px dashed #f87171"></i>smallest failing window</span>' : ''}`}
    ${partitionOptions}
  </div>
  ${chart.html}
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
  return { html, ...(chart.leftOut !== undefined ? { chartLeftOut: chart.leftOut } : {}) };
}
