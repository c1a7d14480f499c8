import type { Anomaly } from '../../txn/types.js';
import { renderTable, wrap } from '../../report/table.js';
import type { DatabaseKind, Isolation } from './database.js';
import { runTransactions, type TxnRunReport } from './run.js';
import type { TxnFix, TxnWorkloadName } from './workloads.js';

/**
 * `racelab demo transactions`: the seed's advice ("leverage database transactions") measured. The two
 * seed-shaped cases (a read-then-update deposit, two doctors going off call) run on each database at each
 * isolation level, then the fixes; every count comes from the history that run recorded and the check of it.
 */
export interface TransactionsDemoOptions {
  readonly databases: ReadonlyArray<{ kind: DatabaseKind; url: string }>;
  readonly clients: number;
  /** Per cell. */
  readonly durationMs: number;
  readonly transactionsPerCell: number;
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly onCell?: (cell: DemoCell) => void;
}

export interface DemoCell {
  readonly database: DatabaseKind;
  readonly isolation: Isolation;
  readonly workload: TxnWorkloadName;
  readonly fix: TxnFix;
  readonly run: TxnRunReport;
}

export interface TransactionsDemoReport {
  readonly kind: 'demo-transactions';
  readonly cells: readonly DemoCell[];
}

const LEVELS: readonly Isolation[] = ['read-committed', 'repeatable-read', 'serializable'];

/** The plan: both cases at every level, then the fixes where the seed's version failed. */
export function demoPlan(): ReadonlyArray<{ isolation: Isolation; workload: TxnWorkloadName; fix: TxnFix }> {
  return [
    ...LEVELS.flatMap((isolation) => (['deposit', 'doctors'] as const).map((workload) => ({ isolation, workload, fix: 'none' as TxnFix }))),
    { isolation: 'read-committed', workload: 'deposit', fix: 'for-update' },
    { isolation: 'read-committed', workload: 'deposit', fix: 'conditional' },
    { isolation: 'serializable', workload: 'deposit', fix: 'retry' },
    { isolation: 'read-committed', workload: 'doctors', fix: 'for-update' },
    { isolation: 'serializable', workload: 'doctors', fix: 'retry' },
  ];
}

export async function runTransactionsDemo(options: TransactionsDemoOptions): Promise<TransactionsDemoReport> {
  const cells: DemoCell[] = [];
  for (const { kind, url } of options.databases) {
    for (const { isolation, workload, fix } of demoPlan()) {
      if (options.signal?.aborted) break;
      const run = await runTransactions({
        database: kind,
        url,
        isolation,
        workload,
        fix,
        clients: options.clients,
        durationMs: options.durationMs,
        maxTransactions: options.transactionsPerCell,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const cell = { database: kind, isolation, workload, fix, run };
      cells.push(cell);
      options.onCell?.(cell);
    }
  }
  return { kind: 'demo-transactions', cells };
}

/** The anomaly a case is about: lost updates for the deposit, write skew (a G2-item cycle) for the doctors. */
export function headline(cell: DemoCell): { count: number; example?: Anomaly; business: string } {
  const c = cell.run.check;
  const type = cell.workload === 'deposit' ? 'lost-update' : 'G2-item';
  const count = c.anomalyCounts[type] ?? 0;
  const example = c.anomalies.find((a) => a.type === type);
  return { count, ...(example ? { example } : {}), business: cell.run.invariant?.words ?? '' };
}

const NAME = { postgres: 'PostgreSQL', mariadb: 'MariaDB' } as const;

export function renderTransactionsDemo(report: TransactionsDemoReport): string {
  const rows = report.cells.map((cell) => {
    const h = headline(cell);
    const others = Object.entries(cell.run.check.anomalyCounts)
      .filter(([k]) => k !== (cell.workload === 'deposit' ? 'lost-update' : 'G2-item'))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const t = cell.run.transactions;
    return [
      `${NAME[cell.database]} ${cell.isolation}`,
      cell.workload === 'deposit' ? 'deposit (read, then update)' : 'doctors (check, then go off call)',
      cell.fix,
      String(t.attempted),
      String(h.count),
      String(cell.run.invariant?.violations ?? 0),
      String(t.serializationFailures + t.conflicts),
      others || '-',
    ];
  });
  const out = [
    'racelab demo transactions: the seed says "leverage database transactions to ensure atomicity and consistency of updates". Measured:',
    '',
    renderTable(['database, level', 'case', 'fix', 'txns', 'anomalies (lost update / write skew)', 'business rule broken', 'refused, retried', 'other anomalies found'], rows),
    '',
    wrap('anomalies: lost-update groups (committed transactions that read the same version and all wrote it) for the deposit, G2-item cycles (write skew) for the doctors, found by the checker in each run\'s recorded history; business rule broken: deposits missing from the balance, shifts left with no doctor, counted in the database afterwards; refused: serialization failures and deadlocks, and conditional updates that matched nothing (each retried when the fix retries). A lost update also closes a dependency cycle; which of its two writes came first no read shows, so the checker counts that cycle as G2-item, the class that claims least.'),
  ];
  for (const cell of report.cells) {
    const h = headline(cell);
    if (h.count === 0 || !h.example) continue;
    out.push('', `${NAME[cell.database]} at ${cell.isolation}, ${cell.workload}${cell.fix !== 'none' ? ` with ${cell.fix}` : ''}: one of ${h.count}, explained (${h.business})`);
    for (const line of h.example.explanation) out.push(wrap(line, 100, '  '));
    for (const i of h.example.txns.slice(0, 4)) {
      const t = cell.run.check.transactions[i];
      if (t) out.push(`    ${t.label} (process ${t.process}): ${t.ops}`);
    }
  }
  out.push('', 'What the advice should have said:', wrap(ADVICE, 100, '  '));
  return out.join('\n');
}

const ADVICE =
  'A transaction alone does not make read-then-write safe. At PostgreSQL\'s default READ COMMITTED (and MariaDB\'s default REPEATABLE READ) two transactions can read the same balance and both write, losing an update; lock what you read (SELECT … FOR UPDATE), or make the write conditional on what you read (UPDATE … WHERE version = ?) and retry when it matches nothing, or write the change relative to the row (SET balance = balance + ?). A rule that spans rows (one doctor must stay on call) is broken by write skew at every level below SERIALIZABLE, including PostgreSQL\'s REPEATABLE READ (snapshot isolation): lock every row the rule reads, or run at SERIALIZABLE and retry on serialization failures (SQLSTATE 40001), which PostgreSQL raises instead of committing the anomaly. Whatever the level, count the retries: the isolation the anomalies stop at is paid for in refused transactions.';
