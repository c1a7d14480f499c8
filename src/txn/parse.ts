import { RacelabError } from '../core/errors.js';
import { readFile } from 'node:fs/promises';
import { messageOf } from '../core/errors.js';
import { EdnKeyword, EdnMap, EdnReadStopped, EdnSyntaxError, EdnTagged, ednToJson, readEdnForms, type EdnValue } from '../history/edn.js';
import type { EventType, History, HistoryEvent, HistoryOperation } from '../history/event.js';
import { pairOperations } from '../history/operations.js';
import { detectHistoryFormat, parseHistory, type HistoryFormat, type ReadHistoryOptions } from '../history/read.js';
import { isInvoke } from '../history/jepsen.js';
import { HistoryReadStopped } from '../history/stopped.js';
import { WORKLOADS, type MicroOp, type Scalar, type Txn, type TxnHistory, type Workload } from './types.js';

/**
 * Transactional histories from racelab JSON Lines or Jepsen EDN: the generic readers parse and pair the
 * events; this file turns each operation's value into micro-ops and checks they fit the workload, naming the
 * line of the first one that does not. EDN keywords arrive as their names (`:append` → "append").
 */

const OPS_FOR: Record<Workload, readonly string[]> = { 'list-append': ['append', 'r'], 'rw-register': ['w', 'r'] };
const EXAMPLE: Record<Workload, string> = {
  'list-append': '[["append","x",3],["r","y",[1,2]]]',
  'rw-register': '[["w","x",3],["r","y",2]]',
};

const isScalar = (v: unknown): v is Scalar => (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string';

function where(op: HistoryOperation, useCompletion: boolean): string {
  const line = useCompletion ? (op.completeLine ?? op.invokeLine) : op.invokeLine;
  return line !== undefined ? `line ${line}` : `operation ${op.id + 1}`;
}

function badOp(op: HistoryOperation, useCompletion: boolean, workload: Workload, message: string): RacelabError {
  return new RacelabError('BAD_HISTORY', `${where(op, useCompletion)}: ${message}; a ${workload} transaction's value is a list of micro-ops like ${EXAMPLE[workload]}`);
}

function microOps(value: unknown, op: HistoryOperation, useCompletion: boolean, workload: Workload): MicroOp[] {
  if (!Array.isArray(value)) throw badOp(op, useCompletion, workload, `the value is ${JSON.stringify(value)}, not a list of micro-ops`);
  return value.map((m: unknown, i): MicroOp => {
    const at = `micro-op ${i + 1}`;
    if (!Array.isArray(m) || m.length !== 3) throw badOp(op, useCompletion, workload, `${at} is ${JSON.stringify(m)}, not [f, key, value]`);
    const [f, key, v] = m as [unknown, unknown, unknown];
    if (typeof f !== 'string' || !OPS_FOR[workload].includes(f)) {
      throw badOp(op, useCompletion, workload, `${at} is ${JSON.stringify(f)}, not one of the workload's micro-ops (${OPS_FOR[workload].join(', ')})`);
    }
    if (!isScalar(key)) throw badOp(op, useCompletion, workload, `${at}'s key ${JSON.stringify(key)} is not a number or string`);
    if (f === 'r') {
      if (v === null) return { f, key, value: null };
      if (workload === 'list-append') {
        if (!Array.isArray(v) || !v.every(isScalar)) throw badOp(op, useCompletion, workload, `${at} reads ${JSON.stringify(v)}; a list-append read is a list of values or nil`);
        return { f, key, value: v };
      }
      if (!isScalar(v)) throw badOp(op, useCompletion, workload, `${at} reads ${JSON.stringify(v)}; a register read is one number or string, or nil`);
      return { f, key, value: v };
    }
    if (!isScalar(v)) throw badOp(op, useCompletion, workload, `${at} writes ${JSON.stringify(v)}; write a number or string`);
    return { f: f as 'append' | 'w', key, value: v };
  });
}

/** Pairs a generic history and reads its transactions; throws BAD_HISTORY naming the line of a bad one. */
export function toTxnHistory(history: History, workload: Workload): TxnHistory {
  const paired = pairOperations(history);
  const txns: Txn[] = paired.operations.map((op) => {
    const invoked = microOps(op.invokeValue, op, false, workload);
    let ops = invoked;
    if (op.status === 'ok' && op.completeValue !== null && op.completeValue !== undefined) {
      ops = microOps(op.completeValue, op, true, workload);
      if (ops.length !== invoked.length || ops.some((m, i) => m.f !== invoked[i]!.f || m.key !== invoked[i]!.key)) {
        throw badOp(op, true, workload, `the completion's micro-ops do not match the invocation's (${JSON.stringify(op.invokeValue)}); an ok completion repeats them with the reads filled in`);
      }
    }
    return {
      index: op.id,
      process: op.process,
      status: op.status,
      ops,
      call: op.call,
      ret: op.return,
      ...(op.invokeLine !== undefined ? { invokeLine: op.invokeLine } : {}),
      ...(op.completeLine !== undefined ? { completeLine: op.completeLine } : {}),
    };
  });
  return { workload, txns, timeUnit: paired.timeUnit };
}

/**
 * Jepsen EDN as Elle's own test histories are written: besides full op maps, maps without `:process` (one
 * client, as Elle's `paper-example.edn`) or without `:f` (a transaction). The generic reader requires both,
 * as a linearizability history must have them; here the defaults are Elle's. The nemesis is left out.
 */
export function parseTxnEdn(text: string, stop?: () => boolean): HistoryEvent[] {
  let forms;
  try {
    forms = readEdnForms(text, stop);
  } catch (e) {
    if (e instanceof EdnSyntaxError) throw new RacelabError('BAD_HISTORY', `line ${e.line}: malformed EDN: ${e.message}`);
    // The operations read so far: their invokes, counted as the generic EDN reader counts them.
    if (e instanceof EdnReadStopped) throw new HistoryReadStopped('', e.forms.filter((f) => isInvoke(f.value)).length);
    throw e;
  }
  const events: HistoryEvent[] = [];
  const take = (value: EdnValue, line: number): void => {
    const map = value instanceof EdnTagged ? value.value : value;
    if (!(map instanceof EdnMap)) throw new RacelabError('BAD_HISTORY', `line ${line}: expected an operation map like {:type :ok, :f :txn, :value [[:append 1 2] [:r 3 [1 2]]]}`);
    const process = map.get('process');
    if (process instanceof EdnKeyword) return; // :nemesis
    const type = map.get('type');
    if (!(type instanceof EdnKeyword) || !['invoke', 'ok', 'fail', 'info'].includes(type.name)) {
      throw new RacelabError('BAD_HISTORY', `line ${line}: :type must be one of :invoke, :ok, :fail, :info`);
    }
    const f = map.get('f');
    events.push({
      type: type.name as EventType,
      process: typeof process === 'number' || typeof process === 'string' ? process : 'nil',
      f: f instanceof EdnKeyword ? f.name : typeof f === 'string' ? f : 'txn',
      value: ednToJson(map.get('value') ?? null),
      line,
    });
  };
  for (const form of forms) {
    if (Array.isArray(form.value)) for (const item of form.value) take(item, form.line);
    else take(form.value, form.line);
  }
  if (events.length === 0) throw new RacelabError('BAD_HISTORY', 'no operations in it (read as EDN)');
  return events;
}

/**
 * Reads a transactional history file (racelab JSON Lines or Jepsen EDN); errors name file and line. `stop`, asked
 * as the text is parsed (see ReadHistoryOptions), ends the read with `HistoryReadStopped`: how `txn check` holds
 * reading to its budget and to Ctrl+C.
 */
export async function readTxnHistoryFile(path: string, workload: Workload, format: HistoryFormat | 'auto' = 'auto', options: ReadHistoryOptions = {}): Promise<TxnHistory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : messageOf(e);
    throw new RacelabError('BAD_HISTORY', `${path}: ${why}; give the path of a transactional history (JSON Lines or EDN)`);
  }
  try {
    const chosen = format === 'auto' ? detectHistoryFormat(text, path) : format;
    const events = chosen === 'edn' ? parseTxnEdn(text, options.stop) : parseHistory(text, chosen ?? 'auto', path, options).events;
    if (options.stop?.()) throw new HistoryReadStopped(path, events.filter((e) => e.type === 'invoke').length);
    return toTxnHistory(events, workload);
  } catch (e) {
    if (e instanceof HistoryReadStopped) throw e.path === path ? e : new HistoryReadStopped(path, e.operations);
    if (e instanceof RacelabError && e.code === 'BAD_HISTORY' && !e.message.startsWith(path)) throw new RacelabError('BAD_HISTORY', `${path} ${e.message}`);
    throw e;
  }
}

/** A transaction's name in explanations: the line of its completion (or invocation), else its position. */
export function txnLabel(t: Txn): string {
  const line = t.completeLine ?? t.invokeLine;
  return line !== undefined ? `T@${line}` : `T${t.index + 1}`;
}

const show = (v: unknown): string => (v === null ? 'nil' : Array.isArray(v) ? `[${v.map((x) => String(x)).join(' ')}]` : String(v));

/** Micro-ops in Elle's notation: `append x 3, r y [1 2]`. */
export function describeOps(ops: readonly MicroOp[]): string {
  return ops.map((m) => `${m.f} ${String(m.key)} ${show(m.value)}`).join(', ');
}

export { show as showValue };

/** A workload name from the user; BAD_OPTION naming the choices otherwise. */
export function parseTxnWorkload(text: string, what = 'workload'): Workload {
  if ((WORKLOADS as readonly string[]).includes(text)) return text as Workload;
  throw new RacelabError('BAD_OPTION', `${what}: "${text}" is not a transactional workload; use ${WORKLOADS.join(' or ')}`);
}
