import { Mutex } from 'async-mutex';
import { describe, expect, it } from 'vitest';
import { controlled, explore, replay, type Workload } from '../../src/index.js';

// Code racelab does not instrument (this test file is not): the fake is wrapped with controlled(), and every call
// on it becomes a point when made and a step when its result is delivered.
class Accounts {
  private readonly rows = new Map<string, { balance: number }>([['acc1', { balance: 100 }]]);
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

const wallet = (locked: boolean): Workload => ({
  name: `controlled-wallet-${locked ? 'mutex' : 'plain'}`,
  setup() {
    const raw = new Accounts();
    const accounts = controlled(raw, { name: 'accounts', readOnly: ['findById'] });
    const mutex = new Mutex();
    let paid = 0;
    const withdrawOnce = async (): Promise<void> => {
      const row = await accounts.findById('acc1');
      if (row.balance < 70) return;
      await accounts.save('acc1', { balance: row.balance - 70 });
      paid += 70;
    };
    const withdraw = locked ? () => mutex.runExclusive(withdrawOnce) : withdrawOnce;
    return { tasks: [['w1', withdraw], ['w2', withdraw]], invariant: () => paid + raw.balance() === 100 || `paid out ${paid}, balance ${raw.balance()}` };
  },
});

describe('controlled(object): scheduling for code that is not instrumented', () => {
  it('each call is a point and a response step, arguments and results in the trace; the race is found and replays', async () => {
    const r = await explore(wallet(false), { strategy: 'dfs', ambient: true, seed: 1 });
    const f = r.firstFailure!;
    expect(f.message).toBe('paid out 140, balance 30');
    expect(f.shrunk.trace).toContain('w1 accounts.findById("acc1")');
    expect(f.shrunk.traceLines.join('\n')).toContain('accounts.findById("acc1") returns -> {balance:100}');
    expect(f.shrunk.trace).toContain('accounts.save("acc1", {balance:30})');
    expect((await replay(wallet(false), f.replayToken)).status).toBe('failed');
  });

  it('the async-mutex fix is proved by dfs', async () => {
    const r = await explore(wallet(true), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.verdict, r.inconclusive?.first).toBe('proved');
  });

  it('calls on different objects, and two readOnly calls, commute: dfs prunes them', async () => {
    const reads = (readOnly: boolean): Workload => ({
      name: 'reads',
      setup() {
        const a = controlled(new Accounts(), { name: 'a', readOnly: readOnly ? ['findById'] : [] });
        const b = controlled(new Accounts(), { name: 'b' });
        return {
          tasks: [
            ['r1', async () => void (await a.findById('acc1'))],
            ['r2', async () => void (await a.findById('acc1'))],
            ['w3', async () => void (await b.save('acc1', { balance: 1 }))],
          ],
        };
      },
    });
    const pruned = await explore(reads(true), { strategy: 'dfs', ambient: true, seed: 1, runs: 100_000 });
    const plain = await explore(reads(false), { strategy: 'dfs', ambient: true, seed: 1, por: false, runs: 100_000 });
    console.info(`reads: ${pruned.dfs?.schedulesExplored} schedules with partial-order reduction, ${plain.dfs?.schedulesExplored} without`);
    expect(pruned.verdict).toBe('proved');
    expect(pruned.dfs!.prunedByPor).toBeGreaterThan(0);
    expect(pruned.dfs!.schedulesExplored).toBeLessThan(plain.dfs!.schedulesExplored);
  });
});
