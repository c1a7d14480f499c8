import { test } from 'vitest';
import { runTransactions } from '../../src/scenarios/transactions/run.js';
test('x', async () => {
  for (const [database, url, isolation, workload] of [
    ['postgres', 'postgres://postgres@127.0.0.1:5432/test', 'read-committed', 'deposit'],
    ['postgres', 'postgres://postgres@127.0.0.1:5432/test', 'repeatable-read', 'deposit'],
    ['postgres', 'postgres://postgres@127.0.0.1:5432/test', 'repeatable-read', 'doctors'],
    ['postgres', 'postgres://postgres@127.0.0.1:5432/test', 'serializable', 'doctors'],
    ['mariadb', 'mariadb://root@127.0.0.1:3306/test', 'repeatable-read', 'deposit'],
    ['postgres', 'postgres://postgres@127.0.0.1:5432/test', 'read-committed', 'list-append'],
    ['mariadb', 'mariadb://root@127.0.0.1:3306/test', 'read-committed', 'transfer'],
  ] as const) {
    const r = await runTransactions({ database, url, isolation, workload, clients: 10, durationMs: 3000, maxTransactions: 500, seed: 1 });
    console.log(database, isolation, workload, r.elapsedMs.toFixed(0), JSON.stringify(r.transactions), JSON.stringify(r.check.anomalyCounts), r.invariant?.words, r.failureReasons.join(' | ').slice(0, 200));
  }
}, 120_000);
