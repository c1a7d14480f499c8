import type { CheckReport, OperationView } from '../check/check-report.js';

/** The history page's geometry: lane labels' column, a lane's and a bar's height, the room above the lanes. */
export const LABEL_W = 120;
export const LANE_H = 38;
export const BAR_H = 22;
export const TOP = 34;

/**
 * What the page is about, apart from where anything is drawn: the partition in focus, its (longest partial)
 * linearization, the failing window and where the linearization breaks. Cheap on any history; the explanation
 * and the linearization table (history-details.ts) need only this, so a page without its chart still has them.
 */
export interface HistoryFocus {
  readonly ops: readonly OperationView[];
  readonly window: CheckReport['window'];
  /** The partition the page is about: the failing window's, the only one, or (undefined) the first that is not ok. */
  readonly focusPartition: string | null | undefined;
  readonly focusReport: CheckReport['partitionReports'][number] | undefined;
  /** The operation where the linearization breaks. */
  readonly blocked: number | undefined;
  readonly blockedOp: OperationView | undefined;
  /** The operations of the smallest failing window. */
  readonly essential: { has(id: number): boolean };
  /** Operation id → its number in the explanation (`[k]`). */
  readonly textLabel: { has(id: number): boolean; get(id: number): string | undefined };
}

/**
 * Where a checked history goes on the page: which operations are drawn (those around what the verdict turns on),
 * the time scale, one lane per process, and what marks an operation carries (its place in the linearization,
 * whether the explanation needs it). The drawing (history-svg.ts) and the tables (history-details.ts) read it.
 */
export interface HistoryLayout extends HistoryFocus {
  readonly firstCall: number;
  /** The operations drawn. */
  readonly shown: readonly OperationView[];
  /** The time range drawn. */
  readonly left: number;
  readonly right: number;
  /** A typical operation's duration: an open-ended bar is drawn this long. */
  readonly typical: number;
  readonly pxPerUnit: number;
  readonly plotW: number;
  readonly processes: ReadonlyArray<string | number>;
  readonly height: number;
  readonly width: number;
  /** Operation id → its 1-based place in the (longest partial) linearization. */
  readonly order: PlaceIndex;
  inFocus(o: OperationView): boolean;
  /** A time's x in the plot, measured from the plot's own edge. */
  x(t: number): number;
  /** The top of a process's lane. */
  laneY(p: string | number): number;
}

/**
 * Operation id → its 1-based place in a list of ids (a linearization, a window's operations). An array indexed by
 * id, not a Map: on a 150,000-operation history the page's three maps took a fifth of a second to fill, for a
 * chart that looks up 600 of them.
 */
export class PlaceIndex {
  private readonly place: Int32Array;

  constructor(ids: readonly number[], size: number) {
    let n = size;
    for (const id of ids) if (id >= n) n = id + 1;
    this.place = new Int32Array(n);
    ids.forEach((id, k) => (this.place[id] = k + 1));
  }

  get(id: number): number | undefined {
    const k = this.place[id] ?? 0;
    return k > 0 ? k : undefined;
  }

  has(id: number): boolean {
    return (this.place[id] ?? 0) > 0;
  }
}

function compareProcess(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a.localeCompare(b);
}

/**
 * The operations to draw: those overlapping a time range grown around the focus, by as much as it can be without
 * passing `max`. An operation enters the range once the margin reaches its distance from the focus, so the margin
 * is read off those distances, sorted: one pass and a sort, where growing the range and bisecting it filtered the
 * whole history some forty times (a third of a second on 150,000 operations, after the verdict).
 */
function visibleRange(ops: readonly OperationView[], focus: { start: number; end: number }, max: number): { lo: number; hi: number; shown: OperationView[] } {
  const distance = new Float64Array(ops.length);
  ops.forEach((o, i) => (distance[i] = Math.max(0, o.call - focus.end, focus.start - (o.return ?? Infinity))));
  const sorted = distance.slice().sort();
  let margin: number;
  if (ops.length <= max) margin = ops.length > 0 ? sorted[ops.length - 1]! : 0;
  else {
    // The widest margin that lets in at most `max`: below the distance of the first operation left out, and so
    // below every operation at that same distance. When even the focus holds more than `max`, its first `max`.
    const cut = sorted[max]!;
    let below = max - 1;
    while (below >= 0 && sorted[below] === cut) below--;
    margin = below >= 0 ? sorted[below]! : 0;
  }
  let shown = ops.filter((_, i) => distance[i]! <= margin);
  if (shown.length > max) shown = shown.slice(0, max);
  return { lo: focus.start - margin, hi: focus.end + margin, shown };
}

/** What the page is about (see HistoryFocus). */
export function focusOfHistory(report: CheckReport): HistoryFocus {
  const ops = report.timeline;
  const window = report.window;
  const focusPartition = window ? window.partition : report.partitions === 1 ? (report.partitionReports[0]?.key ?? null) : undefined;
  const focusReport =
    focusPartition !== undefined
      ? report.partitionReports.find((p) => p.key === focusPartition)
      : report.partitionReports.find((p) => p.verdict !== 'ok');
  const blocked = focusReport?.blockedBy;
  const essential = new PlaceIndex(window?.operations ?? [], ops.length);
  // With a failing window, bars carry the explanation's own numbers ([1]…[n]), so the text and the chart agree;
  // the linearization order (#k) stays in each bar's details.
  const textLabel = { has: (id: number): boolean => essential.has(id), get: (id: number): string | undefined => (essential.has(id) ? `[${essential.get(id)!}]` : undefined) };
  return { ops, window, focusPartition, focusReport, blocked, blockedOp: blocked !== undefined ? ops[blocked] : undefined, essential, textLabel };
}

/** Lays out at most `max` operations of `report` around its failing window (or where the search stopped, or the start). */
export function layoutHistory(report: CheckReport, max: number, focused: HistoryFocus = focusOfHistory(report)): HistoryLayout {
  const { ops, window, focusPartition, focusReport, blockedOp } = focused;
  const inFocus = (o: OperationView): boolean => focusPartition === undefined || focusPartition === null || o.partition === focusPartition;

  // A loop, not Math.min(...spread): spreading 150,000 operations into one call overflows the stack.
  const firstCall = ops.length > 0 ? ops.reduce((m, o) => Math.min(m, o.call), Infinity) : 0;
  const lastTime = ops.length > 0 ? ops.reduce((m, o) => Math.max(m, o.return ?? o.call), -Infinity) : 1;
  const focus = window
    ? { start: window.start, end: window.end }
    : blockedOp
      ? { start: blockedOp.call, end: blockedOp.return ?? blockedOp.call }
      : { start: firstCall, end: firstCall };
  const { lo: rangeLo, hi: rangeHi, shown } = visibleRange(ops, focus, max);
  const lo = Math.max(firstCall, rangeLo);
  const hi = Math.min(Math.max(lastTime, lo + 1), rangeHi);
  const left = Math.min(lo, ...shown.map((o) => o.call));
  const right = Math.max(hi, ...shown.map((o) => o.return ?? o.call), left + 1);

  // Scale so that a typical operation is wide enough to label, within a page that scrolls sideways.
  const durations = shown.filter((o) => o.return !== null).map((o) => o.return! - o.call).sort((a, b) => a - b);
  const typical = durations.length > 0 ? Math.max(durations[durations.length >> 1]!, (right - left) / 400) : right - left;
  // Wide enough for a typical label (`#12 put x=abc`), not only a fixed 90px: kv labels were cut to "pu…".
  const labelLengths = shown.map((o) => o.description.length + 5).sort((a, b) => a - b);
  const typicalLabelPx = Math.max(90, (labelLengths[labelLengths.length >> 1] ?? 10) * 6.6 + 14);
  const pxPerUnit = Math.min(12_000 / (right - left), Math.max(900 / (right - left), typicalLabelPx / Math.max(typical, 1e-9)));
  const plotW = Math.ceil((right - left) * pxPerUnit);
  // The plot scrolls sideways under a fixed column of lane labels, so x is measured from the plot's own edge.
  const x = (t: number): number => 10 + (Math.min(t, right) - left) * pxPerUnit;

  const processes = [...new Set(shown.map((o) => o.process))].sort(compareProcess);
  const lane = new Map(processes.map((p, i) => [p, i]));
  const laneY = (p: string | number): number => TOP + lane.get(p)! * LANE_H;
  const height = TOP + processes.length * LANE_H + 30;
  const width = 20 + plotW + 160; // room after the last bars for labels that do not fit inside them

  const order = new PlaceIndex(focusReport?.order ?? [], ops.length);

  return {
    ...focused,
    firstCall,
    shown,
    left,
    right,
    typical,
    pxPerUnit,
    plotW,
    processes,
    height,
    width,
    order,
    inFocus,
    x,
    laneY,
  };
}
