import { describe, expect, it } from 'vitest';
import { renderTransactionsDemo, runTransactionsDemo } from '../../src/scenarios/transactions/index.js';
import { headline } from '../../src/scenarios/transactions/demo.js';
import { PG_URL, serviceAvailable } from '../helpers/services.js';

/** `demo transactions` on PostgreSQL, small cells: the table's cells come from the runs, with explained examples. */
describe.skipIf(!(await serviceAvailable('PostgreSQL', PG_URL)))('demo transactions', () => {
  it('counts lost updates and write skew per level, explains one example per non-zero cell, and says what the advice should have said', async () => {
    const report = await runTransactionsDemo({ databases: [{ kind: 'postgres', url: PG_URL }], clients: 10, durationMs: 30_000, transactionsPerCell: 150, seed: 7 });
    const cell = (isolation: string, workload: string, fix = 'none') => report.cells.find((c) => c.isolation === isolation && c.workload === workload && c.fix === fix)!;
    expect(headline(cell('read-committed', 'deposit')).count).toBeGreaterThan(0);
    expect(headline(cell('repeatable-read', 'deposit')).count).toBe(0);
    expect(headline(cell('repeatable-read', 'doctors')).count).toBeGreaterThan(0);
    expect(headline(cell('serializable', 'doctors')).count).toBe(0);
    expect(headline(cell('read-committed', 'deposit', 'for-update')).count).toBe(0);
    expect(headline(cell('read-committed', 'doctors', 'for-update')).count).toBe(0);
    const text = renderTransactionsDemo(report);
    const nonZero = report.cells.filter((c) => headline(c).count > 0).length;
    expect(text.match(/: one of \d+, explained/g)).toHaveLength(nonZero);
    expect(text).toContain('What the advice should have said');
    expect(text).toMatch(/PostgreSQL at repeatable-read, doctors: one of \d+, explained[\s\S]*G2-item, write skew/);
  }, 180_000);
});
