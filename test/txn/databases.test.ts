import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runTransactions, type TxnRunReport } from '../../src/index.js';
import { OWNER_HOST, ownerOf } from '../../src/core/cleanup.js';
import { MARIADB_URL, PG_URL, serviceAvailable } from '../helpers/services.js';

/**
 * The must-shows, on the real databases. An observation fails if the anomaly is not found within its
 * bounded run; an absence is checked over at least 2,000 transactions. Transactions are short (one or two rows)
 * and the runs bounded by count, with a generous time cap for a loaded machine; assertions are on counts.
 */
const ABSENCE = 2_000;
const TIME_CAP_MS = 90_000;

function summary(run: TxnRunReport): string {
  return `${run.database} ${run.isolation} ${run.workload}: ${JSON.stringify(run.transactions)} anomalies ${JSON.stringify(run.check.anomalyCounts)}; ${run.invariant?.words ?? ''}`;
}

describe.skipIf(!(await serviceAvailable('PostgreSQL', PG_URL)))('PostgreSQL', () => {
  it('READ COMMITTED loses updates in read-then-update transactions (found by the checker, confirmed by the balance)', async () => {
    const run = await runTransactions({ database: 'postgres', url: PG_URL, isolation: 'read-committed', workload: 'deposit', clients: 10, durationMs: TIME_CAP_MS, maxTransactions: 300, seed: 1 });
    expect(run.check.anomalyCounts['lost-update'] ?? 0, summary(run)).toBeGreaterThan(0);
    expect(run.invariant!.violations, summary(run)).toBeGreaterThan(0);
    expect(run.check.models['snapshot-isolation']).toBe('ruled-out');
    expect(run.check.models['read-committed']).toBe('not-ruled-out');
    // The run's table was uniquely named after its owner (this process) and is gone.
    expect(run.table).toMatch(/^racelab_txn_deposit_/);
    expect(ownerOf(run.table)).toMatchObject({ host: OWNER_HOST, pid: process.pid });
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const left = await client.query('SELECT 1 FROM information_schema.tables WHERE table_name = $1', [run.table]);
      expect(left.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  }, 120_000);

  for (const isolation of ['repeatable-read', 'serializable'] as const) {
    it(`${isolation.toUpperCase()}: no lost update over ${ABSENCE} transactions; the conflicts are refused with serialization errors, counted`, async () => {
      const run = await runTransactions({ database: 'postgres', url: PG_URL, isolation, workload: 'deposit', clients: 10, durationMs: TIME_CAP_MS, maxTransactions: ABSENCE, seed: 2 });
      expect(run.transactions.attempted, summary(run)).toBeGreaterThanOrEqual(ABSENCE);
      expect(run.check.anomalyCounts['lost-update'] ?? 0, summary(run)).toBe(0);
      expect(run.check.verdict, summary(run)).toBe('ok');
      expect(run.invariant!.violations, summary(run)).toBe(0);
      expect(run.transactions.serializationFailures, summary(run)).toBeGreaterThan(0);
      expect(run.transactions.committed + run.transactions.failed + run.transactions.unknown).toBe(run.transactions.attempted);
    }, 120_000);
  }

  it('REPEATABLE READ (snapshot isolation) lets write skew through: G2-item cycles, shifts with no doctor', async () => {
    const run = await runTransactions({ database: 'postgres', url: PG_URL, isolation: 'repeatable-read', workload: 'doctors', clients: 10, durationMs: TIME_CAP_MS, maxTransactions: 300, seed: 3 });
    expect(run.check.anomalyCounts['G2-item'] ?? 0, summary(run)).toBeGreaterThan(0);
    expect(run.invariant!.violations, summary(run)).toBeGreaterThan(0);
    expect(run.check.models['snapshot-isolation'], summary(run)).toBe('not-ruled-out');
    expect(run.check.models.serializable).toBe('ruled-out');
    const cycle = run.check.anomalies.find((a) => a.type === 'G2-item')!;
    expect(cycle.cycle!.filter((s) => s.kind === 'rw').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it(`SERIALIZABLE: no write skew over ${ABSENCE} transactions`, async () => {
    const run = await runTransactions({ database: 'postgres', url: PG_URL, isolation: 'serializable', workload: 'doctors', fix: 'retry', clients: 10, durationMs: TIME_CAP_MS, maxTransactions: ABSENCE, seed: 4 });
    expect(run.transactions.attempted, summary(run)).toBeGreaterThanOrEqual(ABSENCE);
    expect(run.check.verdict, summary(run)).toBe('ok');
    expect(run.invariant!.violations, summary(run)).toBe(0);
    expect(run.transactions.serializationFailures, summary(run)).toBeGreaterThan(0);
  }, 120_000);
});

describe.skipIf(!(await serviceAvailable('PostgreSQL', PG_URL)))('PostgreSQL, the checker workloads', () => {
  it('list-append at SERIALIZABLE: the recorded history does not rule out serializability', async () => {
    const ser = await runTransactions({ database: 'postgres', url: PG_URL, isolation: 'serializable', workload: 'list-append', clients: 10, durationMs: TIME_CAP_MS, maxTransactions: 500, seed: 6 });
    expect(ser.transactions.attempted, summary(ser)).toBeGreaterThanOrEqual(500);
    expect(ser.check.models.serializable, summary(ser)).toBe('not-ruled-out');
    expect(ser.check.counts.ok, summary(ser)).toBeGreaterThan(0);
  }, 120_000);

  it('transfer at SERIALIZABLE with retries keeps the total and shows no anomaly', async () => {
    const run = await runTransactions({ database: 'postgres', url: PG_URL, isolation: 'serializable', workload: 'transfer', fix: 'retry', clients: 10, durationMs: TIME_CAP_MS, maxTransactions: 400, seed: 8 });
    expect(run.invariant!.violations, summary(run)).toBe(0);
    expect(run.check.verdict, summary(run)).toBe('ok');
  }, 120_000);
});

describe.skipIf(!(await serviceAvailable('MariaDB', MARIADB_URL)))('MariaDB', () => {
  it('REPEATABLE READ (its default) loses updates in read-then-update transactions', async () => {
    const run = await runTransactions({ database: 'mariadb', url: MARIADB_URL, isolation: 'repeatable-read', workload: 'deposit', clients: 10, durationMs: TIME_CAP_MS, maxTransactions: 300, seed: 5 });
    expect(run.check.anomalyCounts['lost-update'] ?? 0, summary(run)).toBeGreaterThan(0);
    expect(run.invariant!.violations, summary(run)).toBeGreaterThan(0);
    expect(run.transactions.serializationFailures, summary(run)).toBe(0);
  }, 120_000);
});
