import type { CheckReport } from '../check/check-report.js';
import type { HistoryFocus } from './history-layout.js';
import { esc } from './page.js';

/** The explanation's lines as paragraphs, its numbered operations (`  [1] …`) as a list. */
export function explanationHtml(report: CheckReport): string {
  return report.explanation
    .map((line) => (/^\s+\[\d+\]/.test(line) ? `<li>${esc(line.trim())}</li>` : `<p>${esc(line)}</p>`))
    .join('\n')
    .replace(/<\/p>\n<li>/g, '</p>\n<ol class="ops"><li>')
    .replace(/<\/li>\n<p>/g, '</li></ol>\n<p>');
}

/** With more than one partition: a select that shows one key's operations, the focused one selected. */
export function partitionFilterHtml(report: CheckReport, layout: HistoryFocus): string {
  return report.partitions > 1
    ? `<label class="filter">show key <select id="partition"><option value="">all keys</option>${report.partitionReports
        .map((p) => `<option value="${esc(String(p.key))}"${p.key === layout.focusPartition ? ' selected' : ''}>${esc(String(p.key))} (${p.verdict})</option>`)
        .join('')}</select></label>`
    : '';
}

/** Most linearization steps the table lists. */
const MAX_STEPS = 300;

/**
 * The state along the linearization, step by step (and the operation that does not fit, when it breaks): the
 * chart shows the order, this shows what it does. Empty when there is no order to show.
 */
export function linearizationSection(layout: HistoryFocus): string {
  const { ops, focusReport, focusPartition, blockedOp, textLabel, window } = layout;
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
  return orderIds.length > 0 || breakRow
    ? `<section id="linearization"><h2>The ${focusReport?.verdict === 'ok' ? '' : 'longest partial '}linearization${focusPartition ? ` of key ${esc(String(focusPartition))}` : ''}, step by step</h2>
<table class="steps"><tr><th>order</th><th>in the text</th><th>process</th><th>operation</th><th>state after it</th></tr>
${stepRows}${breakRow}</table>${window ? `<p class="note">This order is the search's, over the whole history${focusPartition ? ' of the key' : ''}. The explanation above follows the smallest failing window, ${window.from === 'unknown' ? 'which starts from whatever state the object was in when its first operation was invoked' : 'which leaves out operations the proof does not need'}: the states it names are the window's, and can differ from this table's.</p>` : ''}${orderIds.length > MAX_STEPS ? `<p class="note">the first ${MAX_STEPS} of ${orderIds.length} steps</p>` : ''}</section>`
    : '';
}
