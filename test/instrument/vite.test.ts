import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mutex } from 'async-mutex';
import { describe, expect, it } from 'vitest';
import { realClock } from '../../src/core/clock.js';
import type { AwaitSite } from '../../src/sched/await-site.js';
import { withScheduler, type Operation, type Scheduler } from '../../src/sched/scheduler.js';
import { instrumentStatus } from '../../src/instrument/runtime.js';
import racelab from '../../src/instrument/vite.js';
// Instrumented by the plugin that vitest.config.ts installs for test/fixtures/user-code/**.
import { Accounts, doubled, failsAfterAwait, sum, withdraw } from '../fixtures/user-code/instrument/probe.js';

/** A scheduler that lets everything run and writes down what instrumented code told it. */
function recordingScheduler(): Scheduler & { points: Operation[]; delivered: AwaitSite[] } {
  const points: Operation[] = [];
  const delivered: AwaitSite[] = [];
  return {
    clock: realClock,
    points,
    delivered,
    point(op) {
      points.push(op);
    },
    spawn: (_name, body) => body(),
    waitFor: (promise) => promise,
    awaited<T>(value: T, site: AwaitSite) {
      delivered.push(site);
      return value;
    },
  };
}

describe('racelab/vite in this project (test/fixtures/user-code/**)', () => {
  it('instruments the fixture: each await is a point labelled file:line and the text, then an awaited value', async () => {
    const s = recordingScheduler();
    const left = await withScheduler(s, () => withdraw(new Accounts(), 'acc1', 30));
    expect(left).toBe(70);
    expect(s.points.map((p) => [p.kind, p.label])).toEqual([
      ['await', 'probe.ts:21 accounts.findById(accountId)'],
      ['await', 'probe.ts:23 accounts.save({ ...account, balance: account.balance - amou…'],
    ]);
    expect(s.delivered.map((site) => `${site.file}:${site.line}:${site.column}`)).toEqual([
      'test/fixtures/user-code/instrument/probe.ts:21:18',
      'test/fixtures/user-code/instrument/probe.ts:23:2',
    ]);
    expect(instrumentStatus().modules).toBeGreaterThanOrEqual(1);
  });

  it('makes each next() of a for await a point of its own', async () => {
    const s = recordingScheduler();
    expect(await withScheduler(s, () => sum(3))).toBe(3);
    // Three values and the final done: four calls to next().
    expect(s.points.map((p) => p.label)).toEqual(Array(4).fill('probe.ts:33 for await ticks(n)'));
  });

  it('runs each .then/.finally callback after a point of its own', async () => {
    const s = recordingScheduler();
    expect(await withScheduler(s, () => doubled(new Accounts(), 'acc1'))).toBe(200);
    expect(s.points.map((p) => p.label)).toEqual(['probe.ts:44 accounts .findById(id).then(…)', 'probe.ts:45 accounts .findById(id) .then((a) => (a ? a.balance ….finally(…)']);
  });

  it('outside an exploration the same code makes no point and gives the same result', async () => {
    expect(await withdraw(new Accounts(), 'acc1', 30)).toBe(70);
    expect(await sum(4)).toBe(6);
    expect(await doubled(new Accounts(), 'acc1')).toBe(200);
  });

  it('an error thrown after an await points at the original line and column', async () => {
    const error = await failsAfterAwait().catch((e: unknown) => e as Error);
    // Line 38, column 34 (1-based in stacks): `new Error` as written, after an await the transform lengthened.
    expect(error.stack).toMatch(/probe\.ts:38:34\b/);
  });

  it('leaves files the globs do not select, node_modules, queries and virtual modules alone', () => {
    const root = join(import.meta.dirname, '..', '..');
    const plugin = racelab({ include: ['test/fixtures/user-code/**'] });
    plugin.configResolved({ root });
    const code = 'export async function f(x) { return await x; }';
    expect(plugin.transform(code, join(root, 'test/fixtures/user-code/a.ts'))?.code).toContain('__rl$.b(0)');
    expect(plugin.transform(code, join(root, 'test/explore/a.ts'))).toBeNull();
    expect(plugin.transform(code, join(root, 'test/fixtures/user-code/node_modules/dep/a.js'))).toBeNull();
    expect(plugin.transform(code, join(root, 'test/fixtures/user-code/a.ts?raw'))).toBeNull();
    expect(plugin.transform(code, '\0virtual:a.ts')).toBeNull();
    // With no globs every source file of the project is selected, except racelab's own code.
    const all = racelab({ root: '/project' });
    expect(all.transform(code, '/project/src/wallet.ts')).not.toBeNull();
    expect(all.transform(code, '/project/node_modules/x/index.js')).toBeNull();
    expect(all.transform(code, '/elsewhere/wallet.ts')).toBeNull();
    const self = racelab();
    self.configResolved({ root });
    expect(self.transform(code, join(root, 'src/explore/explore.ts'))).toBeNull();
    expect(self.transform(readFileSync(join(root, 'test/fixtures/user-code/instrument/probe.ts'), 'utf8'), join(root, 'test/fixtures/user-code/instrument/probe.ts'))).not.toBeNull();
  });

  it('instruments a dependency only when an include glob names node_modules, inside the root or hoisted above it', () => {
    const code = 'export async function f(x) { return await x; }';
    const plugin = racelab({ root: '/project/app', include: ['src/**', '**/node_modules/async-mutex/**'] });
    expect(plugin.transform(code, '/project/app/src/wallet.ts')).not.toBeNull();
    expect(plugin.transform(code, '/project/app/node_modules/async-mutex/index.mjs')).not.toBeNull();
    // Hoisted to a workspace root, or a symlinked node_modules resolved to its real path: matched from node_modules on.
    expect(plugin.transform(code, '/project/node_modules/async-mutex/lib/Mutex.js')).not.toBeNull();
    expect(plugin.transform(code, '/project/app/node_modules/async-mutex-extra/index.js')).toBeNull();
    expect(plugin.transform(code, '/project/app/node_modules/pg/lib/client.js')).toBeNull();
    expect(plugin.transform(code, '/project/node_modules/pg/lib/client.js')).toBeNull();
    // Outside the root and not in a node_modules: never.
    expect(plugin.transform(code, '/project/other/src/wallet.ts')).toBeNull();
    // A glob that does not name node_modules never selects it, however wide; an exclude still applies.
    expect(racelab({ root: '/project', include: ['**'] }).transform(code, '/project/node_modules/async-mutex/index.mjs')).toBeNull();
    const excluded = racelab({ root: '/project', include: ['**/node_modules/async-mutex/**'], exclude: ['**/lib/**'] });
    expect(excluded.transform(code, '/project/node_modules/async-mutex/lib/Mutex.js')).toBeNull();
    expect(excluded.transform(code, '/project/node_modules/async-mutex/index.mjs')).not.toBeNull();
  });

  it("makes Vitest inline the packages the globs name (test.server.deps.inline), and only those", () => {
    const inline = (options: Parameters<typeof racelab>[0], config = {}): RegExp[] | null =>
      (racelab(options).config(config)?.test?.server?.deps?.inline as RegExp[] | undefined) ?? null;
    const mutex = inline({ include: ['src/**', '**/node_modules/async-mutex/**'] })!;
    expect(mutex).toHaveLength(1);
    const hits = (path: string): boolean => mutex.some((r) => r.test(path));
    expect(hits('/project/node_modules/async-mutex/index.mjs')).toBe(true);
    expect(hits('/project/node_modules/.pnpm/async-mutex@0.5.0/node_modules/async-mutex/index.mjs')).toBe(true);
    expect(hits('/project/node_modules/async-mutex-extra/index.mjs')).toBe(false);
    expect(hits('/project/node_modules/pg/lib/client.js')).toBe(false);
    const scoped = inline({ include: ['**/node_modules/@acme/lock-{a,b}/**'] })!;
    expect(scoped.some((r) => r.test('/p/node_modules/@acme/lock-b/dist/index.js'))).toBe(true);
    expect(scoped.some((r) => r.test('/p/node_modules/@acme/lock-c/dist/index.js'))).toBe(false);
    // No glob names node_modules: nothing to inline. The user inlines everything already: nothing to add.
    expect(inline({ include: ['src/**'] })).toBeNull();
    expect(inline({})).toBeNull();
    expect(inline({ include: ['**/node_modules/async-mutex/**'] }, { test: { server: { deps: { inline: true } } } })).toBeNull();
  });

  it('async-mutex, named in vitest.config.ts, is loaded through the plugin: its continuations are points', async () => {
    const s = recordingScheduler();
    expect(await withScheduler(s, () => new Mutex().runExclusive(async () => 7))).toBe(7);
    // __awaiter's `.then` in async-mutex's ES module build (index.mjs), wherever node_modules really is.
    expect(s.points.length).toBeGreaterThan(0);
    for (const p of s.points) {
      expect(p.label).toMatch(/^index\.mjs:\d+ .*\.then\(…\)$/);
      expect(p.site?.file).toMatch(/node_modules\/async-mutex\/index\.mjs$/);
    }
  });
});
