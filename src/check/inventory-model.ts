import { hashValue, initialCounts, showValue, type Model, type OperationCall } from './model.js';

/**
 * Stock per SKU: `reserve {sku, quantity}`, ok value the stock left after it (legal only if the stock covered
 * the quantity); `stock {sku}`, ok value the stock. A refused reserve (`fail`) changed nothing. The stock starts
 * unknown and is learned from the first read or reservation.
 */
export type InventoryInput = { readonly kind: 'reserve'; readonly sku: string; readonly quantity: number } | { readonly kind: 'stock'; readonly sku: string };

export interface InventoryState {
  /** Stock per SKU: known, or unknown less the units reserved since. */
  readonly stock: Readonly<Record<string, { readonly known: number } | { readonly unknownMinus: number }>>;
}

function field(v: unknown, name: string, f: string, type: 'string' | 'number'): unknown {
  const x = v && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
  if (typeof x !== type) throw new Error(`${f} needs ${name} (a ${type}), not ${showValue(v)}`);
  return x;
}

export function decodeInventoryOperation(op: OperationCall): { input: InventoryInput; output: number | undefined } {
  const raw = op.completeValue;
  const output = raw === undefined || raw === null ? undefined : Number(raw);
  if (output !== undefined && !Number.isFinite(output)) throw new Error(`${op.f} returned ${showValue(raw)}; an inventory ${op.f} returns a number`);
  const sku = field(op.invokeValue, 'sku', op.f, 'string') as string;
  if (op.f === 'reserve') return { input: { kind: 'reserve', sku, quantity: field(op.invokeValue, 'quantity', op.f, 'number') as number }, output };
  if (op.f === 'stock') return { input: { kind: 'stock', sku }, output };
  throw new Error(`the inventory model has no operation "${op.f}"; it knows reserve and stock`);
}

export function inventoryModel(): Model<InventoryState, InventoryInput, number> {
  return {
    name: 'inventory',
    init: () => ({ stock: {} }),
    // The start already knows nothing (every stock learned from the first read): it is the unknown state.
    unknownState: () => ({ stock: {} }),
    // `{"stock": {"widget": 10}}`: SKUs absent stay unknown.
    initialState: (value) => ({
      stock: Object.fromEntries(Object.entries(initialCounts(value, 'stock', '{"stock": {"widget": 10}}')).map(([k, n]) => [k, { known: n }])),
    }),
    decode: decodeInventoryOperation,
    step(state, input, out) {
      const s = state.stock[input.sku] ?? { unknownMinus: 0 };
      const next = (v: { known: number } | { unknownMinus: number }): InventoryState => ({ stock: { ...state.stock, [input.sku]: v } });
      if (input.kind === 'stock') {
        if (out === undefined) return [true, state];
        if ('known' in s) return [s.known === out, state];
        return [out >= 0, next({ known: out })];
      }
      if ('known' in s && (s.known < input.quantity || (out !== undefined && out !== s.known - input.quantity))) return [false, state];
      if (out !== undefined && out < 0) return [false, state];
      return [true, next(out !== undefined ? { known: out } : 'known' in s ? { known: s.known - input.quantity } : { unknownMinus: s.unknownMinus + input.quantity })];
    },
    readOnly: (input) => input.kind === 'stock',
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    hash: (s) => hashValue(JSON.stringify(s)),
    describeOperation: (input, out) => (input.kind === 'reserve' ? `reserve ${input.quantity} ${input.sku}` : `stock of ${input.sku}`) + (out === undefined ? '' : ` → ${out} left`),
    describeState: (s) =>
      Object.entries(s.stock)
        .map(([sku, v]) => `${sku}: ${'known' in v ? v.known : v.unknownMinus ? `unknown - ${v.unknownMinus}` : 'unknown'} in stock`)
        .join(', ') || 'nothing known',
  };
}
