import { describe, expect, it } from 'vitest';
import { renderActorDemo } from '../../../src/report/index.js';
import { runActorDemo, type ActorDemoRun } from '../../../src/scenarios/actors/index.js';

/** A table row of the text: its label, then one cell per variant. Labels may hold single spaces, cells do not. */
function row(table: string, label: string): string[] {
  const line = table.split('\n').find((l) => l.startsWith(`${label}  `));
  expect(line, `no row "${label}" in\n${table}`).toBeDefined();
  return line!.slice(label.length).trim().split(/\s+/);
}

/** The text's paragraphs, unwrapped and unindented: renderActorDemo wraps at 100 columns. */
const paragraphs = (text: string): string[] => text.split('\n\n').map((p) => p.replace(/\n\s*/g, ' ').trim());

describe('demo actors: every number in the text is a field of the same report, in the unit it says', () => {
  it('async-writeback and counter-cast, seed 1: deposits counted as deposits, money as money', async () => {
    const report = await runActorDemo({ patterns: ['async-writeback', 'counter-cast'], seed: 1 });
    const text = renderActorDemo(report);
    const section = (name: string): string => text.slice(text.indexOf(`== ${name}:`)).split('\n\n')[1]!;

    const writeback = report.runs.filter((r) => r.pattern === 'async-writeback');
    const table = section('async-writeback');
    const cells = (label: string, f: (r: ActorDemoRun) => unknown): void => expect(row(table, label), label).toEqual(writeback.map((r) => String(f(r))));
    // The four counting rows are in deposits, all of them; the money is in rows of its own.
    for (const r of writeback) {
      const d = r.details!;
      expect(r.unit).toBe('deposits');
      expect(r.expected).toBe(d.deposits);
      expect(r.lostEffects).toBe(Number(d.deposits) - Number(d.depositsInBalance));
      expect(d.amountMissing).toBe(Number(d.amountDeposited) - Number(d.balance));
    }
    cells('expected deposits', (r) => r.expected);
    cells('observed deposits', (r) => r.observed);
    cells('lost deposits', (r) => r.lostEffects);
    cells('duplicated deposits', (r) => r.duplicatedEffects);
    cells('amountDeposited', (r) => r.details!.amountDeposited);
    cells('balance', (r) => r.details!.balance);
    cells('amountMissing', (r) => r.details!.amountMissing);

    const stale = writeback.find((r) => r.variant === 'stale-writeback')!;
    expect(stale.lostEffects).toBeGreaterThan(0);
    const said = paragraphs(text).find((p) => p.startsWith('stale-writeback: '))!;
    const m = /^stale-writeback: (\d+) deposits worth (\d+) were all acknowledged; the balance ended at (\d+), including (\d+) of them: (\d+) deposits? lost although acknowledged, (\d+) of the (\d+) deposited missing from the balance\. (\d+) tasks started/.exec(said);
    expect(m, said).not.toBeNull();
    const d = stale.details!;
    expect(m!.slice(1).map(Number)).toEqual([d.deposits, d.amountDeposited, d.balance, d.depositsInBalance, stale.lostEffects, d.amountMissing, d.amountDeposited, d.tasksStarted]);
    expect(d.depositsAcknowledged).toBe(d.deposits);

    // counter-cast counts increments in all four rows, and the closing sentence quotes its Counter run.
    const casts = report.runs.filter((r) => r.pattern === 'counter-cast');
    expect(row(section('counter-cast'), 'lost increments')).toEqual(casts.map((r) => String(r.lostEffects)));
    const counter = casts.find((r) => r.variant === 'counter')!;
    expect(report.explanation.join(' ')).toContain(`its Counter lost ${counter.lostEffects} of ${counter.expected} increments and never handled two at once (max ${counter.details!.maxHandlersInFlight} in flight)`);
    const vulnerable = report.runs.filter((r) => r.form === 'vulnerable');
    const fixed = report.runs.filter((r) => r.form === 'fixed');
    expect(text).toContain(`${vulnerable.filter((r) => !r.ok).length} of ${vulnerable.length} vulnerable variants broke their invariant in this run`);
    expect(text).toContain(`${fixed.filter((r) => r.ok).length} of ${fixed.length} fixed variants kept their invariant`);
  });
});
