/**
 * Per-module tracing switched on by an environment variable, as grpc-js does with GRPC_TRACE:
 * `RACELAB_TRACE=store,grpc` or `RACELAB_TRACE=all,-sched`. Off, a tracer costs one boolean test.
 */
export interface Tracer {
  readonly enabled: boolean;
  (message: string): void;
}

function parseSpec(spec: string | undefined): (name: string) => boolean {
  const parts = (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const off = new Set(parts.filter((p) => p.startsWith('-')).map((p) => p.slice(1)));
  const on = new Set(parts.filter((p) => !p.startsWith('-')));
  return (name) => !off.has(name) && (on.has('all') || on.has('*') || on.has(name));
}

const isOn = parseSpec(process.env.RACELAB_TRACE);

export function tracer(module: string): Tracer {
  const enabled = isOn(module);
  const fn = ((message: string) => {
    if (enabled) process.stderr.write(`${new Date().toISOString()} | ${module} | ${message}\n`);
  }) as Tracer;
  Object.defineProperty(fn, 'enabled', { value: enabled });
  return fn;
}
