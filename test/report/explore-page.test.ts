import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../src/explore/controlled-scheduler.js';
import { traceLines } from '../../src/explore/trace.js';
import { explorePage, scheduleSteps } from '../../src/report/explore-page.js';
import { runExplore } from '../../src/workloads/index.js';

const step = (i: number, taskName: string, label: string, preemption = false, atMs = 0): StepRecord => ({ key: `k${i}`, task: taskName.length, taskName, kind: 'point', label, note: '', atMs, preemption });

/** The lane labels of a schedule chart: the texts of its labels column. */
const laneLabels = (html: string): string[] => {
  const column = /<svg class="schedule-labels"[^]*?<\/svg>/.exec(html)?.[0] ?? '';
  const unescape = (t: string): string => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return [...column.matchAll(/<text class="lane-label"[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]!));
};

describe('explore page: lanes are tasks, whatever their names', () => {
  it('a task whose name holds spaces keeps its whole name, its label and the preemption it makes', () => {
    const steps = [step(1, 'client-2', 'send ping'), step(2, 'timer receive timeout in client-2', 'wake +1ms', true, 1), step(3, 'client-2', 'receive timeout', true, 1)];
    const schedule = { traceLines: traceLines(steps), stepTasks: steps.map((s) => s.taskName) };
    expect(scheduleSteps(schedule)).toEqual([
      { step: 1, task: 'client-2', label: 'send ping @0ms' },
      { step: 2, task: 'timer receive timeout in client-2', label: 'wake +1ms @1ms', preempts: 'client-2' },
      { step: 3, task: 'client-2', label: 'receive timeout @1ms', preempts: 'timer receive timeout in client-2' },
    ]);
  });

  it("a real actor schedule with timers: one lane per task the explorer recorded, none named after a name's first word", async () => {
    // seq-ack's clients wait for acks with a receive timeout: its shrunk schedule has `timer receive timeout in <pid>` steps.
    const report = await runExplore({ scenario: 'actors', pattern: 'seq-ack', strategy: 'portfolio', runs: 300, seed: 3 });
    const shrunk = report.firstFailure!.shrunk;
    const html = explorePage(report, 'racelab explore --scenario actors --pattern seq-ack --seed 3').sections[0]!.html;
    expect(laneLabels(html)).not.toContain('timer');
    expect(laneLabels(html).some((t) => t.startsWith('timer receive timeout in '))).toBe(true);
    expect(laneLabels(html)).toEqual([...new Set(shrunk.stepTasks)].sort());
  }, 60_000);
});
