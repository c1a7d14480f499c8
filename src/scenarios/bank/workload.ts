import type { Workload } from '../../explore/workload.js';
import { MemoryStore } from '../../store/memory.js';
import { scenarioWorkloadPlan, type ScenarioWorkloadOptions } from '../impacts/scenario.js';
import { OPENING_BALANCES, balanceKey, bankVariants, type BankResult } from './variants.js';

/** What one explorer client does: the multi-endpoint mix of the PortSwigger labs, a transfer racing a withdraw. */
export type BankOperation =
  | { readonly op: 'withdraw'; readonly account: string; readonly amount: number }
  | { readonly op: 'transfer'; readonly from: string; readonly to: string; readonly amount: number };

/**
 * Client k runs the k-th of these. Two clients: a withdraw and a transfer that both spend alice's 100 on 70 (a
 * double spend when both pass one check). Three: a transfer back from bob as well, opposite to the second,
 * which is what deadlocks account mutexes taken in request order.
 */
export const BANK_CLIENT_OPERATIONS: readonly BankOperation[] = [
  { op: 'withdraw', account: 'alice', amount: 70 },
  { op: 'transfer', from: 'alice', to: 'bob', amount: 70 },
  { op: 'transfer', from: 'bob', to: 'alice', amount: 50 },
];

export type BankWorkloadOptions = ScenarioWorkloadOptions;

const describe = (o: BankOperation): string => (o.op === 'withdraw' ? `withdraw ${o.amount} from ${o.account}` : `transfer ${o.amount} from ${o.from} to ${o.to}`);

/**
 * The bank under the explorer: one service on a MemoryStore opened with OPENING_BALANCES, one task per client.
 * Invariant, in the bank's terms: no balance below zero, and the total is the opening total less what was
 * withdrawn (transfers move money, they never make or destroy it).
 */
export function bankWorkload(options: BankWorkloadOptions): Workload {
  const { variant, clients, delayMs, plan: operations } = scenarioWorkloadPlan('bank', bankVariants, options, BANK_CLIENT_OPERATIONS);
  const openingTotal = Object.values(OPENING_BALANCES).reduce((s, v) => s + v, 0);
  return {
    name: 'bank',
    params: { variant: variant.name, clients, delay: delayMs },
    setup(ctx) {
      const initial = Object.fromEntries(Object.entries(OPENING_BALANCES).map(([a, v]) => [balanceKey(a), v]));
      const store = new MemoryStore(ctx.scheduler, { note: ctx.note, initial });
      const service = variant.make({ store, scheduler: ctx.scheduler, delayMs });
      const results: Array<BankResult | undefined> = operations.map(() => undefined);
      const tasks: Array<readonly [string, () => Promise<void>]> = operations.map((o, i) => [
        `t${i + 1}`,
        async () => {
          results[i] = o.op === 'withdraw' ? await service.withdraw(o.account, o.amount) : await service.transfer(o.from, o.to, o.amount);
        },
      ]);
      // The actor variant's processes outlive the clients: a last task stops them once every client is done, or
      // the explorer would rightly see them blocked in receive forever.
      let finished = 0;
      let allDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (allDone = resolve));
      const closing: Array<readonly [string, () => Promise<void>]> = variant.spawnsProcesses
        ? [
            [
              'bank',
              async () => {
                await ctx.scheduler.waitFor(done, 'every client done');
                await service.close();
              },
            ],
          ]
        : [];
      return {
        tasks: [
          ...tasks.map(
            ([name, body]) =>
              [
                name,
                async () => {
                  try {
                    await body();
                  } finally {
                    if (++finished === tasks.length) allDone();
                  }
                },
              ] as const,
          ),
          ...closing,
        ],
        invariant: async () => {
          const audit = await service.audit();
          const withdrawn = operations.reduce((s, o, i) => s + (o.op === 'withdraw' && results[i]?.accepted ? o.amount : 0), 0);
          const expected = openingTotal - withdrawn;
          const accepted = operations.filter((_, i) => results[i]?.accepted).map(describe);
          const what = accepted.length ? `accepted: ${accepted.join('; ')}` : 'nothing accepted';
          const negative = Object.entries(audit.balances).filter(([, v]) => v < 0);
          if (negative.length) return `${negative.map(([a, v]) => `${a}'s balance is ${v}`).join(', ')}: no balance may go below zero (${what})`;
          if (audit.total !== expected) {
            const diff = audit.total - expected;
            return `the bank holds ${audit.total}, but ${openingTotal} opening less ${withdrawn} withdrawn is ${expected}: ${Math.abs(diff)} ${diff > 0 ? 'created (a double spend)' : 'destroyed (a lost credit)'} (${what}; balances ${Object.entries(audit.balances).map(([a, v]) => `${a} ${v}`).join(', ')})`;
          }
          return true;
        },
      };
    },
  };
}
