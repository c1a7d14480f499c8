import { RacelabError } from '../core/errors.js';
import type { HistoryOperation } from '../history/event.js';
import type { CompleteModel } from './model.js';
import type { SearchOp } from './search-events.js';

/**
 * A history operation decoded by the model; it is also the search's operation (its call and return), so a large
 * history is not copied again for the search.
 */
export interface PreparedOperation<I = unknown, O = unknown> extends SearchOp<I, O> {
  readonly op: HistoryOperation;
  readonly input: I;
  readonly output: O | undefined;
  /** True for `ok`: it took effect between call and return. False: unknown outcome (`info`). */
  readonly known: boolean;
}

export interface Partition<I = unknown, O = unknown> {
  /** The model's partition key; undefined when the model does not partition. */
  readonly key: string | undefined;
  /** In call order. */
  readonly ops: ReadonlyArray<PreparedOperation<I, O>>;
}

export interface Prepared<I = unknown, O = unknown> {
  readonly partitions: ReadonlyArray<Partition<I, O>>;
  /** Every operation decoded, by history id (failed ones too, for the report). */
  readonly decoded: ReadonlyArray<{ input: I; output: O | undefined }>;
  /** Failed operations had no effect; unseen reads constrain nothing: neither is searched. */
  readonly dropped: { readonly failed: number; readonly unseenReads: number };
}

function where(op: HistoryOperation, line: number | undefined): string {
  return line !== undefined ? `line ${line}` : `operation ${op.id + 1} (process ${op.process})`;
}

/**
 * Decodes every operation with the model (a shape it does not know is an error naming the line), drops what
 * cannot matter, and splits the rest into the model's partitions.
 */
export function prepareOperations<S, I, O>(model: CompleteModel<S, I, O>, operations: readonly HistoryOperation[]): Prepared<I, O> {
  const byKey = new Map<string | undefined, Array<PreparedOperation<I, O>>>();
  const decoded: Array<{ input: I; output: O | undefined }> = [];
  let failed = 0;
  let unseenReads = 0;
  for (const op of operations) {
    let d: { input: I; output: O | undefined };
    try {
      // Decode the invocation alone first, so an error about the response names the response's line.
      model.decode({ f: op.f, invokeValue: op.invokeValue, completeValue: undefined });
    } catch (e) {
      throw new RacelabError('BAD_HISTORY', `${where(op, op.invokeLine)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      d = model.decode({ f: op.f, invokeValue: op.invokeValue, completeValue: op.status === 'ok' ? op.completeValue : undefined });
    } catch (e) {
      throw new RacelabError('BAD_HISTORY', `${where(op, op.completeLine ?? op.invokeLine)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    decoded.push(d);
    if (op.status === 'fail') {
      failed++;
      continue;
    }
    const known = op.status === 'ok';
    if (!known && model.readOnly(d.input)) {
      unseenReads++;
      continue;
    }
    const key = model.partitionKey ? model.partitionKey(d.input) : undefined;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push({ op, input: d.input, output: known ? d.output : undefined, known, call: op.call, ret: op.return });
  }
  const partitions = [...byKey.entries()].map(([key, ops]) => ({ key, ops }));
  return { partitions, decoded, dropped: { failed, unseenReads } };
}
