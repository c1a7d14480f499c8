import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/explore.js';
import { bankWorkload } from '../../../src/scenarios/bank/workload.js';
import { bankVariants } from '../../../src/scenarios/bank/variants.js';

const explorable = bankVariants.filter((v) => !v.requires);

describe('bank under the explorer', () => {
  it('finds the double spend of the vulnerable variant and shrinks it to the two reads and two writes', async () => {
    const r = await explore(bankWorkload({ variant: 'vulnerable', clients: 2 }), { strategy: 'dfs', runs: 10_000, seed: 1 });
    const f = r.firstFailure;
    expect(f?.kind).toBe('invariant');
    expect(f?.message).toMatch(/created \(a double spend\)/);
    expect(f?.shrunk.trace).toMatch(/t1 get balance\(alice\)->100 . t2 get balance\(alice\)->100/);
  });

  it('finds the lock-ordering deadlock of mutex-unordered on opposite transfers, naming both waits', async () => {
    const r = await explore(bankWorkload({ variant: 'mutex-unordered', clients: 3 }), { strategy: 'dfs', runs: 100_000, seed: 1 });
    expect(r.firstFailure?.kind).toBe('deadlock');
    expect(r.firstFailure?.message).toMatch(/t2 waits for "wait for account\(bob\)"/);
    expect(r.firstFailure?.message).toMatch(/t3 waits for "wait for account\(alice\)"/);
  });

  for (const v of explorable.filter((x) => x.safe)) {
    for (const clients of [2, 3]) {
      it(`proves ${v.name} at ${clients} clients: dfs explores every schedule and none fails`, async () => {
        // Which client touched alice's balance first, over the runs: t1 and t2 both spend 70 of her 100, and a proof
        // that never tried both orders would prove nothing about that race.
        const firstDebit = new Set<string>();
        const r = await explore(bankWorkload({ variant: v.name, clients }), {
          strategy: 'dfs',
          runs: 1_000_000,
          seed: 1,
          onRun: (_run, record) => {
            const first = record.steps.find((s) => /^(send call \{debit: 70\} to account\(alice\)|get balance\(alice\)|read balance\(alice\))/.test(s.label));
            if (record.status === 'passed' && first) firstDebit.add(first.taskName);
          },
        });
        expect(r.firstFailure?.message).toBeUndefined();
        expect(r.dfs?.exhausted).toBe(true);
        expect([...firstDebit]).toEqual(expect.arrayContaining(['t1', 't2']));
      }, 120_000);
    }
  }
});
