import { status } from '../../grpc/status.js';
import { grpcError, scenarioVariant, type HostPorts, type HostedService, type ImpactScenario, wholeOf } from '../impacts/scenario.js';
import { OPENING_BALANCES, balanceKey, bankVariants, openBankAccounts, type BankResult } from './variants.js';
import { bankWorkload } from './workload.js';

/**
 * Opening balances of a served bank: large enough that the attack's default rounds (each spending 2 x --count
 * units from alice) never run her dry, so a fixed variant is judged on accepted calls, not on refusals.
 */
export const SERVED_OPENING_BALANCES: Readonly<Record<string, number>> = { alice: 100_000, bob: 100_000 };

const SERVICE = 'racelab.bank.v1.Bank';
/** The amount of each default Withdraw and Transfer of the attack and the demo. */
const WITHDRAW_AMOUNT = 1;

const STATUS_OF: Record<Exclude<BankResult, { accepted: true }>['reason'], number> = {
  'insufficient-funds': status.FAILED_PRECONDITION,
  'unknown-account': status.NOT_FOUND,
  'bad-amount': status.INVALID_ARGUMENT,
  'same-account': status.INVALID_ARGUMENT,
};

function reply(r: BankResult): { balance: number } {
  if (!r.accepted) throw grpcError(STATUS_OF[r.reason], r.message);
  return { balance: r.balance };
}

interface TransferRequest {
  from: string;
  to: string;
  amount: number;
}
interface AccountRequest {
  account: string;
  amount?: number;
}

export const bankScenario: ImpactScenario = {
  name: 'bank',
  title: 'bank: Transfer and Withdraw racing on one balance (double spend, negative balance, money created)',
  invariant: 'the total is the opening total less what was withdrawn (a transfer never makes or destroys money), and no balance goes below zero',
  protoFile: 'bank.proto',
  service: SERVICE,
  variants: bankVariants,
  model: 'bank',
  open: (store) => openBankAccounts(store, SERVED_OPENING_BALANCES),
  host(variantName: string, ports: HostPorts): HostedService {
    const svc = scenarioVariant('bank', bankVariants, variantName).make({ ...ports, accounts: Object.keys(SERVED_OPENING_BALANCES) });
    return {
      handlers: {
        Transfer: async (req: TransferRequest) => reply(await svc.transfer(req.from, req.to, req.amount)),
        Withdraw: async (req: AccountRequest) => reply(await svc.withdraw(req.account, req.amount ?? 0)),
        Balance: async (req: AccountRequest) => {
          if (!(req.account in SERVED_OPENING_BALANCES)) throw grpcError(status.NOT_FOUND, `no account "${req.account}"; accounts: ${Object.keys(SERVED_OPENING_BALANCES).join(', ')}`);
          return { balance: await svc.balance(req.account) };
        },
        Audit: async () => {
          const a = await svc.audit();
          return { total: a.total, minimum: a.minimum, accounts: a.accounts };
        },
      },
      stats: svc.stats,
      close: () => svc.close(),
    };
  },
  workload: (o) => bankWorkload(o),
  impact(before, after, accepted) {
    const b = before as { total: number };
    const a = after as { total: number; minimum: number };
    const withdrawn = (accepted.Withdraw ?? 0) * WITHDRAW_AMOUNT;
    const expected = b.total - withdrawn;
    const created = a.total - expected;
    const detail = `total ${b.total} before, ${withdrawn} withdrawn by ${accepted.Withdraw ?? 0} accepted Withdraw, ${accepted.Transfer ?? 0} accepted Transfer: expected ${expected}, the bank holds ${a.total}${a.minimum < 0 ? `, lowest balance ${a.minimum}` : ''}`;
    return { violated: created !== 0 || a.minimum < 0, amount: Math.abs(created), unit: created < 0 ? 'money destroyed' : 'money created', detail };
  },
  attack: {
    name: 'bank',
    description: 'the bank: every accepted Withdraw takes its amount out of the total, a Transfer moves money without making any, and no balance goes below zero',
    calls: [`${SERVICE}/Withdraw`, `${SERVICE}/Transfer`],
    callData: {
      [`${SERVICE}/Withdraw`]: { account: 'alice', amount: WITHDRAW_AMOUNT },
      [`${SERVICE}/Transfer`]: { from: 'alice', to: 'bob', amount: WITHDRAW_AMOUNT },
    },
    before: `${SERVICE}/Audit`,
    after: `${SERVICE}/Audit`,
    invariant: 'after.total == before.total - by.Withdraw.ok && after.minimum >= 0',
    model: 'bank',
    historyOp(method, request, response) {
      const balance = (response as { balance?: unknown } | undefined)?.balance ?? null;
      if (method === 'Withdraw' || method === 'Transfer' || method === 'Balance') return { f: method.toLowerCase(), invokeValue: request ?? null, okValue: balance };
      if (method === 'Audit') return { f: 'audit', invokeValue: null, okValue: (response as { total?: unknown } | undefined)?.total ?? null };
      return undefined;
    },
    // The audit gives the total; every balance stays unknown until read.
    initialFrom: (response) => wholeOf((response as { total?: unknown } | undefined)?.total, (total) => ({ total })),
  },
};

export { OPENING_BALANCES, balanceKey };
