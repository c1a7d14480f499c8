import { formatMs } from '../core/units.js';
import { barsSvg } from './charts.js';
import type { ReportPage } from './page.js';
import { renderActorDemo } from './actors-demo-text.js';
import type { ActorDemoReport } from '../scenarios/actors/demo.js';

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
      columns: ['pattern / variant', 'form', 'expected', 'observed', 'lost', 'duplicated', 'messages', 'wall time', 'holds'],
      rows: runs.map((r) => ({
        label: `${r.pattern} / ${r.variant}`,
        cells: [r.form, String(r.expected), String(r.observed), String(r.lostEffects), String(r.duplicatedEffects), String(r.messagesSent), formatMs(r.wallMs), r.ok ? 'yes' : 'NO'],
        bad: [false, false, !r.ok, r.lostEffects > 0, r.duplicatedEffects > 0, false, false, !r.ok],
      })),
    },
    explanation: [...report.explanation, ...runs.map((r) => `${r.pattern} / ${r.variant}: ${r.explanation}`)],
    terminal: renderActorDemo(report),
    sections: [
      {
        id: 'effects',
        title: 'Lost and duplicated effects per variant',
        html: barsSvg(
          runs.map((r) => ({
            label: r.variant,
            value: r.lostEffects + r.duplicatedEffects,
            text: String(Math.max(...runs.map((x) => x.lostEffects + x.duplicatedEffects))),
            bad: !r.ok,
            details: `${r.pattern} / ${r.variant} (${r.form}): expected ${r.expected}, observed ${r.observed}; ${r.lostEffects} lost, ${r.duplicatedEffects} duplicated\n${r.summary}`,
          })),
        ),
        note: 'Red: the variant broke its invariant. Click a bar for what the variant does.',
      },
    ],
  };
}
