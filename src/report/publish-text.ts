import { formatMs, plural } from '../core/units.js';
import type { PublishReport } from '../scenarios/publish/run.js';
import { wrap } from './table.js';


/** The terminal text of `racelab publish`: what was sent, how tightly, what the service did, and the verdict. */
export function renderPublishReport(r: PublishReport): string {
  const s = r.settings;
  const what =
    s.mode === 'flood'
      ? `flood at ${s.flood?.rate === 'max' ? 'max rate' : `${s.flood?.rate} messages/s`} for ${formatMs(s.flood?.durationMs ?? 0)} over ${plural(s.connections, 'connection')}`
      : `burst of ${plural(s.count, 'message')}, sync ${s.sync} (${plural(s.connections, 'connection')})`;
  const out = [`racelab publish: ${what} to ${s.brokerDescription}; seed ${s.seed}, names under ${s.namespace}`];
  const lines = [
    `published     ${r.published}${r.failed ? `, ${r.failed} failed` : ''}${r.unroutable ? `, ${r.unroutable} unroutable (no queue bound)` : ''}${r.skipped ? `, ${r.skipped} skipped (every connection busy)` : ''}`,
    s.mode === 'flood'
      ? `rate          ${Math.round(r.messagesPerSecond)} messages/s over ${formatMs(r.publishMs)}`
      : `release       ${formatMs(r.releaseMs)} from the first message handed to a connection to the last; the broker's word on all after ${formatMs(r.publishMs)}`,
  ];
  for (const e of r.errors.slice(0, 5)) lines.push(`error         ${e.count} × ${e.message}`);
  if (s.store !== undefined) lines.push(`store         ${s.store}: before ${JSON.stringify(r.before ?? null)}, after ${JSON.stringify(r.after ?? null)}`);
  if (s.replyAddress !== undefined) lines.push(`replies       ${r.replies} on ${s.replyAddress}${r.duplicateReplies ? `, ${r.duplicateReplies} answering a message already answered` : ''}`);
  if (s.invariant !== undefined) lines.push(`invariant     ${s.invariant}`);
  lines.push(`verdict       ${r.verdict === 'violated' ? 'VIOLATED' : r.verdict}`);
  out.push(lines.map((l) => `  ${l}`).join('\n'));
  out.push(wrap(r.explanation, 100, '  '));
  const left = r.leftBehind.length ? `; STILL ON THE BROKER: ${r.leftBehind.join(', ')}` : '';
  out.push(`  ${r.created.length ? `deleted afterwards: ${r.created.join(', ')}` : 'created nothing on the broker'}${left}`);
  return out.join('\n\n');
}
