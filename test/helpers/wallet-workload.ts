import type { Workload } from '../../src/index.js';
import { InMemoryAccounts, InsufficientFunds } from '../fixtures/user-code/wallet.js';

/**
 * Two withdrawals of 70 from an account of 100, through a wallet service `make` builds on the in-memory fake: the
 * invariant is that no money is paid out that the account did not lose (a double spend breaks it).
 */
export function walletWorkload(name: string, make: (a: InMemoryAccounts) => { withdraw(id: string, n: number): Promise<number> }): Workload {
  return {
    name,
    setup() {
      const accounts = new InMemoryAccounts({ acc1: 100 });
      const service = make(accounts);
      let paid = 0;
      const withdraw = async (): Promise<void> => {
        try {
          await service.withdraw('acc1', 70);
          paid += 70;
        } catch (e) {
          if (!(e instanceof InsufficientFunds)) throw e;
        }
      };
      return {
        tasks: [['w1', withdraw], ['w2', withdraw]],
        invariant: () => paid + accounts.balanceOf('acc1') === 100 || `paid out ${paid} from 100, balance ${accounts.balanceOf('acc1')}: a double spend`,
      };
    },
  };
}
