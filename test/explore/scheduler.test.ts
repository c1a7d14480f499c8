import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { explore, type Strategy, type Workload } from '../../src/explore/index.js';
import { sleep, yieldPoint, type Operation, type Scheduler } from '../../src/sched/index.js';
import { MemoryStore } from '../../src/store/index.js';

const op = (label: string, object = 'x', kind: Operation['kind'] = 'write'): Operation => ({ kind, object, label });
const at = async (s: Scheduler, o: Operation): Promise<void> => {
  const p = s.point(o);
  if (p) await p;
};

describe('controlled scheduler: virtual time', () => {
  it('a sleep costs no real time; timers end in deadline order, and only when nothing else can run', async () => {
    const seen = new Set<string>();
    const w: Workload = {
      name: 'timers',
      setup(ctx) {
        const s = ctx.scheduler;
        const events: string[] = [];
        return {
          tasks: [
            ['slow', async () => (await sleep(3_600_000, s), void events.push(`slow@${s.clock.now()}`))],
            ['fast', async () => (await sleep(100, s), void events.push(`fast@${s.clock.now()}`))],
            [
              'busy',
              async () => {
                for (let i = 0; i < 3; i++) await at(s, op(`work ${i}`, `busy.${i}`));
                events.push(`busy@${s.clock.now()}`);
              },
            ],
          ],
          invariant: () => {
            seen.add(events.join(' '));
            return events.join(' ') === 'busy@0 fast@100 slow@3600000' || `events: ${events.join(' ')}`;
          },
        };
      },
    };
    const started = performance.now();
    const r = await explore(w, { strategy: 'dfs', seed: 1 });
    expect(r.firstFailure?.message).toBeUndefined();
    expect(r.stopReason).toBe('exhausted');
    expect([...seen]).toEqual(['busy@0 fast@100 slow@3600000']);
    expect(performance.now() - started).toBeLessThan(5000); // an hour of virtual sleep, dfs over every order
  });

  it('timers that end at the same instant are tried in both orders, and the trace shows them', async () => {
    const orders = new Set<string>();
    const w: Workload = {
      name: 'tie',
      setup(ctx) {
        const log: string[] = [];
        const t = (name: string) => async () => {
          await sleep(250, ctx.scheduler);
          log.push(name);
        };
        return { tasks: [['a', t('a')], ['b', t('b')]], invariant: () => void orders.add(log.join('')) };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, onRun: (_run, record) => expect(record.steps.map((s) => s.label)).toEqual(['wake +250ms', 'wake +250ms']) });
    expect(r.runs).toBe(2);
    expect([...orders].sort()).toEqual(['ab', 'ba']);
  });

  it('a 0 ms sleep declared local makes no timer, so the next sleep (straight on the clock) still conflicts', async () => {
    const orders = new Set<string>();
    const w: Workload = {
      name: 'tie-after-local-zero',
      setup(ctx) {
        const log: string[] = [];
        const t = (name: string) => async () => {
          await sleep(0, ctx.scheduler, { local: true });
          await ctx.clock.sleep(250);
          log.push(name);
        };
        return { tasks: [['a', t('a')], ['b', t('b')]], invariant: () => void orders.add(log.join('')) };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1 });
    expect(r.dfs?.exhausted).toBe(true);
    expect([...orders].sort()).toEqual(['ab', 'ba']);
  });
});

describe('controlled scheduler: tasks', () => {
  it('a task blocked in waitFor resumes through a wake step once another task settles its promise', async () => {
    const w: Workload = {
      name: 'gate',
      setup(ctx) {
        const s = ctx.scheduler;
        let open!: () => void;
        const gate = new Promise<void>((resolve) => (open = resolve));
        const log: string[] = [];
        return {
          tasks: [
            ['waiter', async () => (await s.waitFor(gate, 'the gate'), void log.push('in'))],
            ['opener', async () => (await at(s, op('open gate', 'gate')), open(), void log.push('opened'))],
          ],
          invariant: () => log.join(',') === 'opened,in' || `log: ${log.join(',')}`,
        };
      },
    };
    const traces: string[][] = [];
    const r = await explore(w, { strategy: 'dfs', seed: 1, onRun: (_run, rec) => traces.push(rec.steps.map((s) => `${s.taskName} ${s.label}`)) });
    expect(r.failures).toBe(0);
    expect(r.stopReason).toBe('exhausted');
    expect(traces).toEqual([['opener open gate', 'waiter wake (the gate)']]);
  });

  it('reports a deadlock, naming every blocked task and what it waits for', async () => {
    const w: Workload = {
      name: 'deadlock',
      setup(ctx) {
        const s = ctx.scheduler;
        let aDone!: () => void;
        let bDone!: () => void;
        const a = new Promise<void>((r) => (aDone = r));
        const b = new Promise<void>((r) => (bDone = r));
        return {
          tasks: [
            ['A', async () => (await at(s, op('lock a', 'a')), await s.waitFor(b, 'B to finish'), aDone())],
            ['B', async () => (await at(s, op('lock b', 'b')), await s.waitFor(a, 'A to finish'), bDone())],
          ],
        };
      },
    };
    const r = await explore(w, { strategy: 'random', seed: 3, runs: 5 });
    expect(r.firstFailure?.kind).toBe('deadlock');
    expect(r.firstFailure?.message).toContain('A waits for "B to finish"');
    expect(r.firstFailure?.message).toContain('B waits for "A to finish"');
    expect(r.firstFailure?.replayToken).toMatch(/^rl1\//);
  });

  it('a task that throws fails the run, with its name, its last point and the error', async () => {
    const w: Workload = {
      name: 'throws',
      setup(ctx) {
        return { tasks: [['c1', async () => (await at(ctx.scheduler, op('get x', 'x', 'read')), Promise.reject(new Error('boom')))]] };
      },
    };
    const r = await explore(w, { strategy: 'random', seed: 1, runs: 3 });
    expect(r.firstFailure?.kind).toBe('exception');
    expect(r.firstFailure?.message).toBe('task "c1" threw after "get x": boom');
  });

  it('a run that never ends fails as a livelock at maxSteps', async () => {
    const w: Workload = {
      name: 'spin',
      setup(ctx) {
        return { tasks: [['spinner', async () => { for (;;) await at(ctx.scheduler, op('poll', 'flag', 'read')); }]] };
      },
    };
    const r = await explore(w, { strategy: 'random', seed: 1, runs: 1, maxSteps: 50, shrink: false });
    expect(r.firstFailure?.kind).toBe('step-limit');
    expect(r.firstFailure?.found.steps).toBe(50);
  });

  it('outside a run the scheduler is free: setup and the invariant use the store directly', async () => {
    const w: Workload = {
      name: 'free',
      async setup(ctx) {
        const store = new MemoryStore(ctx.scheduler);
        await store.set('k', 41); // in setup: no task, no step
        return {
          tasks: [['inc', async () => void (await store.increment('k'))]],
          invariant: async () => (await store.get('k')) === 42,
        };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, onRun: (_run, rec) => expect(rec.steps.map((s) => s.label)).toEqual(['incr k']) });
    expect(r.failures).toBe(0);
    expect(r.runs).toBe(1);
  });
});

describe('the run loop', () => {
  it('runs that end without a promise job (no tasks) run back to back, 100000 of them, without growing the stack', async () => {
    let teardowns = 0;
    const w: Workload = { name: 'none', setup: () => ({ tasks: [], invariant: () => true, teardown: () => void teardowns++ }) };
    const r = await explore(w, { strategy: 'random', seed: 1, runs: 100_000 });
    expect(r.runs).toBe(100_000);
    expect(r.stopReason).toBe('runs');
    expect(teardowns).toBe(100_000);
  });

  it('an exploration started from a timer or I/O callback is not mistaken for an escape', async () => {
    // Node runs ticks before promise jobs after a macrotask: a heartbeat queued straight from one would run
    // before the task that was just started had a chance to reach its first point.
    const w: Workload = {
      name: 'late-start',
      setup(ctx) {
        const task = async (): Promise<void> => {
          await Promise.resolve(); // reaches its first point a promise job after it starts
          await at(ctx.scheduler, op('set x'));
        };
        return { tasks: [['a', task], ['b', task]] };
      },
    };
    const r = await new Promise<Awaited<ReturnType<typeof explore>>>((resolve, reject) => {
      setImmediate(() => void explore(w, { strategy: 'dfs', seed: 1 }).then(resolve, reject));
    });
    expect(r.failures).toBe(0);
    expect(r.dfs?.exhausted).toBe(true);
  });

  it('teardown runs after every run, failing or not; a teardown that throws stops the exploration with its error', async () => {
    const order: string[] = [];
    const w = (failTeardown: boolean): Workload => ({
      name: 'teardown',
      setup(ctx) {
        return {
          tasks: [['a', () => at(ctx.scheduler, op('set x'))]],
          invariant: () => (order.push('invariant'), false),
          teardown: async () => {
            order.push('teardown');
            if (failTeardown) throw new Error('teardown broke');
          },
        };
      },
    });
    const r = await explore(w(false), { strategy: 'random', seed: 1, runs: 1, shrink: false });
    expect(r.failures).toBe(1);
    expect(order).toEqual(['invariant', 'teardown']);
    await expect(explore(w(true), { strategy: 'random', seed: 1, runs: 1 })).rejects.toThrow('teardown broke');
  });

  it('a strategy that throws mid-run rejects the exploration with its error (not an unhandled rejection)', async () => {
    const w: Workload = {
      name: 'steps',
      setup(ctx) {
        const task = async (): Promise<void> => {
          for (let i = 0; i < 3; i++) await at(ctx.scheduler, op('set x'));
        };
        return { tasks: [['a', task], ['b', task]] };
      },
    };
    const strategy: Strategy = {
      name: 'random',
      beginRun: () => ({
        choose(_enabled, step) {
          if (step === 3) throw new Error('chooser broke at step 3');
          return 0;
        },
      }),
      endRun() {},
    };
    await expect(explore(w, { strategy, runs: 5 })).rejects.toThrow('chooser broke at step 3');
  });

  it('a setup that throws, at once or later, is a one-line BAD_OPTION naming the workload', async () => {
    for (const setup of [
      () => {
        throw new Error('no config');
      },
      async () => Promise.reject(new Error('no config')),
    ]) {
      await expect(explore({ name: 'broken', setup }, { runs: 1 })).rejects.toMatchObject({ code: 'BAD_OPTION', message: 'workload "broken": setup failed: no config' });
    }
  });
});

describe('controlled scheduler: uncontrolled asynchrony is reported, never silently flaky', () => {
  const escaping = (wait: () => Promise<unknown>): Workload => ({
    name: 'escape',
    setup(ctx) {
      const s = ctx.scheduler;
      return {
        tasks: [
          ['c1', async () => (await at(s, op('get x', 'x', 'read')), await wait(), await at(s, op('set x=1')))],
          ['c2', async () => at(s, op('get x', 'x', 'read'))],
        ],
      };
    },
  });

  for (const [what, wait] of [
    ['a real setTimeout(0)', () => new Promise((r) => setTimeout(r, 0))],
    ['a real setTimeout(5)', () => new Promise((r) => setTimeout(r, 5))],
    ['a setImmediate', () => new Promise((r) => setImmediate(r))],
    ['file I/O', () => readFile(new URL(import.meta.url))],
  ] as const) {
    it(`a task awaiting ${what} fails with UNCONTROLLED_ASYNC, its name and its last point (every time)`, async () => {
      for (let i = 0; i < 10; i++) {
        await expect(explore(escaping(wait), { strategy: 'random', seed: i, runs: 20 })).rejects.toMatchObject({
          code: 'UNCONTROLLED_ASYNC',
          message: expect.stringContaining('task "c1" escaped the scheduler after its last point "get x"'),
        });
      }
    });
  }

  it('a task that reaches a second point without awaiting the first is reported', async () => {
    const w: Workload = {
      name: 'two-points',
      setup(ctx) {
        const s = ctx.scheduler;
        return { tasks: [['c1', async () => void (await Promise.all([s.point(op('get a', 'a', 'read')), s.point(op('get b', 'b', 'read'))]))]] };
      },
    };
    await expect(explore(w, { runs: 1, seed: 1 })).rejects.toMatchObject({
      code: 'UNCONTROLLED_ASYNC',
      message: expect.stringContaining('task "c1" reached "get b" while it was already paused at "get a"'),
    });
  });

  // A task the strategy lets go on at once gets no promise from point(); it must still count as paused there until
  // the next microtask, as it did when every point paused it, or this would pass on the runs that let it go on.
  it('a point reached by a second line of work inside a task, or without awaiting the last, is reported on every run', async () => {
    const cases: Record<string, (s: Scheduler) => Array<[string, () => Promise<void>]>> = {
      unawaited: (s) => [
        ['c1', async () => (await at(s, op('a', 'a', 'read')), await at(s, op('b', 'b', 'read')), void (await Promise.all([s.point(op('c', 'c', 'read')), s.point(op('d', 'd', 'read'))])))],
        ['c2', async () => (await at(s, op('x', 'x', 'read')), await at(s, op('y', 'y', 'read')))],
      ],
      branch: (s) => [
        [
          'c1',
          async () => {
            await at(s, op('a', 'a', 'read'));
            const branch = (async () => (await null, await at(s, op('br', 'br', 'read'))))();
            await at(s, op('b', 'b', 'read'));
            await branch;
          },
        ],
        ['c2', async () => (await at(s, op('x', 'x', 'read')), await at(s, op('y', 'y', 'read')))],
      ],
    };
    for (const [name, tasks] of Object.entries(cases)) {
      const w: Workload = { name, setup: (ctx) => ({ tasks: tasks(ctx.scheduler) }) };
      for (const strategy of ['random', 'pct'] as const) {
        for (let seed = 1; seed <= 10; seed++) {
          await expect(explore(w, { strategy, seed, runs: 1 })).rejects.toMatchObject({ code: 'UNCONTROLLED_ASYNC', message: expect.stringContaining('while it was already paused at') });
        }
      }
    }
  });

  it('state kept between runs makes dfs replay diverge: NONDETERMINISTIC', async () => {
    let calls = 0;
    const w: Workload = {
      name: 'leaky',
      setup(ctx) {
        const s = ctx.scheduler;
        const extra = calls++ % 2 === 1; // a different program every other run
        const tasks: Array<[string, () => Promise<void>]> = [
          ['a', async () => at(s, op('a1', 'x'))],
          ['b', async () => at(s, op('b1', 'x'))],
        ];
        if (extra) tasks.push(['c', async () => at(s, op('c1', 'x'))]);
        return { tasks };
      },
    };
    await expect(explore(w, { strategy: 'dfs', seed: 1 })).rejects.toMatchObject({ code: 'NONDETERMINISTIC' });
  });
});

describe('controlled scheduler: the ambient scheduler', () => {
  // Code that finds its scheduler implicitly: yieldPoint(), sleep() with the default scheduler, a store made without one.
  const implicit: Workload = {
    name: 'implicit',
    setup() {
      const store = new MemoryStore();
      const hit = async () => {
        const n = await store.get('hits');
        await yieldPoint('think');
        await sleep(10);
        await store.set('hits', n + 1);
      };
      return { tasks: [['a', hit], ['b', hit]], invariant: async () => (await store.get('hits')) === 2 || 'a hit was lost' };
    },
  };

  it('with ambient: true, yieldPoint(), sleep() and a store made without a scheduler are all controlled', async () => {
    const r = await explore(implicit, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.firstFailure?.message).toBe('a hit was lost');
    expect(r.firstFailure?.found.trace).toContain('think');
    expect(r.firstFailure?.shrunk.trace).toBe('a get hits . a think . b get hits . b think . b wake +10ms . b set hits=1 . a wake +10ms . a set hits=1');
  });

  it('without it, that code runs on the real scheduler, and its real sleep is caught as uncontrolled asynchrony', async () => {
    await expect(explore(implicit, { strategy: 'random', seed: 1, runs: 3 })).rejects.toMatchObject({
      code: 'UNCONTROLLED_ASYNC',
      message: expect.stringContaining("needs explore's ambient: true"),
    });
  });
});
