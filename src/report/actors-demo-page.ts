import { formatMs } from '../core/units.js';
import { plural } from '../core/units.js';
import { barsSvg, fmtMs, histogramSvg, timelineLegend, timelineSvg, type TimelineCall } from './charts.js';
import { esc, type ReportPage } from './page.js';
import { renderActorDemo } from './actors-demo-text.js';
import type { ActorDemoReport, ActorDemoRun, TimelineMessage, TimelineRecord } from '../scenarios/actors/demo.js';

const OUTCOME_WORDS: Record<TimelineMessage['outcome'], string> = {
  handled: 'handled',
  dropped: 'DROPPED unhandled (no handler for it)',
  unfinished: 'still running when the run ended',
  died: 'NEVER HANDLED: still in the mailbox when the actor exited',
};

/** One recorded message as a timeline call: times (ms of the run's clock) become µs, as the chart takes them. */
function timelineCall(m: TimelineMessage, t0: number, lastMs: number): TimelineCall {
  const rel = (ms: number): string => `${(ms - t0).toFixed(2)}ms`;
  const rw = (e: NonNullable<TimelineMessage['read']>): string => `${e.key}${e.value !== undefined ? ` = ${e.value}` : ''} at ${rel(e.atMs)}`;
  const details = [
    `#${m.index} ${m.what}${m.from !== undefined ? ` from ${m.from}` : ''} → ${m.lane}: ${OUTCOME_WORDS[m.outcome]}`,
    m.outcome === 'died' ? `enqueued at ${rel(m.enqueuedMs)}, gone at ${rel(m.startMs)}` : `enqueued at ${rel(m.enqueuedMs)}, handler ${rel(m.startMs)} → ${m.endMs !== undefined ? rel(m.endMs) : '?'}`,
    m.read ? `read ${rw(m.read)}` : '',
    m.write ? `wrote ${rw(m.write)}` : '',
    m.effect ? `applied ${m.effect.key} at ${rel(m.effect.atMs)}` : '',
    m.mark === 'duplicated' && m.markedBy !== undefined
      ? m.effect?.limit !== undefined
        ? `DUPLICATED EFFECT: ${m.effect.key} beyond its limit of ${m.effect.limit}; #${m.markedBy} had used the last one`
        : `DUPLICATED EFFECT: applied ${m.effect?.key ?? 'its effect'} again; #${m.markedBy} had applied it first`
      : '',
    m.note ?? '',
    m.mark === 'lost' && m.note === undefined && m.markedBy !== undefined ? `LOST UPDATE: wrote over the update of #${m.markedBy}, which it never read` : '',
    m.mark === 'overwritten' && m.markedBy !== undefined ? `its update was written over by #${m.markedBy}` : '',
  ].filter(Boolean);
  const us = (ms: number): number => Math.round(ms * 1000);
  return {
    lane: m.lane,
    sentMicros: us(m.enqueuedMs),
    doneMicros: us(m.endMs ?? lastMs),
    // A message that died in the mailbox never had a handler: its bar has no blue part.
    ...(m.outcome === 'died' ? {} : { handler: { startMicros: us(m.startMs), ...(m.endMs !== undefined ? { endMicros: us(m.endMs) } : {}) } }),
    ...(m.read && m.write ? { window: { startMicros: us(m.read.atMs), endMicros: us(m.write.atMs) } } : {}),
    status: m.outcome === 'unfinished' ? 'unknown' : 'ok',
    ...(m.mark ? { mark: m.mark } : {}),
    details: details.join('\n'),
  };
}

/** The messages of one variant's run on lanes per actor, its lost or duplicated effects in red. */
function variantTimeline(r: ActorDemoRun, t: TimelineRecord): string {
  const msgs = t.messages;
  const t0 = Math.min(...msgs.map((m) => m.enqueuedMs));
  const lastMs = Math.max(...msgs.map((m) => Math.max(m.endMs ?? 0, m.startMs, m.write?.atMs ?? 0)));
  const dropped = msgs.filter((m) => m.mark === 'lost' && m.outcome === 'dropped').length;
  const wroteOver = msgs.filter((m) => m.mark === 'lost' && m.outcome !== 'dropped' && m.note === undefined).length;
  // Marked by the workload from the run's end state (a deposit the final balance lacks).
  const lostForGood = msgs.filter((m) => m.mark === 'lost' && m.note !== undefined).length;
  const over = msgs.filter((m) => m.mark === 'overwritten').length;
  const duplicated = msgs.filter((m) => m.mark === 'duplicated').length;
  const died = msgs.filter((m) => m.outcome === 'died').length;
  const marks = [
    dropped ? `${dropped} dropped unhandled, in red` : '',
    wroteOver ? `${wroteOver} wrote over an update they never read, in red` : '',
    lostForGood ? `${lostForGood} whose effect the run lost (each says why), in red` : '',
    // A message that did both is drawn red only: orange counts the others.
    over ? `${over} more had their update written over, in orange` : '',
    duplicated ? `${duplicated} applied an effect once too often, outlined in purple` : '',
    died ? `${died} died unhandled in the mailbox of an actor that crashed (a bar with no handler)` : '',
  ]
    .filter(Boolean)
    .join('; ');
  // A pattern whose workload reports no read or write to the timeline: its effects are counted, not located.
  const located = msgs.some((m) => m.read !== undefined || m.write !== undefined || m.effect !== undefined || m.outcome === 'dropped');
  const effects = r.lostEffects + r.duplicatedEffects;
  const unlocated = !located && effects > 0 ? `; its ${r.lostEffects} lost and ${r.duplicatedEffects} duplicated effects are counted in the table, not located here (this pattern reports no reads or writes to the timeline)` : '';
  const head = `${r.pattern} / ${r.variant} (${r.form}): ${plural(msgs.length, 'message')} drawn${marks ? `; ${marks}` : located ? '; none marked' : unlocated}`;
  const cap = t.notKept > 0 ? `<p class="note cap">Only the first ${t.cap} messages of this run are drawn (the cap per variant); ${t.notKept} more were handled.</p>` : '';
  const tickLabel = t.clock === 'virtual' ? (micros: number) => `${fmtMs(micros)} virtual` : fmtMs;
  return `<h3>${esc(head)}</h3>${cap}${timelineSvg({ title: `${r.pattern} / ${r.variant} timeline`, calls: msgs.map((m) => timelineCall(m, t0, lastMs)) }, { tickLabel })}`;
}

/**
 * Each pattern's variants on one histogram scale: a message's time from entering its actor's mailbox to its
 * handler's return, for the messages the timeline kept (a message never handled has no such time).
 */
function latencyHistograms(runs: readonly ActorDemoRun[]): string {
  const patterns = [...new Set(runs.filter((r) => r.timeline).map((r) => r.pattern))];
  return patterns
    .map((p) => {
      const series = runs
        .filter((r) => r.pattern === p && r.timeline)
        .map((r) => ({ name: `${r.variant}${r.timeline!.clock === 'virtual' ? ' (virtual ms)' : ''}`, valuesMs: r.timeline!.messages.filter((m) => m.outcome === 'handled' && m.endMs !== undefined).map((m) => m.endMs! - m.enqueuedMs) }));
      return `<h3>${esc(p)}</h3>${histogramSvg(series, { unit: 'message' })}`;
    })
    .join('\n');
}

/**
 * Lost plus duplicated effects per variant, one bar chart per unit the patterns count in (`PatternOutcome.unit`),
 * each scaled to its own highest bar and headed by its unit.
 */
function effectsCharts(runs: readonly ActorDemoRun[]): string {
  const units = [...new Set(runs.map((r) => r.unit))];
  return units
    .map((unit) => {
      const of = runs.filter((r) => r.unit === unit);
      const highest = Math.max(...of.map((r) => r.lostEffects + r.duplicatedEffects));
      const chart = barsSvg(
        of.map((r) => ({
          label: r.variant,
          value: r.lostEffects + r.duplicatedEffects,
          text: `${highest} ${unit}`,
          bad: !r.ok,
          details: `${r.pattern} / ${r.variant} (${r.form}), counting ${r.unit}: expected ${r.expected}, observed ${r.observed}; ${r.lostEffects} lost, ${r.duplicatedEffects} duplicated\n${r.summary}`,
        })),
      );
      return `<h3 class="effects-unit">${esc(`${unit} lost or duplicated`)}</h3>${chart}`;
    })
    .join('\n');
}

/** `racelab demo actors --html`: each pattern's variants side by side, what each lost or duplicated. */
export function actorDemoPage(report: ActorDemoReport, command: string): ReportPage {
  const { runs, summary } = report;
  const broken = runs.filter((r) => !r.ok);
  const fixedBroken = runs.filter((r) => r.form === 'fixed' && !r.ok);
  return {
    title: `racelab demo actors: ${report.settings.patterns.join(', ')}`,
    verdict:
      fixedBroken.length > 0
        ? { label: `a fix did not hold: ${fixedBroken.map((r) => r.variant).join(', ')}`, tone: 'bad' }
        : broken.length > 0
          ? { label: `${summary.vulnerableShowingRace} of ${summary.vulnerable} vulnerable variants showed their race; ${summary.fixedHolding} of ${summary.fixed} fixes held`, tone: 'bad' }
          : { label: 'every variant held', tone: 'good' },
    meta: [`seed ${report.settings.seed}${report.settings.senders !== null ? ` · ${report.settings.senders} senders` : ''}${report.settings.messages !== null ? ` · ${report.settings.messages} messages each` : ''} · ${runs.length} variants`],
    reproduce: { command, seed: report.settings.seed, note: 'The actor runtime and every sender are driven by this seed.' },
    // One row per variant: a demo of every pattern has some thirty of them, too many for columns.
    table: {
      columns: ['pattern / variant', 'form', 'counting', 'expected', 'observed', 'lost', 'duplicated', 'messages', 'wall time', 'holds'],
      rows: runs.map((r) => ({
        label: `${r.pattern} / ${r.variant}`,
        cells: [r.form, r.unit, String(r.expected), String(r.observed), String(r.lostEffects), String(r.duplicatedEffects), String(r.messagesSent), formatMs(r.wallMs), r.ok ? 'yes' : 'NO'],
        bad: [false, false, false, !r.ok, r.lostEffects > 0, r.duplicatedEffects > 0, false, false, !r.ok],
      })),
    },
    explanation: [...report.explanation, ...runs.map((r) => `${r.pattern} / ${r.variant}: ${r.explanation}`)],
    terminal: renderActorDemo(report),
    sections: [
      {
        id: 'effects',
        title: 'Lost and duplicated effects per variant',
        html: effectsCharts(runs),
        note: 'One chart per thing counted (increments, deposits, charges, …), each on its own scale: a lost deposit and a lost increment are not one measure, so their bars are never drawn against each other. Red: the variant broke its invariant. Click a bar for what the variant does.',
      },
      ...(runs.some((r) => r.timeline)
        ? [
            {
              id: 'timeline',
              title: 'Every message',
              html: `${timelineLegend({ windows: true, duplicates: runs.some((r) => r.timeline?.messages.some((m) => m.mark === 'duplicated')), labels: { span: 'message: entered the mailbox → handled', handler: "the actor's handler (or a task it started)" } })}\n${runs
                .map((r) => (r.timeline && r.timeline.messages.length > 0 ? variantTimeline(r, r.timeline) : `<h3>${esc(`${r.pattern} / ${r.variant}`)}: no message recorded</h3>`))
                .join('\n')}`,
              note: `One lane per actor (its registered name, else its pid). The light bar is a message from the moment it entered the actor's mailbox until its handler returned, the blue bar the handler; where a workload reports a span of its own (a task a handler started, a client's get-then-set, a client's compare-and-set update), it is drawn the same way on its own lane. The dark bar is a read-modify-write of shared state (a fix that reads and writes in one handler has one inside that message; a compare-and-set update has the read its successful cas checked and that cas's write, both reported by the server in the order it applied them): where another write of the same state came between its read and its write, it wrote over an update it never read (red) and that update was lost (orange; a message that both wrote over one and had its own written over is drawn red). Where a pattern's writes can put back what an earlier write dropped (async-writeback writes the whole list of deposits), red marks instead each message whose effect the end state lacks; supervisor-restart marks each set the ledger refused as stale before crashing. A message dropped unhandled is outlined in red; one still in an actor's mailbox when the actor crashed died there unhandled (its bar ends at the crash and has no blue part); one that applied an effect once too often (a second charge of an order, a second settling of an order, a use of a coupon beyond its limit) is outlined in purple. Times are ${runs.some((r) => r.timeline?.clock === 'virtual') ? "ms of the explorer's virtual clock" : 'wall-clock ms'} from the variant's first message. Click a message for its times.`,
            },
            {
              id: 'latency',
              title: 'Latency',
              html: latencyHistograms(runs),
              note: "Per pattern, its variants on one scale: each handled message's time from entering its actor's mailbox to its handler's return (the messages drawn above; a dropped message or one that died in a mailbox has none). Click a bar for its count.",
            },
          ]
        : []),
    ],
  };
}
