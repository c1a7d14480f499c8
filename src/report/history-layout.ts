import type { CheckReport, OperationView } from '../check/check-report.js';

/** The history page's geometry: lane labels' column, a lane's and a bar's height, the room above the lanes. */
export const LABEL_W = 120;
export const LANE_H = 38;
export const BAR_H = 22;
export const TOP = 34;

/**
 * Where a checked history goes on the page: which operations are drawn (those around what the verdict turns on),
 * the time scale, one lane per process, and what marks an operation carries (its place in the linearization,
 * whether the explanation needs it). The drawing (history-svg.ts) and the tables (history-details.ts) read it.
 */
export interface HistoryLayout {
  readonly ops: readonly OperationView[];
  readonly window: CheckReport['window'];
  /** The partition the page is about: the failing window's, the only one, or (undefined) the first that is not ok. */
  readonly focusPartition: string | null | undefined;
  readonly focusReport: CheckReport['partitionReports'][number] | undefined;
  /** The operation where the linearization breaks. */
  readonly blocked: number | undefined;
  readonly blockedOp: OperationView | undefined;
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
  readonly order: ReadonlyMap<number, number>;
  /** The operations of the smallest failing window. */
  readonly essential: ReadonlySet<number>;
  /** Operation id → its number in the explanation (`[k]`). */
  readonly textLabel: ReadonlyMap<number, string>;
  inFocus(o: OperationView): boolean;
  /** A time's x in the plot, measured from the plot's own edge. */
  x(t: number): number;
  /** The top of a process's lane. */
  laneY(p: string | number): number;
}

function compareProcess(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a.localeCompare(b);
}

/** The operations to draw: those overlapping a time range grown around the focus until `max` would be passed. */
function visibleRange(ops: readonly OperationView[], focus: { start: number; end: number }, max: number): { lo: number; hi: number; shown: OperationView[] } {
  const end = (o: OperationView): number => o.return ?? Infinity;
  const within = (lo: number, hi: number): OperationView[] => ops.filter((o) => o.call <= hi && end(o) >= lo);
  const span = Math.max(1, focus.end - focus.start);
  let shown = within(focus.start, focus.end);
  let good = 0;
  let bad = -1;
  // Double the margin around the focus while the operations still fit, then bisect to fill up to `max`.
  for (let grow = span / 2; grow < 1e15; grow *= 2) {
    const next = within(focus.start - grow, focus.end + grow);
    if (next.length > max) {
      bad = grow;
      break;
    }
    good = grow;
    shown = next;
    if (next.length === ops.length) break;
  }
  for (let i = 0; bad > 0 && i < 30; i++) {
    const mid = (good + bad) / 2;
    const next = within(focus.start - mid, focus.end + mid);
    if (next.length > max) bad = mid;
    else {
      good = mid;
      shown = next;
    }
  }
  const lo = focus.start - good;
  const hi = focus.end + good;
  if (shown.length > max) shown = shown.slice(0, max);
  return { lo, hi, shown };
}

/** Lays out at most `max` operations of `report` around its failing window (or where the search stopped, or the start). */
export function layoutHistory(report: CheckReport, max: number): HistoryLayout {
  const ops = report.timeline;
  const window = report.window;
  const focusPartition = window ? window.partition : report.partitions === 1 ? (report.partitionReports[0]?.key ?? null) : undefined;
  const focusReport =
    focusPartition !== undefined
      ? report.partitionReports.find((p) => p.key === focusPartition)
      : report.partitionReports.find((p) => p.verdict !== 'ok');
  const inFocus = (o: OperationView): boolean => focusPartition === undefined || focusPartition === null || o.partition === focusPartition;
  const blocked = focusReport?.blockedBy;

  // A loop, not Math.min(...spread): spreading 150,000 operations into one call overflows the stack.
  const firstCall = ops.length > 0 ? ops.reduce((m, o) => Math.min(m, o.call), Infinity) : 0;
  const lastTime = ops.length > 0 ? ops.reduce((m, o) => Math.max(m, o.return ?? o.call), -Infinity) : 1;
  const blockedOp = blocked !== undefined ? ops[blocked] : undefined;
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

  const order = new Map<number, number>();
  (focusReport?.order ?? []).forEach((id, k) => order.set(id, k + 1));
  const essential = new Set(window?.operations ?? []);
  // With a failing window, bars carry the explanation's own numbers ([1]…[n]), so the text and the chart agree;
  // the linearization order (#k) stays in each bar's details.
  const textLabel = new Map((window?.operations ?? []).map((id, k) => [id, `[${k + 1}]`]));

  return {
    ops,
    window,
    focusPartition,
    focusReport,
    blocked,
    blockedOp,
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
    essential,
    textLabel,
    inFocus,
    x,
    laneY,
  };
}
