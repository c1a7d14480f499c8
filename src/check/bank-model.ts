import { hashValue, initialCount, initialCounts, showValue, type Model, type OperationCall } from './model.js';

/**
 * A bank: accounts with balances. Operations, as racelab's bank scenario records them:
 * - `withdraw {account, amount}`, ok value the balance after (or null): legal only if the balance covers it;
 * - `transfer {from, to, amount}`, ok value the payer's balance after: the same check, and the payee gains it;
 * - `balance {account}`, ok value the balance; `audit`, ok value the total of every account.
 * A refused operation (recorded as `fail`) changed nothing. Balances and the total start unknown and are
 * learned from the first read, so a history that begins mid-life (an attack's `before` audit) is checkable:
 * "some unknown balance, less 3" is a state of its own until a read pins it.
 */
export type BankInput =
  | { readonly kind: 'withdraw'; readonly account: string; readonly amount: number }
  | { readonly kind: 'transfer'; readonly from: string; readonly to: string; readonly amount: number }
  | { readonly kind: 'balance'; readonly account: string }
  | { readonly kind: 'audit' };

/** A known amount, or an unknown one plus a known change. */
export type Amount = { readonly known: number } | { readonly unknownPlus: number };

export interface BankState {
  readonly total: Amount;
  readonly balances: Readonly<Record<string, Amount>>;
}

const UNKNOWN: Amount = { unknownPlus: 0 };

function add(a: Amount, n: number): Amount {
  return 'known' in a ? { known: a.known + n } : { unknownPlus: a.unknownPlus + n };
}

function showAmount(a: Amount): string {
  if ('known' in a) return String(a.known);
  return a.unknownPlus === 0 ? 'unknown' : `unknown ${a.unknownPlus > 0 ? '+' : '-'} ${Math.abs(a.unknownPlus)}`;
}

function field(v: unknown, name: string, type: 'string' | 'number', f: string): never | string | number {
  const x = v && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
  // int64 fields arrive as numeric strings in proto3 JSON.
  const value = type === 'number' && typeof x === 'string' && /^-?\d+$/.test(x) ? Number(x) : x;
  if (typeof value !== type) throw new Error(`${f} needs ${name} (a ${type}), not ${showValue(v)}`);
  return value as string | number;
}

function output(op: OperationCall): number | undefined {
  const v = op.completeValue;
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number') throw new Error(`${op.f} returned ${showValue(v)}; a bank ${op.f} returns a number`);
  return n;
}

export function decodeBankOperation(op: OperationCall): { input: BankInput; output: number | undefined } {
  const v = op.invokeValue;
  switch (op.f) {
    case 'withdraw':
      return { input: { kind: 'withdraw', account: field(v, 'account', 'string', op.f) as string, amount: field(v, 'amount', 'number', op.f) as number }, output: output(op) };
    case 'transfer':
      return {
        input: { kind: 'transfer', from: field(v, 'from', 'string', op.f) as string, to: field(v, 'to', 'string', op.f) as string, amount: field(v, 'amount', 'number', op.f) as number },
        output: output(op),
      };
    case 'balance':
      return { input: { kind: 'balance', account: field(v, 'account', 'string', op.f) as string }, output: output(op) };
    case 'audit':
      return { input: { kind: 'audit' }, output: output(op) };
    default:
      throw new Error(`the bank model has no operation "${op.f}"; it knows withdraw, transfer, balance and audit`);
  }
}

/** Debits `account`: legal only if a known balance covers it; a seen result pins the balance. */
function debit(state: BankState, account: string, amount: number, seen: number | undefined): [boolean, Readonly<Record<string, Amount>>] {
  const before = state.balances[account] ?? UNKNOWN;
  if ('known' in before && before.known < amount) return [false, state.balances];
  if (seen !== undefined && seen < 0) return [false, state.balances];
  if ('known' in before && seen !== undefined && seen !== before.known - amount) return [false, state.balances];
  const after: Amount = seen !== undefined ? { known: seen } : add(before, -amount);
  return [true, { ...state.balances, [account]: after }];
}

function observe(a: Amount, seen: number | undefined): [boolean, Amount] {
  if (seen === undefined) return [true, a];
  if ('known' in a) return [a.known === seen, a];
  return [true, { known: seen }];
}

export function bankModel(): Model<BankState, BankInput, number> {
  return {
    name: 'bank',
    init: () => ({ total: UNKNOWN, balances: {} }),
    // The start already knows nothing (every balance and the total learned from reads): it is the unknown state.
    unknownState: () => ({ total: UNKNOWN, balances: {} }),
    // `{"total": 200000, "balances": {"alice": 100000}}`: what is absent stays unknown.
    initialState(value) {
      const example = '{"total": 200000, "balances": {"alice": 100000}}';
      const total = initialCount(value, 'total', example);
      const balances = Object.fromEntries(Object.entries(initialCounts(value, 'balances', example)).map(([k, n]) => [k, { known: n }]));
      return { total: total === undefined ? UNKNOWN : { known: total }, balances };
    },
    decode: decodeBankOperation,
    step(state, input, out) {
      switch (input.kind) {
        case 'withdraw': {
          const [legal, balances] = debit(state, input.account, input.amount, out);
          return [legal, legal ? { total: add(state.total, -input.amount), balances } : state];
        }
        case 'transfer': {
          const [legal, balances] = debit(state, input.from, input.amount, out);
          if (!legal) return [false, state];
          return [true, { total: state.total, balances: { ...balances, [input.to]: add(balances[input.to] ?? UNKNOWN, input.amount) } }];
        }
        case 'balance': {
          const [legal, a] = observe(state.balances[input.account] ?? UNKNOWN, out);
          return [legal, legal ? { total: state.total, balances: { ...state.balances, [input.account]: a } } : state];
        }
        case 'audit': {
          const [legal, total] = observe(state.total, out);
          return [legal, legal ? { total, balances: state.balances } : state];
        }
      }
    },
    readOnly: (input) => input.kind === 'balance' || input.kind === 'audit',
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    hash: (s) => hashValue(JSON.stringify(s)),
    describeOperation(input, out) {
      const result = out === undefined ? '' : ` → ${out}`;
      switch (input.kind) {
        case 'withdraw':
          return `withdraw ${input.amount} from ${input.account}${result}`;
        case 'transfer':
          return `transfer ${input.amount} from ${input.from} to ${input.to}${result}`;
        case 'balance':
          return `balance(${input.account})${result}`;
        case 'audit':
          return `audit total${result}`;
      }
    },
    describeState: (s) =>
      `total ${showAmount(s.total)}${Object.keys(s.balances).length ? `; ${Object.entries(s.balances).map(([k, a]) => `${k} ${showAmount(a)}`).join(', ')}` : ''}`,
  };
}
