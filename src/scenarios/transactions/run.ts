import { ownerIsGone, ownerTag } from '../../core/cleanup.js';
import { RacelabError, messageOf } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import type { HistoryEvent } from '../../history/event.js';
import { monotonicMicros } from '../../history/recorder.js';
import { checkTransactions } from '../../txn/check.js';
import type { MicroOp, TxnCheckReport } from '../../txn/types.js';
import { openDatabase, TxnAborted, type Database, type DatabaseKind, type Isolation, type Session } from './database.js';
import { Conflict, makeWorkload, type InvariantResult, type PlannedTxn, type TxnFix, type TxnWorkloadName, type WorkloadInstance } from './workloads.js';

export interface TxnRunOptions {
  readonly database: DatabaseKind;
  readonly url: string;
  readonly isolation: Isolation;
  readonly workload: TxnWorkloadName;
  readonly fix?: TxnFix;
  readonly clients: number;
  /** Stop starting transactions after this long. */
  readonly durationMs: number;
  /** Stop after this many attempts (committed, failed or unknown), whichever comes first. */
  readonly maxTransactions?: number;
  readonly seed?: number;
  /** Stops the run early (Ctrl+C): what was recorded so far is cleaned up and checked. */
  readonly signal?: AbortSignal;
  /** Budget of the check that follows. */
  readonly checkBudgetMs?: number;
}

export interface TxnRunReport {
  readonly kind: 'txn-run';
  readonly database: DatabaseKind;
  readonly where: string;
  readonly isolation: Isolation;
  readonly workload: TxnWorkloadName;
  readonly fix: TxnFix;
  readonly clients: number;
  readonly seed: number;
  readonly table: string;
  readonly elapsedMs: number;
  readonly stoppedBecause: 'duration' | 'count' | 'signal' | 'done';
  readonly transactions: {
    readonly attempted: number;
    readonly committed: number;
    readonly failed: number;
    readonly unknown: number;
    /** Refused by the database to keep its isolation level: serialization failures and deadlocks. */
    readonly serializationFailures: number;
    /** Refused by the application (a conditional update that matched no row). */
    readonly conflicts: number;
  };
  /** One example reason per kind of failure seen, for the report. */
  readonly failureReasons: readonly string[];
  readonly invariant?: InvariantResult;
  readonly check: TxnCheckReport;
  readonly history: readonly HistoryEvent[];
}

/**
 * Runs a workload on a real database: `clients` connections, each a closed loop of transactions at the given
 * isolation level, for a duration (or a count). Every attempt is recorded: an invocation, then `ok` after
 * COMMIT returned, `fail` after the database or the application rolled it back, `info` when the connection
 * timed out or dropped (that client then continues as a new process on a new connection, as Jepsen does). The
 * run's tables have a name of their own and are dropped afterwards, whatever happened; then the history is
 * checked.
 */
export async function runTransactions(options: TxnRunOptions): Promise<TxnRunReport> {
  const started = performance.now();
  const seed = options.seed ?? Date.now() % 1_000_000;
  const fix = options.fix ?? 'none';
  const db = openDatabase(options.database, options.url);
  // The owner tag (host, pid, creation time) lets a later run drop the table if this one is killed with -9.
  const table = `racelab_txn_${options.workload.replace(/-/g, '_')}_${ownerTag('_')}`;
  const admin = await db.connect(); // reaching the database fails here, before anything is created
  await dropLeftoverTables(admin, db);
  let workload: WorkloadInstance;
  const events: HistoryEvent[] = [];
  const counts = { attempted: 0, committed: 0, failed: 0, unknown: 0, serializationFailures: 0, conflicts: 0 };
  const reasons = new Map<string, string>();
  let stoppedBecause: TxnRunReport['stoppedBecause'] = 'done';
  let invariant: InvariantResult | undefined;
  try {
    workload = makeWorkload(options.workload, { db, table, rng: Random.seeded(seed), fix, clients: options.clients });
    try {
      await workload.setup(admin);
    } catch (e) {
      if (e instanceof TxnAborted && e.denied) {
        const fix = (await admin.query<{ fix: string }>(db.sql.grantFix).catch(() => []))[0]?.fix;
        throw new RacelabError('BAD_STORE', `cannot create the run's table ${table} on ${db.where}: ${messageOf(e)}${fix ? `; as an admin run: ${fix}` : ''}`);
      }
      throw new RacelabError('BAD_STORE', `cannot create the run's table ${table} on ${db.where}: ${messageOf(e)}`);
    }
    const deadline = performance.now() + options.durationMs;
    const stop = (): boolean => {
      if (options.signal?.aborted) return (stoppedBecause = 'signal'), true;
      if (performance.now() >= deadline) return (stoppedBecause = 'duration'), true;
      if (options.maxTransactions !== undefined && counts.attempted >= options.maxTransactions) return (stoppedBecause = 'count'), true;
      return false;
    };
    await Promise.all(Array.from({ length: options.clients }, (_, c) => client(c)));

    async function client(c: number): Promise<void> {
      let process = c;
      let session: Session | undefined;
      let retry: PlannedTxn | undefined;
      try {
        while (!stop()) {
          const txn = retry ?? (await workload.next(c));
          retry = undefined;
          if (!txn) return;
          session ??= await db.connect();
          counts.attempted++;
          // `line` is the event's line in the recorded file (--record writes them in this order), for explanations.
          const invoke: HistoryEvent = { process, type: 'invoke', f: 'txn', value: wire(txn.invoke), time: monotonicMicros(), line: events.length + 1 };
          events.push(invoke);
          const outcome = await attempt(session, txn);
          const time = monotonicMicros();
          if (outcome.ok) {
            counts.committed++;
            // The code may have chosen not to write: the invocation is what the transaction ran.
            (invoke as { value: unknown }).value = wire(outcome.ops.map((m): MicroOp => (m.f === 'r' ? { ...m, value: null } : m)));
            events.push({ process, type: 'ok', f: 'txn', value: wire(outcome.ops), time, line: events.length + 1 });
            workload.settled?.(txn, true);
            continue;
          }
          const { aborted } = outcome;
          reasons.set(aborted.serialization ? 'serialization' : aborted.outcome, aborted.reason);
          events.push({ process, type: aborted.outcome, f: 'txn', value: wire(txn.invoke), time, error: aborted.reason, line: events.length + 1 });
          if (aborted.outcome === 'info') {
            counts.unknown++;
            workload.settled?.(txn, 'unknown');
            await session.close();
            session = undefined;
            process += options.clients;
            continue;
          }
          counts.failed++;
          workload.settled?.(txn, false);
          if (aborted.serialization) counts.serializationFailures++;
          if (aborted.reason.startsWith('conflict:')) counts.conflicts++;
          if (txn.retry && (aborted.serialization || aborted.reason.startsWith('conflict:'))) retry = txn.retry();
        }
      } finally {
        await session?.close();
      }
    }
    const checkBudget = options.checkBudgetMs;
    const report = checkTransactions(events, workload.checkAs, checkBudget !== undefined ? { budgetMs: checkBudget } : {});
    try {
      invariant = await workload.invariant?.(admin);
    } catch {
      invariant = undefined;
    }
    return {
      kind: 'txn-run',
      database: options.database,
      where: db.where,
      isolation: options.isolation,
      workload: options.workload,
      fix,
      clients: options.clients,
      seed,
      table,
      elapsedMs: performance.now() - started,
      stoppedBecause,
      transactions: counts,
      failureReasons: [...reasons.values()],
      ...(invariant ? { invariant } : {}),
      check: report,
      history: events,
    };
  } finally {
    await dropTable(admin, db, table);
    await admin.close();
  }

  async function attempt(s: Session, txn: PlannedTxn): Promise<{ ok: true; ops: MicroOp[] } | { ok: false; aborted: TxnAborted }> {
    try {
      await s.begin(options.isolation);
      const ops = await txn.run(s);
      await s.commit();
      return { ok: true, ops };
    } catch (e) {
      const aborted =
        e instanceof TxnAborted ? e : e instanceof Conflict ? new TxnAborted('fail', `conflict: ${e.message}`, false) : new TxnAborted('fail', messageOf(e), false);
      if (aborted.outcome === 'fail') await s.rollback();
      return { ok: false, aborted };
    }
  }
}

/** Micro-ops as a history holds them: `[f, key, value]`. */
function wire(ops: readonly MicroOp[]): unknown[] {
  return ops.map((m) => [m.f, m.key, m.value]);
}

/** Drops the tables that runs of this host left when they were killed (kill -9): their owner process is gone. */
export async function dropLeftoverTables(admin: Session, db: Database): Promise<string[]> {
  const rows = await admin.query<{ name: string }>(db.sql.runTables).catch(() => []);
  const gone = rows.map((r) => r.name).filter((name) => name.startsWith('racelab_txn_') && ownerIsGone(name));
  for (const name of gone) await admin.execute(`DROP TABLE IF EXISTS ${name}`).catch(() => 0);
  return gone;
}

async function dropTable(admin: Session, db: Database, table: string): Promise<void> {
  try {
    await admin.execute(`DROP TABLE IF EXISTS ${table}`);
  } catch {
    // The admin connection may be the one that dropped: try once more on a fresh one.
    const s = await db.connect().catch(() => undefined);
    await s?.execute(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await s?.close();
  }
}
