import type { AwaitSite } from '../sched/await-site.js';
import { currentScheduler, realScheduler, type Operation } from '../sched/scheduler.js';
import { shortValue } from '../core/short-value.js';

export interface ControlledOptions {
  /** Names the object in traces (`accounts.findById("acc1")`) and for partial-order reduction. */
  readonly name: string;
  /** Methods that only read: two such calls on the object commute (dfs explores one order of them). */
  readonly readOnly?: readonly string[];
}

/**
 * For code you cannot instrument (a dependency, a generated client): wraps `target` so that, inside an
 * exploration with `ambient: true`, every method call is a scheduling point when it is made and a step when its
 * result is delivered, with the arguments and the result in the trace: `w1 accounts.findById("acc1") . … .
 * w1 accounts.findById("acc1") returns -> {balance:100}`. The call point names the object, so calls on different
 * objects, and two calls of `readOnly` methods, commute for partial-order reduction. Outside an exploration the
 * wrapper calls straight through. What fast-check's `scheduleFunction` does, per object, with traces and replay.
 */
export function controlled<T extends object>(target: T, options: ControlledOptions): T {
  const readOnly = new Set(options.readOnly ?? []);
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver) as unknown;
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'constructor') return value;
      let wrapper = wrappers.get(key);
      if (!wrapper) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
          const scheduler = currentScheduler();
          const self = this === receiver ? object : this;
          if (scheduler === realScheduler) return method.apply(self, args);
          const text = `${options.name}.${key}(${args.map((a) => shortValue(a, 40)).join(', ')})`;
          const site: AwaitSite = { file: options.name, line: 0, column: 0, text, kind: 'await' };
          const op: Operation = { kind: readOnly.has(key) ? 'read' : 'write', object: options.name, label: text, site };
          const paused = scheduler.point(op);
          if (paused) await paused;
          const result = method.apply(self, args);
          return scheduler.awaited ? scheduler.awaited(result, site) : result;
        };
        wrappers.set(key, wrapper);
      }
      return wrapper;
    },
  });
}
