import { describe, expect, it } from 'vitest';
import { formatMs, pct } from '../../../src/core/units.js';
import { renderReplicasDemo } from '../../../src/report/index.js';
import { runReplicasDemo, type CounterCost } from '../../../src/scenarios/replicas/index.js';
import { PG_URL, serviceAvailable } from '../../helpers/services.js';

const pgUp = await serviceAvailable('PostgreSQL', PG_URL);

/** The explanation's paragraphs, unwrapped: renderReplicasDemo wraps them at 100 columns. */
const paragraphs = (text: string): string[] => text.split('\n\n').map((p) => p.replace(/\n/g, ' '));

/** Each noun the text uses for a counted cost, and the field of the report it must come from. */
const NOUNS: Array<[RegExp, keyof CounterCost]> = [
  [/^(\d+) (?:lock waits?)$/, 'lockWaits'],
  [/^(\d+) (?:retry|retries)$/, 'retries'],
  [/^(\d+) (?:conflicts?)$/, 'conflicts'],
];
const CELL: Array<[RegExp, keyof CounterCost]> = [
  [/^(\d+) waits?$/, 'lockWaits'],
  [/^(\d+) (?:retry|retries)$/, 'retries'],
  [/^(\d+) conflicts?$/, 'conflicts'],
];

/** `{ lockWaits: 14 }` from `14 lock waits` (or a table cell's `14 waits`); fails on a noun it does not know. */
function parseCost(text: string, nouns: Array<[RegExp, keyof CounterCost]>): Partial<CounterCost> {
  const out: Partial<CounterCost> = {};
  for (const part of text.split(', ')) {
    const hit = nouns.find(([re]) => re.test(part));
    expect(hit, `unknown cost "${part}"`).toBeDefined();
    out[hit![1]] = Number(hit![0].exec(part)![1]);
  }
  return out;
}

/** The stats a run counted: the non-zero fields only, as the text shows them. */
const counted = (s: CounterCost): Partial<CounterCost> => Object.fromEntries(Object.entries(s).filter(([, v]) => v > 0));

describe.skipIf(!pgUp)('demo replicas: every number in the text is a field of the same report', () => {
  it('2 replicas, 20 calls: the baseline, the fixes, and what each fix paid, by name', async () => {
    const report = await runReplicasDemo({
      store: PG_URL,
      replicas: 2,
      calls: 20,
      concurrency: 6,
      delayMs: 20,
      variants: ['pg-for-update', 'pg-serializable'],
      killOne: false,
    });
    const text = renderReplicasDemo(report);
    const byVariant = (v: string, replicas = 2) => report.runs.find((r) => r.variant === v && r.replicas === replicas)!;

    // The table's cost column: pg-for-update pays in waits for the row lock, as its replicas counted them.
    const forUpdate = byVariant('pg-for-update');
    expect(forUpdate.stats.lockWaits).toBeGreaterThan(0);
    for (const r of report.runs) {
      const row = text.split('\n').find((l) => l.startsWith(`${r.label} `) && l.split(/\s{2,}/)[2] === String(r.replicas));
      expect(row, text).toBeDefined();
      const cost = row!.split(/\s{2,}/).at(-1)!;
      if (cost === '-') expect(counted(r.stats)).toEqual({});
      else expect(parseCost(cost, CELL)).toEqual(counted(r.stats));
    }

    const paras = paragraphs(text);
    // The baseline: the mutex on 1 replica, then on 2.
    const one = byVariant('mutex', 1);
    const two = byVariant('mutex');
    const base = paras.find((p) => p.startsWith('PostgreSQL: the mutex on 1 replica'))!;
    expect(base).toContain(one.exact ? `kept all ${one.acknowledged} acknowledged increments` : `ended at ${one.finalValue} for ${one.acknowledged} acknowledged increments`);
    expect(base).toContain(two.lostUpdates > 0 ? `on 2 replicas it lost ${two.lostUpdates} of ${two.acknowledged} (${pct(two.lostUpdates, two.acknowledged)})` : 'on 2 replicas it lost nothing in this run');

    // The fixes: how many were exact, the fastest and slowest, then each one's own counted cost with its own noun.
    const fixes = report.runs.filter((r) => r.role === 'fix');
    const exact = fixes.filter((r) => r.exact);
    const summary = paras.find((p) => /store-level fixes were exact/.test(p))!;
    expect(summary).toMatch(new RegExp(`^${exact.length} of ${fixes.length} store-level fixes were exact on 2 replicas`));
    for (const m of summary.matchAll(/(\S+) (?:ran )?at (\d+) calls\/s \(p99 ([^)]+)\)/g)) {
      const r = byVariant(m[1]!);
      expect([m[2], m[3]]).toEqual([String(Math.round(r.callsPerSecond)), formatMs(r.latencyP99Ms)]);
    }
    expect(text).not.toMatch(/optimistic and locking ones/);
    const costs = paras.find((p) => p.startsWith('What the fixes counted as they worked: '))!;
    const list = /^What the fixes counted as they worked: (.*?)\. /.exec(costs)![1]!;
    const said = Object.fromEntries(
      list.split('; ').map((item) => {
        const [, variant, cost] = /^(\S+) (.+)$/.exec(item)!;
        return [variant!, parseCost(cost!, NOUNS)];
      }),
    );
    expect(said).toEqual(Object.fromEntries(fixes.filter((r) => Object.keys(counted(r.stats)).length).map((r) => [r.variant, counted(r.stats)])));
    expect(said['pg-for-update']).toEqual({ lockWaits: forUpdate.stats.lockWaits });
    // Every noun used is said once what it counts.
    if (Object.values(said).some((c) => c.lockWaits)) expect(costs).toContain('a lock wait is an increment that found the lock (for pg-for-update, the row lock) taken and waited for it');
    if (Object.values(said).some((c) => c.retries)) expect(costs).toMatch(/a retry is a whole attempt run again after the store refused it/i);
    if (Object.values(said).some((c) => c.conflicts)) expect(costs).toMatch(/a conflict is a conditional write refused because the value changed after it was read/i);
  });
});
