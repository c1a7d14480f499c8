/**
 * One self-contained HTML page for any run (a demo, an attack, an exploration): the verdict, the command and
 * seed that reproduce it, the variants side by side, the explanation the terminal printed, and sections of
 * charts. It has the look of `racelab check --html` and needs nothing but the file: no network, no font, no
 * script from elsewhere, so it opens from `file://` and can be attached to a CI run.
 *
 * The page knows nothing of scenarios: each run's adapter (next to the run) fills a ReportPage, so a new
 * report (`demo impacts`) is a new adapter, not a new page.
 */
export interface ReportPage {
  readonly title: string;
  readonly verdict: { readonly label: string; readonly tone: Tone };
  /** Short facts under the title (settings, counts, durations). */
  readonly meta?: readonly string[];
  /** The command line that reproduces the run, and its seed when it has one. */
  readonly reproduce?: { readonly command: string; readonly seed?: number | string; readonly note?: string };
  /** The variants (or rounds) side by side: a header row and labelled rows; `bad` cells are drawn in red. */
  readonly table?: { readonly columns: readonly string[]; readonly rows: ReadonlyArray<{ readonly label: string; readonly cells: readonly string[]; readonly bad?: readonly boolean[] }> };
  /** The explanation, one paragraph per entry, as the terminal printed it. */
  readonly explanation: readonly string[];
  /** The whole terminal report, shown folded under the explanation. */
  readonly terminal?: string;
  readonly sections: readonly PageSection[];
}

export type Tone = 'bad' | 'good' | 'warn' | 'neutral';

export interface PageSection {
  readonly title: string;
  /** Markup from this folder's chart functions (escaped there). */
  readonly html: string;
  readonly note?: string;
  /** Class on the section, for tests and styling. */
  readonly id?: string;
}

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const TONES: Record<Tone, string> = { bad: '#b91c1c', good: '#15803d', warn: '#b45309', neutral: '#475569' };

/** The page's stylesheet: the check page's look, shared so every racelab page reads the same. */
export const PAGE_CSS = `
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #0f172a; margin: 0; background: #fff; }
  header, section { padding: 14px 22px; }
  header { border-bottom: 1px solid #e2e8f0; }
  h1 { font-size: 18px; margin: 0 0 6px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  h3 { font-size: 13px; margin: 10px 0 4px; color: #334155; }
  .verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; }
  .meta { color: #475569; margin: 6px 0 0; }
  .explanation p { margin: 6px 0; max-width: 110ch; }
  .reproduce code { display: block; background: #f1f5f9; border: 1px solid #e2e8f0; border-radius: 6px; padding: 8px 10px; font: 13px ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; }
  table.side { border-collapse: collapse; font-size: 13px; }
  table.side th, table.side td { border-bottom: 1px solid #e2e8f0; padding: 4px 12px; text-align: right; }
  table.side th:first-child, table.side td:first-child { text-align: left; color: #334155; }
  table.side td.bad, h3 .bad { color: #b91c1c; font-weight: 600; }
  .table-box { overflow-x: auto; max-width: 100%; }
  .legend { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; color: #334155; font-size: 13px; margin-bottom: 8px; }
  .legend i { display: inline-block; width: 26px; height: 12px; border-radius: 3px; vertical-align: -1px; margin-right: 5px; border: 1px solid #64748b; }
  .chart { border: 1px solid #e2e8f0; border-radius: 6px; overflow-x: auto; margin-bottom: 10px; }
  .schedule-box { display: flex; overflow: hidden; }
  .schedule-box > svg { flex: none; border-right: 1px solid #e2e8f0; }
  .schedule-scroll { overflow-x: auto; min-width: 0; }
  .charts { display: flex; flex-wrap: wrap; gap: 14px; }
  .charts > div { flex: 1 1 420px; min-width: 0; }
  svg { display: block; font: 12px system-ui, sans-serif; }
  .tick { fill: #64748b; font-size: 11px; }
  .lane-label { font-weight: 600; fill: #334155; }
  .note { color: #64748b; font-size: 13px; }
  .clickable { cursor: pointer; }
  .clickable:hover { filter: brightness(1.1); }
  .selected { stroke: #0f172a !important; stroke-width: 2.5 !important; vector-effect: non-scaling-stroke; }
  #details { position: fixed; right: 16px; bottom: 16px; max-width: 520px; background: #f8fafc; border: 1px solid #94a3b8; border-radius: 6px; box-shadow: 0 4px 14px rgba(15, 23, 42, 0.18); padding: 8px 28px 8px 12px; font: 13px ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; }
  #details:empty { display: none; }
  #details-close { position: absolute; top: 4px; right: 8px; cursor: pointer; color: #475569; }
  pre.terminal { background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 6px; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; overflow-x: auto; }
  details > summary { cursor: pointer; color: #334155; font-weight: 600; margin: 6px 0; }
`;

/**
 * Click any drawn element with a <title> to pin its details in the panel at the bottom (a hover tooltip alone
 * hides them from a reader who scrolls, prints or uses a touch screen).
 */
export const DETAILS_SCRIPT = `
(function () {
  var panel = document.getElementById('details');
  var selected = null;
  document.addEventListener('click', function (e) {
    var el = e.target;
    while (el && el !== document && !(el.classList && el.classList.contains('clickable'))) el = el.parentNode;
    if (!el || el === document) return;
    var title = el.querySelector('title');
    if (!title) return;
    if (selected) selected.classList.remove('selected');
    selected = el.querySelector('rect') || el;
    selected.classList.add('selected');
    panel.textContent = title.textContent;
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    panel.textContent = '';
    if (selected) selected.classList.remove('selected');
    selected = null;
  });
})();
`;

function renderTable(table: NonNullable<ReportPage['table']>): string {
  const head = `<tr>${table.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = table.rows
    .map((r) => `<tr><td>${esc(r.label)}</td>${r.cells.map((c, i) => `<td${r.bad?.[i] ? ' class="bad"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="side" id="side-by-side">${head}\n${rows}</table>`;
}

export function renderReportPage(page: ReportPage): string {
  const color = TONES[page.verdict.tone];
  const sections = page.sections
    .map(
      (s) =>
        `<section${s.id ? ` id="${esc(s.id)}"` : ''}><h2>${esc(s.title)}</h2>\n${s.html}${s.note ? `\n<p class="note">${esc(s.note)}</p>` : ''}</section>`,
    )
    .join('\n');
  const reproduce = page.reproduce
    ? `<section class="reproduce" id="reproduce"><h2>Reproduce</h2><code>${esc(page.reproduce.command)}</code>${
        page.reproduce.seed !== undefined ? `<p class="note">seed ${esc(String(page.reproduce.seed))}${page.reproduce.note ? `. ${esc(page.reproduce.note)}` : ''}</p>` : page.reproduce.note ? `<p class="note">${esc(page.reproduce.note)}</p>` : ''
      }</section>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(page.title)}</title>
<style>${PAGE_CSS}
  .verdict { background: ${color}; }
</style>
</head>
<body>
<header>
  <h1>${esc(page.title)} <span class="verdict" id="verdict">${esc(page.verdict.label)}</span></h1>
  ${(page.meta ?? []).map((m) => `<p class="meta">${esc(m)}</p>`).join('\n  ')}
</header>
${page.table ? `<section><h2>Side by side</h2><div class="table-box">${renderTable(page.table)}</div></section>` : ''}
<section class="explanation" id="explanation"><h2>What happened</h2>
${page.explanation.map((p) => `<p>${esc(p)}</p>`).join('\n')}
${page.terminal ? `<details><summary>The terminal's report</summary><pre class="terminal">${esc(page.terminal)}</pre></details>` : ''}
</section>
${sections}
${reproduce}
<div id="details-box"><div id="details"></div></div>
<script>${DETAILS_SCRIPT}</script>
</body>
</html>
`;
}
