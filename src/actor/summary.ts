/**
 * A short rendering of a message for scheduling-point labels and traces: `increment`, `{set, 3}`,
 * `{op: charge, key: k7}`. Only built when a controlled scheduler (or a trace) will read it.
 */
export function summarizeMessage(message: unknown, max = 48): string {
  const s = render(message, 2);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function render(v: unknown, depth: number): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return v.toString();
    case 'function':
      return 'fn';
  }
  if (v === null) return 'null';
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (depth <= 0) return '…';
  if (Array.isArray(v)) return `{${v.map((x) => render(x, depth - 1)).join(', ')}}`;
  const proto = Object.getPrototypeOf(v) as object | null;
  // A class with its own toString (a Pid, an exit signal) knows how it wants to be shown.
  if (proto !== null && proto !== Object.prototype && (v as { toString: () => string }).toString !== Object.prototype.toString) {
    return String(v);
  }
  const entries = Object.entries(v as Record<string, unknown>);
  return `{${entries.map(([k, x]) => `${k}: ${render(x, depth - 1)}`).join(', ')}}`;
}
