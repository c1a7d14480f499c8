import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explore, type Workload } from '../../src/index.js';
import { PgWallet, PgWalletForUpdate } from '../fixtures/user-code/pg-wallet.js';
import { PG_URL, serviceAvailable } from '../helpers/services.js';

// The wallet of test/fixtures/user-code/pg-wallet.ts against the real PostgreSQL, its queries instrumented awaits
// of real I/O: with io: 'atomic' each query runs as one atomic step while no other task moves, and the explorer
// interleaves the two withdrawals at await granularity. Every run gets a fresh row (setup) that is removed after
// (teardown); the table is this file's own and is dropped at the end.
const available = await serviceAvailable('PostgreSQL', PG_URL);

describe.skipIf(!available)('unmodified code on real PostgreSQL, io: atomic', () => {
  const table = `rl_wallet_${process.pid}_${Date.now().toString(36)}`;
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, balance integer NOT NULL)`);
    // Connections opened before the exploration: a run then only queries.
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    for (const c of clients) c.release();
  });

  afterAll(async () => {
    if (!pool) return;
    const left = await pool.query(`SELECT count(*)::int AS n FROM ${table}`).catch(() => undefined);
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
    expect(left?.rows[0]?.n).toBe(0);
  });

  let runs = 0;
  const wallet = (Wallet: typeof PgWallet): Workload => ({
    name: `pg-wallet-${Wallet.name}`,
    async setup() {
      const id = `acc-${++runs}`;
      await pool.query(`INSERT INTO ${table} (id, balance) VALUES ($1, 100)`, [id]);
      const service = new Wallet(pool, table);
      let paid = 0;
      const withdraw = async (): Promise<void> => void ((await service.withdraw(id, 70)) && (paid += 70));
      return {
        tasks: [['w1', withdraw], ['w2', withdraw]],
        invariant: async () => {
          const { rows } = await pool.query<{ balance: number }>(`SELECT balance FROM ${table} WHERE id = $1`, [id]);
          const balance = rows[0]?.balance;
          return paid + (balance ?? NaN) === 100 || `paid out ${paid} from 100, balance ${balance}: a double spend`;
        },
        teardown: async () => void (await pool.query(`DELETE FROM ${table} WHERE id = $1`, [id])),
      };
    },
  });

  const options = { ambient: true, io: 'atomic', virtualTime: false, ioWaitMs: 150, shrink: false } as const;

  it('SELECT balance, then UPDATE: the double spend is found, and the run is not inconclusive', async () => {
    const r = await explore(wallet(PgWallet), { ...options, strategy: 'random', seed: 3, runs: 40 });
    expect(r.firstFailure?.message).toMatch(/paid out 140 from 100, balance 30/);
    // The response names the call by its values: the SQL text (cut) and the account's id.
    expect(r.firstFailure?.found.trace).toMatch(/pg-wallet\.ts:\d+ query\("SELECT balance FROM [^"]*", \["acc-\d+"\]\)( returns)? -> Result\{command:"SELECT"/);
  });

  it('SELECT … FOR UPDATE in a transaction: not found within the budget (a row lock wait lets the other task go on)', async () => {
    const r = await explore(wallet(PgWalletForUpdate), { ...options, strategy: 'random', seed: 3, runs: 20 });
    expect(r.firstFailure?.message).toBeUndefined();
    expect(r.runs).toBe(20);
    expect(r.verdict).toBe('none-found');
  });
});
