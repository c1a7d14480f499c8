import { renderTable, wrap } from '../../report/table.js';
import { renderTxnReport } from '../../report/txn-text.js';
import type { TxnRunReport } from './run.js';

const LEVEL_WORDS = { 'read-uncommitted': 'READ UNCOMMITTED', 'read-committed': 'READ COMMITTED', 'repeatable-read': 'REPEATABLE READ', serializable: 'SERIALIZABLE' } as const;

/** A run on a real database for a terminal: what ran, what the database did, then the check. */
export function renderTxnRun(run: TxnRunReport): string {
  const t = run.transactions;
  const out = [
    `racelab txn run: ${run.workload}${run.fix !== 'none' ? ` (fix: ${run.fix})` : ''} on ${run.database === 'postgres' ? 'PostgreSQL' : 'MariaDB'} ${run.where} at ${LEVEL_WORDS[run.isolation]}, ${run.clients} clients, seed ${run.seed}`,
    `ran ${(run.elapsedMs / 1000).toFixed(1)} s (stopped: ${run.stoppedBecause}); table ${run.table} created and dropped`,
    renderTable(
      ['transactions', 'count'],
      [
        ['attempted', String(t.attempted)],
        ['committed', String(t.committed)],
        ['refused by the database (serialization failure or deadlock)', String(t.serializationFailures)],
        ['refused by the application (conditional update matched nothing)', String(t.conflicts)],
        ['other failures', String(t.failed - t.serializationFailures - t.conflicts)],
        ['unknown outcome (timeout, dropped connection)', String(t.unknown)],
      ],
    ),
  ];
  if (run.failureReasons.length > 0) out.push(wrap(`e.g. ${run.failureReasons.join('; ')}`));
  if (run.invariant) out.push(`invariant "${run.invariant.name}": ${run.invariant.words}`);
  out.push('', renderTxnReport(run.check));
  return out.join('\n');
}
