import { setTimeout as esmSetTimeout } from 'node:timers';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { explore, yieldPoint, type Workload } from '../../src/index.js';
import { moduleHooks } from './hand-hooks.js';

const rl = moduleHooks('src/pay.ts', [
  [10, 'Promise.race([this.gateway.charge(id), timeout(10_000)])'],
  [14, 'new Promise((r) => setTimeout(r, 30_000))'],
  [20, 'new Promise((r) => setTimeout(r, 40_000))'],
  [30, 'this.store.write(this.latest)'],
  [40, 'sleepFor(5_000)'],
  [50, 'this.store.get()'],
  [51, 'this.store.set(n + 1)'],
]);

/** A slow gateway: it charges at once, and answers after 40 s (a real setTimeout in the fake). */
class Gateway {
  charges = 0;
  async charge(_id: string): Promise<'ok'> {
    this.charges++;
    await rl.a(2, (rl.on && (await rl.b(2)), new Promise((r) => setTimeout(r, 40_000))));
    return 'ok';
  }
}

const timeout = (ms: number): Promise<'timeout'> => new Promise((r) => setTimeout(() => r('timeout'), ms));

/** Retry with backoff: a call that times out after 10 s is tried again 30 s later. Charged twice. */
async function payWithRetry(gateway: Gateway, id: string): Promise<void> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    const result = await rl.a(0, (rl.on && (await rl.b(0)), Promise.race([gateway.charge(id), timeout(10_000)])));
    if (result === 'ok') return;
    await rl.a(1, (rl.on && (await rl.b(1)), new Promise((r) => setTimeout(r, 30_000))));
  }
}

/** A debounced saver: every save restarts a 100 ms timer; the timer writes the latest value. */
class Debounced {
  latest = 0;
  writes: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  save(value: number): void {
    this.latest = value;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), 100);
  }
  private async flush(): Promise<void> {
    await rl.a(3, (rl.on && (await rl.b(3)), Promise.resolve(this.writes.push(this.latest))));
  }
}

describe('virtual time inside a run: the code under test uses setTimeout, Date.now and timers/promises as it is', () => {
  it('retry with a 30 s backoff: found in virtual time (no real time passes); the trace prints when each timer fires', async () => {
    const w: Workload = {
      name: 'retry',
      setup() {
        const gateway = new Gateway();
        return { tasks: [['pay', () => payWithRetry(gateway, 'order-1')]], invariant: () => gateway.charges === 1 || `charged ${gateway.charges} times for one order` };
      },
    };
    const started = performance.now();
    const r = await explore(w, { strategy: 'random', seed: 1, runs: 5, ambient: true });
    expect(performance.now() - started).toBeLessThan(10_000); // 40 s of backoff and gateway time, run in virtual time
    expect(r.firstFailure?.message).toBe('charged 2 times for one order');
    const lines = r.firstFailure!.shrunk.traceLines.join('\n');
    expect(lines).toMatch(/setTimeout 10000ms fires @10000ms/);
    expect(lines).toMatch(/setTimeout 30000ms fires @40000ms/);
    expect(r.firstFailure!.shrunk.virtualMs).toBeGreaterThanOrEqual(40_000);
  });

  it('a debounce: two saves, one write of the latest value, after 100 ms of virtual time; dfs proves it', async () => {
    const w: Workload = {
      name: 'debounce',
      setup() {
        const d = new Debounced();
        const save = (v: number) => async (): Promise<void> => {
          await rl.a(4, (rl.on && (await rl.b(4)), sleepFor(5_000)));
          d.save(v);
        };
        return {
          tasks: [['s1', save(1)], ['s2', save(2)]],
          invariant: () => (d.writes.length === 1 && d.writes[0] === d.latest) || `writes ${JSON.stringify(d.writes)}, latest ${d.latest}`,
        };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.firstFailure?.message).toBeUndefined();
    expect(r.verdict).toBe('proved');
  });

  it("a timer callback's instrumented awaits are points, whichever task's reaction the driver fires it from", async () => {
    // Each task arms a flush that reads a count, then writes it plus one, each awaited: two flushes that
    // interleave lose a count. The driver fires a timer from its own loop, whose async context is that of
    // whichever reaction it runs in, or none; the callback runs inside the run's scheduler all the same, so its
    // awaits are the steps that expose the lost update (outside it, they would be no points).
    const w: Workload = {
      name: 'timer-flush',
      setup() {
        let count = 0;
        const store = { get: async () => count, set: async (n: number) => void (count = n) };
        const flush = async (): Promise<void> => {
          const n = await rl.a(5, (rl.on && (await rl.b(5)), store.get()));
          await rl.a(6, (rl.on && (await rl.b(6)), store.set(n + 1)));
        };
        const arm = async (): Promise<void> => void setTimeout(() => void flush(), 100);
        return { tasks: [['a', arm], ['b', arm]], invariant: () => count === 2 || `counted ${count} of 2` };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.message).toBe('counted 1 of 2');
    expect(r.firstFailure?.shrunk.trace).toMatch(/pay\.ts:50 this\.store\.get\(\)/);
  });

  it('two timers due at the same virtual time, armed at different times, fire in either order (dfs explores both)', async () => {
    const tie: Workload = {
      name: 'timer-tie',
      setup() {
        const fired: string[] = [];
        return {
          tasks: [
            ['slow', async () => void setTimeout(() => fired.push('slow 100ms'), 100)],
            ['fast', async () => void setTimeout(() => setTimeout(() => fired.push('fast 50ms+50ms'), 50), 50)],
          ],
          invariant: () => fired[0] === 'slow 100ms' || `${fired.join(' before ')}`,
        };
      },
    };
    const r = await explore(tie, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.message).toBe('fast 50ms+50ms before slow 100ms');
    expect(r.firstFailure?.shrunk.traceLines.join('\n')).toMatch(/setTimeout 50ms fires @100ms/);
  });

  it('timers of the same delay armed together fire in the order they were armed, as on Node (not a choice)', async () => {
    const fifo: Workload = {
      name: 'timer-fifo',
      setup() {
        const fired: string[] = [];
        const arm = async (): Promise<void> => {
          setTimeout(() => fired.push('first'), 100);
          setTimeout(() => fired.push('second'), 100);
        };
        return { tasks: [['t', arm]], invariant: () => fired.join() === 'first,second' || fired.join() };
      },
    };
    const r = await explore(fifo, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.verdict).toBe('proved');
    expect(r.dfs?.schedulesExplored).toBe(1);
  });

  it('Date.now() and performance.now() read the virtual clock inside a run, and the real one outside', async () => {
    const seen: number[] = [];
    const w: Workload = {
      name: 'clock',
      setup: () => ({
        tasks: [
          [
            't',
            async () => {
              seen.push(Date.now(), performance.now());
              await rl.a(4, (rl.on && (await rl.b(4)), sleepFor(5_000)));
              seen.push(Date.now(), new Date().getTime(), performance.now());
            },
          ],
        ],
      }),
    };
    await explore(w, { strategy: 'random', seed: 1, runs: 1, ambient: true });
    expect(seen).toEqual([0, 0, 5000, 5000, 5000]);
    expect(Date.now()).toBeGreaterThan(1_700_000_000_000);
  });

  it("an ES module's import of node:timers is virtual inside a run and real outside it, with the real function's promisify", async () => {
    const fired: number[] = [];
    const w: Workload = {
      name: 'esm-timers',
      setup: () => ({ tasks: [['t', async () => void (await rl.a(4, (rl.on && (await rl.b(4)), new Promise((r) => esmSetTimeout(() => r(fired.push(Date.now())), 60_000)))))]] }),
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.verdict).toBe('proved');
    expect(fired).toEqual([60_000]); // the run's virtual clock; a real 60 s timer would have timed the test out
    // After the exploration: a real timer, and util.promisify's custom form of the real setTimeout.
    const before = Date.now();
    const real = await new Promise<number>((resolve) => esmSetTimeout(() => resolve(Date.now()), 20));
    expect(real).toBeGreaterThan(1_700_000_000_000);
    expect(real - before).toBeGreaterThanOrEqual(15);
    await expect(promisify(esmSetTimeout)(5, 'woke')).resolves.toBe('woke');
  });

  it('code that uses vi.useFakeTimers() still works: the run has its own clock, and Vitest gets its fake back', async () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(1_000_000);
      const w: Workload = {
        name: 'vitest-fakes',
        setup: () => ({ tasks: [['t', async () => void (await rl.a(4, (rl.on && (await rl.b(4)), sleepFor(5_000))))]] }),
      };
      const r = await explore(w, { strategy: 'dfs', seed: 1, ambient: true });
      expect(r.verdict).toBe('proved');
      expect(Date.now()).toBe(1_000_000);
      let fired = false;
      setTimeout(() => (fired = true), 50);
      vi.advanceTimersByTime(50);
      expect(fired).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('racelab\'s own clock under virtual time', () => {
  it('a time limit and the elapsed time it reports are real time, though the code under test sees the fake clock', async () => {
    // Three tasks of eight points: a dfs tree far larger than 300 ms of runs.
    const w: Workload = {
      name: 'wide',
      setup: () => {
        const step = async (): Promise<void> => {
          for (let i = 0; i < 8; i++) await yieldPoint();
        };
        return { tasks: [['a', step], ['b', step], ['c', step]], invariant: () => true };
      },
    };
    const t0 = performance.now();
    const r = await explore(w, { strategy: 'dfs', ambient: true, timeLimitMs: 300, runs: 10_000_000 });
    const took = performance.now() - t0;
    expect(r.stopReason).toBe('time-limit');
    expect(r.verdict).not.toBe('proved');
    // The run's code saw virtual time; racelab's limit and report did not (they once read the fake performance.now).
    expect(r.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(r.elapsedMs).toBeLessThanOrEqual(took + 1);
    expect(took).toBeLessThan(10_000);
  });
});
