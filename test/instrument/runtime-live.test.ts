import { afterEach, describe, expect, it } from 'vitest';
import { installInstrumentRuntime, type InstrumentHooks } from '../../src/instrument/runtime.js';
import { INSTRUMENT_KEY, type AwaitSite } from '../../src/sched/await-site.js';
import { realScheduler, withScheduler, type Scheduler } from '../../src/sched/scheduler.js';

// Outside an exploration an instrumented await asks nothing until some scheduler other than the real one has been
// installed (withScheduler): until then none can be in force. These tests start from a runtime of their own, so
// what other files of this worker ran does not count, and put the worker's runtime back afterwards.
const SITES: AwaitSite[] = [{ file: 'x.js', line: 1, column: 0, text: 'f()', kind: 'await' }];
const key = INSTRUMENT_KEY as unknown as symbol;
const saved = Object.getOwnPropertyDescriptor(globalThis, key);

type Runtime = { module(url: string, sites: readonly AwaitSite[]): InstrumentHooks; sources: { current: () => Scheduler; real: Scheduler }[] };

function freshRuntime(): Runtime {
  Reflect.deleteProperty(globalThis, key);
  return installInstrumentRuntime() as never;
}

afterEach(() => {
  Reflect.deleteProperty(globalThis, key);
  if (saved) Object.defineProperty(globalThis, key, saved);
});

describe('instrumented awaits outside an exploration', () => {
  it("ask a source that cannot say when it entered (an older copy's) at every await", () => {
    const runtime = freshRuntime();
    const handle = runtime.module('file:///x.js', SITES);
    // First in this file: no scheduler has been entered yet, so only the unwatched source can turn the await on.
    expect((runtime as unknown as { live: { entered: boolean } }).live.entered).toBe(false);
    const theirs: Scheduler = { ...realScheduler };
    let current: Scheduler = { ...realScheduler };
    const real = current;
    runtime.sources.push({ current: () => current, real });
    expect(handle.on).toBe(false);
    current = theirs;
    expect(handle.on).toBe(true);
  });
  it('are on inside withScheduler of another scheduler, and off outside it', async () => {
    const runtime = freshRuntime();
    const handle = runtime.module('file:///x.js', SITES);
    const mine: Scheduler = { ...realScheduler };
    expect(withScheduler(mine, () => handle.on)).toBe(true);
    expect(handle.on).toBe(false);
    await withScheduler(mine, async () => {
      await Promise.resolve();
      expect(handle.on).toBe(true);
    });
  });

});
