import { Mutex } from 'async-mutex';
import { describe, expect, it } from 'vitest';
import { explore, type Workload } from '../../src/explore/index.js';
import { yieldPoint } from '../../src/sched/index.js';
import { moduleHooks } from './hand-hooks.js';

// With `ambient`, what a task runs before its first stop is ordinary code (a lock taken inside a library, a
// cache read, a whole synchronous body), so starting a task is a step the strategy places. Before it was one,
// tasks started in spawn order before the first decision, and dfs "proved" each of these workloads.

describe('ambient runs: a task start is a step', () => {
  it('a race only visible when the second task starts first is found by dfs', async () => {
    const w: Workload = {
      name: 'first-come',
      setup() {
        let owner: string | undefined;
        // Different closures: the two tasks are not interchangeable, so both start orders are explored.
        const claim = (name: string) => async (): Promise<void> => {
          owner ??= name; // before the task's first point
          await yieldPoint('work');
        };
        return { tasks: [['a', claim('a')], ['b', claim('b')]], invariant: () => owner === 'a' || `${owner} claimed first` };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.message).toBe('b claimed first');
    expect(r.firstFailure?.shrunk.schedule[0]).toBe('1s');
  });

  it('a lock an un-instrumented library takes before the first await is taken in every start order', async () => {
    const w: Workload = {
      name: 'lock-order',
      setup() {
        const mutex = new Mutex();
        const order: string[] = [];
        const job = (name: string) => () => mutex.runExclusive(async () => void order.push(name));
        return { tasks: [['a', job('a')], ['b', job('b')]], invariant: () => order[0] === 'a' || `${order.join(',')}: b got the lock first` };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.message).toBe('b,a: b got the lock first');
  });

  it('a task whose whole body is synchronous can run between two steps of another (stale cache after a write)', async () => {
    const db = moduleHooks('src/cache.ts', [
      [4, 'db.query(key)'],
      [5, 'respond(value)'],
    ]);
    const w: Workload = {
      name: 'sync-writer',
      setup() {
        let stored = 1;
        let cached: number | undefined;
        const reader = async (): Promise<void> => {
          const value = await db.a(0, (db.on && (await db.b(0)), stored));
          cached = await db.a(1, (db.on && (await db.b(1)), value));
        };
        const writer = async (): Promise<void> => {
          stored = 2;
          cached = undefined;
        };
        return {
          tasks: [['reader', reader], ['writer', writer]],
          invariant: () => cached === undefined || cached === stored || `the cache keeps ${cached} after the database has ${stored}`,
        };
      },
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, ambient: true });
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.message).toBe('the cache keeps 1 after the database has 2');
    // The writer's start sits between the reader's query and its response.
    expect(r.firstFailure?.shrunk.trace).toMatch(/reader cache\.ts:4 db\.query\(key\).* \. writer start \. reader cache\.ts:5/);
  });

  it('tasks with the same body are started in one order only (symmetry), different bodies in every order', async () => {
    const counted = (twins: boolean): Workload => ({
      name: 'twins',
      setup() {
        let hits = 0;
        const hit = async (): Promise<void> => {
          const n = hits;
          await yieldPoint('think');
          hits = Math.max(hits, n + 1);
        };
        return { tasks: [['a', hit], ['b', twins ? hit : async () => hit()]] };
      },
    });
    const firsts = new Set<string>();
    const twins = await explore(counted(true), { strategy: 'dfs', seed: 1, ambient: true, onRun: (_run, record) => firsts.add(record.steps[0]!.key) });
    const apart = await explore(counted(false), { strategy: 'dfs', seed: 1, ambient: true });
    expect(twins.verdict).toBe('proved');
    expect(apart.verdict).toBe('proved');
    expect([...firsts]).toEqual(['0s']);
    expect(twins.dfs!.schedulesExplored).toBeLessThan(apart.dfs!.schedulesExplored);
  });

  it('without ambient, tasks start in spawn order before the first decision, as before', async () => {
    const firsts = new Set<string>();
    const w: Workload = {
      name: 'ports',
      setup: (ctx) => ({
        tasks: [
          ['a', () => ctx.scheduler.point({ kind: 'yield', label: 'a' }) as Promise<void>],
          ['b', () => ctx.scheduler.point({ kind: 'yield', label: 'b' }) as Promise<void>],
        ],
      }),
    };
    const r = await explore(w, { strategy: 'dfs', seed: 1, onRun: (_run, record) => firsts.add(record.steps.map((s) => s.kind).join(',')) });
    expect(r.dfs?.schedulesExplored).toBe(2);
    expect([...firsts]).toEqual(['point,point']);
  });
});
