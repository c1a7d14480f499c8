import type { Command } from 'commander';
import { printJson, printResult } from '../output.js';
import { startProgress } from '../progress.js';
import { plural } from '../../core/units.js';

/** `racelab demo transactions`: the seed's "use database transactions" advice, measured on PostgreSQL and MariaDB. */
export function register(demo: Command): void {
  demo
    .command('transactions')
    .description('lost updates and write skew by database and isolation level, counted from checked histories, with the fixes')
    .option('--store <stores>', 'comma-separated: postgres, mariadb, or their URLs', 'postgres,mariadb')
    .option('--clients <n>', 'concurrent connections per run', '10')
    .option('--duration <duration>', 'longest run per cell', '5s')
    .option('--transactions <n>', 'transactions per cell, if the duration allows', '300')
    .option('--seed <n>', 'seed of the workloads')
    .option('--json', 'print the report as JSON (without histories)')
    .action(async (opts: { store: string; clients: string; duration: string; transactions: string; seed?: string; json?: boolean }) => {
      const lib = await loadLib();
      const { untilSignal } = await import('../signals.js');
      const databases = opts.store.split(',').map((s) => s.trim()).filter(Boolean).map((s) => lib.resolveDatabase(s));
      if (databases.length === 0) throw new lib.RacelabError('BAD_OPTION', '--store: empty; use postgres, mariadb, or both');
      const clients = lib.parseCount(opts.clients, '--clients', 2, 200);
      const durationMs = lib.parseDuration(opts.duration, '--duration', { maxMs: 3_600_000 });
      const transactionsPerCell = lib.parseCount(opts.transactions, '--transactions', 10, 10_000_000);
      const seed = opts.seed !== undefined ? lib.parseCount(opts.seed, '--seed', 0, Number.MAX_SAFE_INTEGER) : undefined;
      const controller = new AbortController();
      void untilSignal().then(() => controller.abort());
      // On a terminal, the cell just run, live, with the time spent; piped or --json, nothing.
      const progress = startProgress({ json: opts.json, text: `connecting to ${databases.length === 1 ? 'the database' : 'the databases'}` });
      const report = await lib.runTransactionsDemo({
        databases,
        clients,
        durationMs,
        transactionsPerCell,
        signal: controller.signal,
        ...(seed !== undefined ? { seed } : {}),
        onCell: (c) => progress.line(`${c.database} ${c.isolation} ${c.workload}${c.fix !== 'none' ? ` (${c.fix})` : ''}: ${plural(c.run.transactions.attempted, 'transaction')}`),
      }).finally(() => progress.stop());
      if (opts.json) printJson({ ...report, cells: report.cells.map(({ run: { history: _h, ...run }, ...cell }) => ({ ...cell, run })) });
      else printResult(lib.renderTransactionsDemo(report));
      if (controller.signal.aborted) process.exitCode = 130;
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
    ...(await import('../../scenarios/transactions/database.js')),
    ...(await import('../../scenarios/transactions/demo.js')),
  };
}
