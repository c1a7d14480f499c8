import type { AwaitSite, ModuleHooks } from '../../src/sched/await-site.js';
import { currentScheduler, realScheduler, type Operation } from '../../src/sched/scheduler.js';

/**
 * The scheduler's side of instrumented code, tested without the transform: code written in the contract's
 * rewrite form (src/sched/await-site.ts), `await rl.a(ID, (rl.on && await rl.b(ID), EXPR))`, with a hand-made
 * module handle that forwards to the ambient scheduler as src/instrument's runtime does.
 */
export function moduleHooks(file: string, sites: ReadonlyArray<readonly [line: number, text: string]>): ModuleHooks {
  const table: AwaitSite[] = sites.map(([line, text]) => ({ file, line, column: 4, text, kind: 'await' }));
  const ops: Operation[] = table.map((site) => ({ kind: 'await', label: `${file.slice(file.lastIndexOf('/') + 1)}:${site.line} ${site.text}`, site }));
  return {
    get on() {
      return currentScheduler() !== realScheduler;
    },
    b: (i) => currentScheduler().point(ops[i] as Operation),
    a: <T>(i: number, v: T) => currentScheduler().awaited?.(v, table[i] as AwaitSite) ?? v,
  };
}
