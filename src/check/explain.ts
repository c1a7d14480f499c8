import type { TimeUnit } from '../history/event.js';
import type { OperationView } from './check-report.js';
import { plural } from '../core/units.js';
import type { WindowCut } from './window.js';

/** Words for an operation's span on the history's time axis. */
export function describeSpan(op: OperationView, timeUnit: TimeUnit, origin: number): string {
  if (timeUnit === 'us') {
    const ms = (t: number): string => `${((t - origin) / 1000).toFixed(3)}ms`;
    return op.return === null ? `invoked at ${ms(op.call)}, no response` : `${ms(op.call)}–${ms(op.return)}`;
  }
  if (op.line !== undefined) return op.return === null ? `invoked on line ${op.line}, no response` : `from line ${op.line}`;
  return op.return === null ? `invoked as event ${op.call + 1}, no response` : `events ${op.call + 1}–${op.return + 1}`;
}

export function describeOperationView(op: OperationView): string {
  const status = op.status === 'info' ? ' (outcome unknown)' : op.status === 'fail' ? ' (failed)' : '';
  return `process ${op.process}'s ${op.description}${status}`;
}

function list(items: readonly string[], max = 12): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max - 2).join(', ')}, … (${items.length - max + 2} more), ${items.slice(-2).join(', ')}`;
}

function orList(items: readonly string[], max = 3): string {
  if (items.length <= 1) return items.join('');
  if (items.length > max) return `${items.slice(0, max).join(', ')} or ${plural(items.length - max, 'other state')}`;
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function someOf(items: readonly string[], max: number): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

const SEARCH_STOPPED: Readonly<Record<Exclude<WindowCut, 'size'>, string>> = {
  budget: 'the budget ran out',
  steps: 'it ran out of its steps',
  interrupt: 'the check was interrupted',
};

/** Why a failing window is not as small as it could be, as the clause after "not made as small as possible:". */
export function notMinimizedReason(cut: WindowCut): string {
  switch (cut) {
    case 'steps':
      return 'a smaller window could not be decided within its steps';
    case 'size':
      return 'it has too many operations to try removing them one by one';
    default:
      return SEARCH_STOPPED[cut];
  }
}

export interface WindowWords {
  readonly partition: string | null;
  readonly from: 'initial' | 'unknown';
  readonly initialState: string;
  readonly essential: readonly OperationView[];
  readonly relaxed: readonly OperationView[];
  readonly order: readonly OperationView[];
  readonly finalState: string;
  readonly stopsAt: OperationView | undefined;
  readonly refusedIn: readonly string[];
  readonly minimized: boolean;
  /** Why the window is not as small as it could be (with `minimized` false). */
  readonly notMinimizedBecause?: WindowCut;
  /** False when the window's own search was cut short (`longestCut` says how): its order is the longest found. */
  readonly longestComplete?: boolean;
  readonly longestCut?: Exclude<WindowCut, 'size'>;
  /** Operations that returned before the window starts. */
  readonly before: number;
  readonly timeUnit: TimeUnit;
  readonly origin: number;
}

/** Operation lines listed in an explanation; a window that could not be minimized is summarized past them. */
const MAX_LISTED = 40;

/**
 * For each operation, the operations that returned before it was invoked and are not implied by another one
 * (p is implied when some q was invoked after p returned and itself returned before the operation's call).
 * With M = the latest call among operations that returned before op's call, p is direct exactly when
 * M <= p.return < op.call: one sort by return, a running maximum of calls and a binary search per operation,
 * O(n log n) instead of the cubic pairwise test (a 150,000-operation window took longer than any budget).
 */
function directPredecessors(ops: readonly OperationView[]): (k: number, max: number) => { count: number; some: OperationView[] } {
  const done = ops.filter((p) => p.return !== null).sort((a, b) => a.return! - b.return!);
  const maxCall: number[] = [];
  done.forEach((p, i) => maxCall.push(Math.max(i > 0 ? maxCall[i - 1]! : -Infinity, p.call)));
  /** Number of operations in `done` that returned strictly before t. */
  const returnedBefore = (t: number): number => {
    let lo = 0;
    let hi = done.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (done[mid]!.return! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const position = new Map(ops.map((p, k) => [p.id, k]));
  /** The direct predecessors of operation k: how many, and (in the window's order) at most `max` of them. */
  return (k, max) => {
    const op = ops[k]!;
    const n = returnedBefore(op.call);
    if (n === 0) return { count: 0, some: [] };
    const first = returnedBefore(maxCall[n - 1]!);
    const some = done.slice(Math.max(first, n - max), n).sort((a, b) => position.get(a.id)! - position.get(b.id)!);
    return { count: n - first, some };
  };
}

/** The smallest failing window, explained: what happened, in what real-time order, and where no order fits. */
export function explainWindow(w: WindowWords): string[] {
  const label = new Map<number, string>(w.essential.map((op, k) => [op.id, `[${k + 1}]`]));
  const name = (op: OperationView): string => (label.has(op.id) ? `${label.get(op.id)} ${op.description}` : describeOperationView(op));
  const where = w.partition !== null ? ` on key ${w.partition}` : '';
  const lines: string[] = [];
  const start =
    w.from === 'unknown'
      ? 'whatever state the object was in when the first of them was invoked'
      : `starting from the initial state (${w.initialState})`;
  lines.push(`${w.essential.length === 1 ? 'This operation' : `These ${w.essential.length} operations`}${where} cannot be linearized, ${start}:`);
  const direct = directPredecessors(w.essential);
  const shown = w.essential.length <= MAX_LISTED ? w.essential.length : MAX_LISTED - 1;
  for (let k = 0; k < shown; k++) {
    const op = w.essential[k]!;
    const preds = direct(k, 4);
    const named = preds.count > 4 ? `${preds.some.slice(-3).map((p) => label.get(p.id)).join(', ')} and ${preds.count - 3} others` : preds.some.map((p) => label.get(p.id)).join(', ');
    const after = preds.count > 0 ? `; invoked after ${named} returned` : '';
    const at = op.line !== undefined && w.timeUnit === 'us' ? ` (line ${op.line})` : '';
    lines.push(`  [${k + 1}] process ${op.process}: ${op.description}, ${describeSpan(op, w.timeUnit, w.origin)}${at}${after}`);
  }
  if (shown < w.essential.length) {
    const last = w.essential[w.essential.length - 1]!;
    lines.push(`  … ${w.essential.length - shown - 1} more (the report's window.operations lists them all)`);
    lines.push(`  [${w.essential.length}] process ${last.process}: ${last.description}, ${describeSpan(last, w.timeUnit, w.origin)}`);
  }
  if (w.from === 'unknown' && w.before > 0) {
    lines.push(
      `The ${plural(w.before, 'earlier operation')}${where} returned before [1] was invoked, so whatever ${w.before === 1 ? 'it' : 'they'} did took effect before the window and cannot change this.`,
    );
  }
  if (w.relaxed.length > 0) {
    lines.push(
      `${plural(w.relaxed.length, 'more operation')} in this span ${w.relaxed.length === 1 ? 'is' : 'are'} not needed: the proof holds whether or not ${w.relaxed.length === 1 ? 'it' : 'they'} took effect (${someOf(w.relaxed.map(describeOperationView), 4)}).`,
    );
  }
  if (w.longestComplete === false) {
    const stop = SEARCH_STOPPED[w.longestCut ?? 'steps'];
    lines.push(
      w.order.length === 0
        ? `The search for the longest order that respects real time and the model stopped before it placed any operation: ${stop}.`
        : `The longest order found before the search stopped (${stop}; there may be a longer one): ${list(w.order.map(name))}; then ${w.finalState}.`,
    );
  } else {
    const orderText = w.order.length === 0 ? 'none of them can take effect first' : `${list(w.order.map(name))}; then ${w.finalState}`;
    lines.push(`The longest order that respects real time and the model: ${orderText}.`);
  }
  // The state the order above ends in first: it is the one the reader has just been told about.
  const refused = [...w.refusedIn].sort((a, b) => Number(b === w.finalState) - Number(a === w.finalState));
  if (w.stopsAt && w.longestComplete !== false) {
    const next = `Then ${name(w.stopsAt)} has to take effect (its response was seen)`;
    if (w.refusedIn.length > 0) lines.push(`${next}, but it does not fit: ${w.stopsAt.description} is impossible when ${orList(refused)}.`);
    else lines.push(`${next}, but wherever it is placed another response in the window is left unexplained.`);
  }
  if (!w.minimized) lines.push(`(Not made as small as possible: ${notMinimizedReason(w.notMinimizedBecause ?? 'budget')}. It is still a proof.)`);
  return lines;
}
