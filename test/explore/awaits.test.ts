import { readFile } from 'node:fs/promises';
import { Mutex } from 'async-mutex';
import { describe, expect, it } from 'vitest';
import { explore, replay, yieldPoint, type Workload } from '../../src/index.js';
import { moduleHooks } from './hand-hooks.js';

// ---- user-shaped code, with plain async fakes ------------------------------------------------------------------

class AccountsFake {
  private readonly rows = new Map<string, { balance: number }>();
  constructor(balance: number) {
    this.rows.set('acc1', { balance });
  }
  async findById(id: string): Promise<{ balance: number }> {
    return { ...(this.rows.get(id) as { balance: number }) };
  }
  async save(id: string, row: { balance: number }): Promise<void> {
    this.rows.set(id, { ...row });
  }
  balance(): number {
    return (this.rows.get('acc1') as { balance: number }).balance;
  }
}

const wl = moduleHooks('src/wallet.ts', [
  [35, 'this.accounts.findById(accountId)'],
  [40, 'this.accounts.save(accountId, { balance: row.balance - amount })'],
  [50, 'previous'],
  [52, 'this.withdraw(accountId, amount)'],
  [60, 'this.mutex.runExclusive(() => this.withdraw(accountId, amount))'],
]);

/** Check-then-act: two withdrawals of 70 from 100 both pass the check. */
class Wallet {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly mutex = new Mutex();
  constructor(readonly accounts: AccountsFake) {}

  async withdraw(accountId: string, amount: number): Promise<boolean> {
    const row = await wl.a(0, (wl.on && (await wl.b(0)), this.accounts.findById(accountId)));
    if (row.balance < amount) return false;
    await wl.a(1, (wl.on && (await wl.b(1)), this.accounts.save(accountId, { balance: row.balance - amount })));
    return true;
  }

  /** The usual fix: a promise-chain lock (each withdrawal runs after the one before it settles). */
  async withdrawChained(accountId: string, amount: number): Promise<boolean> {
    const previous = this.chain;
    let release!: () => void;
    this.chain = new Promise<void>((r) => (release = r));
    try {
      await wl.a(2, (wl.on && (await wl.b(2)), previous));
      return await wl.a(3, (wl.on && (await wl.b(3)), this.withdraw(accountId, amount)));
    } finally {
      release();
    }
  }

  /** The other usual fix: async-mutex. */
  async withdrawLocked(accountId: string, amount: number): Promise<boolean> {
    return wl.a(4, (wl.on && (await wl.b(4)), this.mutex.runExclusive(() => this.withdraw(accountId, amount))));
  }
}

const walletWorkload = (method: 'withdraw' | 'withdrawChained' | 'withdrawLocked'): Workload => ({
  name: `wallet-${method}`,
  setup() {
    const accounts = new AccountsFake(100);
    const wallet = new Wallet(accounts);
    // Each task ends at its await, and the invariant counts what was paid: this file is not instrumented, and code
    // of its own after an await would run glued to the step the call returned in (the run is then inconclusive).
    const calls: Promise<boolean>[] = [];
    const withdraw = async (): Promise<void> => {
      const call = wallet[method]('acc1', 70);
      calls.push(call);
      await call;
    };
    return {
      tasks: [
        ['w1', withdraw],
        ['w2', withdraw],
      ],
      invariant: async () => {
        const paid = (await Promise.all(calls)).filter(Boolean).length * 70;
        return paid + accounts.balance() === 100 || `paid out ${paid} from 100, balance ${accounts.balance()}: a double spend`;
      },
    };
  },
});

describe('instrumented awaits: each await is a point (the call goes out) and a step (the response comes back)', () => {
  it('check-then-act on plain async fakes: dfs finds the double spend; the trace names the source lines; the token replays it', async () => {
    const r = await explore(walletWorkload('withdraw'), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.verdict).toBe('race-found');
    const f = r.firstFailure!;
    expect(f.message).toBe('paid out 140 from 100, balance 30: a double spend');
    expect(f.shrunk.trace).toContain('w1 wallet.ts:35 this.accounts.findById(accountId)');
    expect(f.shrunk.traceLines.join('\n')).toContain('wallet.ts:35 this.accounts.findById(accountId) returns -> {balance:100}');
    // A call whose response is the next step reads as one entry in the one-line trace.
    expect(f.shrunk.trace).toMatch(/w\d wallet\.ts:35 this\.accounts\.findById\(accountId\)( returns)? -> \{balance:100\}/);
    expect(f.shrunk.trace).toMatch(/w2 wallet\.ts:40 .*save/);
    const again = await replay(walletWorkload('withdraw'), f.replayToken, { ambient: true });
    expect(again.status).toBe('failed');
    expect(again.schedule.trace).toBe(f.shrunk.trace);
  });

  it('a stale read between a call and its response is explored: the read returns before the other task writes', async () => {
    const r = await explore(walletWorkload('withdraw'), { strategy: 'dfs', ambient: true, seed: 1, stopOnFailure: false, shrink: false });
    // Each task: a point and a response per await, 4 steps; every interleaving of two such sequences that the
    // check-then-act allows is run, and more than one fails.
    expect(r.dfs?.exhausted).toBe(true);
    expect(r.failures).toBeGreaterThan(1);
    expect(r.verdict).toBe('race-found');
  });

  for (const method of ['withdrawChained', 'withdrawLocked'] as const) {
    it(`${method === 'withdrawChained' ? 'a promise-chain lock' : 'async-mutex'}: awaiting a promise another task settles blocks, so dfs proves the fix (no escape)`, async () => {
      const r = await explore(walletWorkload(method), { strategy: 'dfs', ambient: true, seed: 1 });
      expect(r.firstFailure?.message).toBeUndefined();
      expect(r.inconclusive).toBeUndefined();
      expect(r.verdict).toBe('proved');
      expect(r.dfs?.schedulesExplored).toBeGreaterThan(1);
    });
  }

  it('without the ambient scheduler the hooks are off: no point, so the verdict is inconclusive, never a proof', async () => {
    const r = await explore(walletWorkload('withdraw'), { strategy: 'dfs', seed: 1 });
    expect(r.firstFailure).toBeUndefined();
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toContain('reached no scheduling point');
    expect(r.inconclusive?.first).toContain('ambient: true');
    expect(r.inconclusive?.runs).toBe(r.runs);
  });
});

const lz = moduleHooks('src/db.ts', [
  [10, 'connect()'],
  [20, 'this.client'],
  [30, 'this.db()'],
  [31, 'client.query(sql)'],
  [40, 'Promise.all([this.run("a"), this.run("b")])'],
]);

/** Lazy initialisation: `if (!this.client) this.client = await connect()` opens two connections. */
class Db {
  connections = 0;
  private client: { query(sql: string): Promise<string> } | undefined;
  private connecting: Promise<{ query(sql: string): Promise<string> }> | undefined;
  constructor(private readonly memoized: boolean) {}

  private async connect(): Promise<{ query(sql: string): Promise<string> }> {
    this.connections++;
    return { query: async (sql: string) => `ok ${sql}` };
  }

  async db(): Promise<{ query(sql: string): Promise<string> }> {
    if (this.memoized) {
      this.connecting ??= this.connect();
      return lz.a(1, (lz.on && (await lz.b(1)), this.connecting));
    }
    if (!this.client) this.client = await lz.a(0, (lz.on && (await lz.b(0)), this.connect()));
    return this.client;
  }

  async run(sql: string): Promise<string> {
    const client = await lz.a(2, (lz.on && (await lz.b(2)), this.db()));
    return lz.a(3, (lz.on && (await lz.b(3)), client.query(sql)));
  }

  /** Two calls at once inside one request. */
  async both(): Promise<string[]> {
    return lz.a(4, (lz.on && (await lz.b(4)), Promise.all([this.run('a'), this.run('b')])));
  }
}

describe('instrumented awaits: promises between tasks, and work started inside a task', () => {
  const lazy = (memoized: boolean, inOneRequest: boolean): Workload => ({
    name: 'lazy',
    params: { memoized, inOneRequest },
    setup() {
      const db = new Db(memoized);
      const results: string[] = [];
      return {
        tasks: inOneRequest
          ? [['r1', async () => void results.push(...(await db.both()))]]
          : [
              ['r1', async () => void results.push(await db.run('a'))],
              ['r2', async () => void results.push(await db.run('b'))],
            ],
        invariant: () => (db.connections === 1 && results.length === 2) || `${db.connections} connections opened, ${results.length} results`,
      };
    },
  });

  it('lazy init: two requests open two connections (found); the memoized promise fixes it (proved, no escape)', async () => {
    const bad = await explore(lazy(false, false), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(bad.firstFailure?.message).toBe('2 connections opened, 2 results');
    const good = await explore(lazy(true, false), { strategy: 'dfs', ambient: true, seed: 1, runs: 100_000 });
    expect(good.verdict).toBe('proved');
    console.info(`lazy memoized: proved over ${good.dfs?.schedulesExplored} schedules`);
  });

  it('Promise.all inside one request: its two calls become tasks of their own (r1.1, …) that the strategy interleaves', async () => {
    const bad = await explore(lazy(false, true), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(bad.firstFailure?.message).toBe('2 connections opened, 2 results');
    expect(bad.firstFailure?.shrunk.trace).toMatch(/r1\.\d/);
    const again = await replay(lazy(false, true), bad.firstFailure!.replayToken, { ambient: true });
    expect(again.status).toBe('failed');
    const good = await explore(lazy(true, true), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(good.verdict).toBe('proved');
    expect(good.dfs?.schedulesExplored).toBeGreaterThan(1);
  });
});

const io = moduleHooks('src/config.ts', [[5, 'readFile(path)']]);

describe('instrumented awaits of real I/O', () => {
  const reading = (): Workload => ({
    name: 'reading',
    setup() {
      let reads = 0;
      const load = async (): Promise<void> => {
        const text = await io.a(0, (io.on && (await io.b(0)), readFile(new URL(import.meta.url), 'utf8')));
        if (text.length > 0) reads++;
      };
      return { tasks: [['a', load], ['b', load]], invariant: () => reads === 2 || `${reads} reads` };
    },
  });

  it("reported by default: the run completes, and the verdict is inconclusive, naming the await's location", async () => {
    const r = await explore(reading(), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.firstFailure).toBeUndefined();
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toContain('src/config.ts:5:5 (await readFile(path))');
    expect(r.inconclusive?.first).toContain('outside the run');
    expect(r.inconclusive?.events).toBeGreaterThanOrEqual(r.runs);
  });

  it("with io: 'atomic' each read is one atomic step: the search completes and proves", async () => {
    const r = await explore(reading(), { strategy: 'dfs', ambient: true, seed: 1, io: 'atomic' });
    expect(r.inconclusive).toBeUndefined();
    expect(r.verdict).toBe('proved');
  });
});

describe('the time limit and Ctrl+C inside one long run', () => {
  // The real timer, taken before any run fakes the globals: to the scheduler, a wait on it is real I/O.
  const realSetTimeout = globalThis.setTimeout;
  const slow = moduleHooks('src/poller.ts', [[7, 'sleep(20)']]);
  /** Each task polls 200 times, each poll an atomic step of 20 ms of real time: one run takes about 8 s. */
  const polling = (): Workload => ({
    name: 'polling',
    setup() {
      let polls = 0;
      const poll = async (): Promise<void> => {
        for (let i = 0; i < 200; i++) {
          await slow.a(0, (slow.on && (await slow.b(0)), new Promise<void>((resolve) => realSetTimeout(resolve, 20))));
          polls++;
        }
      };
      return { tasks: [['a', poll], ['b', poll]], invariant: () => polls === 400 || `${polls} polls` };
    },
  });

  it('a time limit ends the run it falls in, which is not counted, with no verdict of proof', async () => {
    const t0 = performance.now();
    const r = await explore(polling(), { strategy: 'dfs', ambient: true, seed: 1, io: 'atomic', timeLimitMs: 400 });
    const took = performance.now() - t0;
    expect(r.stopReason).toBe('time-limit');
    expect(r.runs).toBe(0);
    expect(r.verdict).not.toBe('proved');
    expect(r.firstFailure).toBeUndefined();
    // Before, the limit was checked only between runs (every 16th): this went on past 30 s.
    expect(took).toBeLessThan(3000);
  }, 30_000);

  it('an aborted signal ends it too, as interrupted', async () => {
    const stop = new AbortController();
    realSetTimeout(() => stop.abort(), 300);
    const t0 = performance.now();
    const r = await explore(polling(), { strategy: 'random', ambient: true, seed: 1, io: 'atomic', runs: 5, signal: stop.signal });
    expect(r.stopReason).toBe('interrupted');
    expect(r.runs).toBe(0);
    expect(performance.now() - t0).toBeLessThan(3000);
  }, 30_000);
});

describe('an ambient call that reached the real scheduler during a run', () => {
  it('makes the verdict inconclusive, naming the point (the run had steps of its own: not a point-less run)', async () => {
    const w: Workload = {
      name: 'half-ambient',
      setup(ctx) {
        const s = ctx.scheduler;
        const task = async (): Promise<void> => {
          await s.point({ kind: 'read', object: 'x', label: 'get x' });
          await yieldPoint('implicit yield'); // finds its scheduler implicitly: the real one without ambient
        };
        return { tasks: [['a', task], ['b', task]] };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toContain('"implicit yield" reached the real scheduler');
    expect(r.inconclusive?.runs).toBe(r.runs);
    const fixed = await explore(w, { strategy: 'dfs', seed: 1, ambient: true });
    expect(fixed.verdict).toBe('proved');
  });
});
