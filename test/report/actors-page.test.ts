import { describe, expect, it } from 'vitest';
import { runActorDemo } from '../../src/index.js';
import { actorDemoPage } from '../../src/report/index.js';

/** The effects section's charts: each one's heading and its bars' heights, in order. */
function effectsCharts(html: string): Array<{ heading: string; heights: number[] }> {
  return html
    .split('<h3')
    .slice(1)
    .map((part) => ({
      heading: /^[^>]*>([^<]*)<\/h3>/.exec(part)![1]!,
      heights: [...part.matchAll(/<g class="bar[^"]*"><title>[^<]*<\/title><rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1])),
    }));
}

describe('actors demo page: lost and duplicated effects', () => {
  it('one chart per unit counted, each on its own scale, so increments and deposits are never bars on one axis', async () => {
    // check-then-act counts increments, async-writeback deposits; with seed 7 both vulnerable variants lose some.
    const report = await runActorDemo({ patterns: ['check-then-act', 'async-writeback'], seed: 7 });
    const html = actorDemoPage(report, 'racelab demo actors --pattern check-then-act,async-writeback --seed 7').sections.find((s) => s.id === 'effects')!.html;
    const units = [...new Set(report.runs.map((r) => r.unit))];
    expect(units).toEqual(['increments', 'deposits']);
    const charts = effectsCharts(html);
    expect(charts.map((c) => c.heading)).toEqual(units.map((u) => `${u} lost or duplicated`));
    charts.forEach((chart, i) => {
      const runs = report.runs.filter((r) => r.unit === units[i]);
      const effects = runs.map((r) => r.lostEffects + r.duplicatedEffects);
      expect(chart.heights).toHaveLength(runs.length);
      expect(Math.max(...effects)).toBeGreaterThan(0);
      // Each chart's highest bar fills its plot (142 - 18 units): the scale is this unit's alone.
      expect(chart.heights[effects.indexOf(Math.max(...effects))]).toBe(124);
      expect(html).toContain(`highest: ${Math.max(...effects)} ${units[i]}`);
    });
  });
});
