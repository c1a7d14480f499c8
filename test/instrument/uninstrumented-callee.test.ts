import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { explore, type Workload } from '../../src/index.js';
import '../../src/instrument/runtime.js';
import { instrument } from '../../src/instrument/transform.js';

// Issue 12, no false proofs: an instrumented `await` of an async function from a module racelab did not
// instrument (a dependency in node_modules) runs that function's own awaits as no points, so its read-await-write
// is one step. Such a run must never end in a proof; instrumented, the same dependency's race is found.

const dir = mkdtempSync(join(tmpdir(), 'racelab-opaque-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A dependency's account: read, then write, each awaited (a lost update when two withdrawals interleave). */
const DEP = `
export class Dep {
  constructor(balance) { this.balance = balance; }
  async read() { return this.balance; }
  async write(v) { this.balance = v; }
  async withdraw(id, n) {
    if (n <= 0) return false;
    const b = await this.read();
    if (b < n) return false;
    await this.write(b - n);
    return true;
  }
}
export async function withdrawFrom(dep, id, n) {
  const b = await dep.read();
  if (b < n) return false;
  await dep.write(b - n);
  return true;
}
`;

/** The user's code, instrumented: it awaits the dependency's method (line 5) or function (line 8). */
const WALLET = (dep: string): string => `import { Dep, withdrawFrom } from './${dep}';
export class Wallet {
  constructor(balance) { this.dep = new Dep(balance); }
  async withdraw(n) {
    return await this.dep.withdraw("a", n);
  }
  async withdrawByFunction(n) {
    return await withdrawFrom(this.dep, "a", n);
  }
}
`;

let files = 0;
async function wallet(depInstrumented: boolean): Promise<new (balance: number) => { dep: { balance: number }; withdraw(n: number): Promise<boolean>; withdrawByFunction(n: number): Promise<boolean> }> {
  const n = files++;
  const depFile = join(dir, `dep${n}.mjs`);
  writeFileSync(depFile, depInstrumented ? instrument(DEP, depFile)!.code : DEP);
  const walletFile = join(dir, `wallet${n}.mjs`);
  writeFileSync(walletFile, instrument(WALLET(`dep${n}.mjs`), walletFile)!.code);
  return ((await import(pathToFileURL(walletFile).href)) as { Wallet: never }).Wallet;
}

function workload(Wallet: Awaited<ReturnType<typeof wallet>>, how: 'withdraw' | 'withdrawByFunction', amount = 70): Workload {
  return twoWithdrawals(`dep-${how}`, () => new Wallet(100), how, amount);
}

/**
 * Two withdrawals of `amount` from a balance of 100; no money paid out that the balance did not lose. The task
 * functions end at their await (they keep the call's promise, and the invariant counts what was paid): code of
 * this file's own after a task's last await would be code racelab does not see, and the run inconclusive.
 */
function twoWithdrawals<W extends { dep: { balance: number } }>(name: string, make: () => W, how: keyof W, amount: number): Workload {
  return {
    name,
    setup() {
      const w = make();
      const calls: Promise<boolean>[] = [];
      const task = async (): Promise<void> => {
        const call = (w[how] as (n: number) => Promise<boolean>).call(w, amount);
        calls.push(call);
        await call;
      };
      return {
        tasks: [['w1', task], ['w2', task]],
        invariant: async () => {
          const paid = (await Promise.all(calls)).filter(Boolean).length * amount;
          return paid + w.dep.balance === 100 || `paid out ${paid} from 100, balance ${w.dep.balance}`;
        },
      };
    },
  };
}

describe('an await of an async function racelab did not instrument', () => {
  it('is never a proof: inconclusive, naming the await, the call and its values', async () => {
    const Wallet = await wallet(false);
    const r = await explore(workload(Wallet, 'withdraw'), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toMatch(/^the await at .*wallet\d+\.mjs:5:\d+ \(await this\.dep\.withdraw\("a", n\)\) \(task "w\d"\) awaits withdraw\("a", 70\), an async function racelab did not instrument: its own awaits are not scheduling points; instrument its module/);
    const byFunction = await explore(workload(Wallet, 'withdrawByFunction'), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(byFunction.verdict).toBe('inconclusive');
    expect(byFunction.inconclusive?.first).toMatch(/wallet\d+\.mjs:8:\d+ .* awaits withdrawFrom\(Dep\{balance:100\}, "a", 70\), an async function racelab did not instrument/);
  });

  it('the same dependency, instrumented: the lost update is found', async () => {
    const Wallet = await wallet(true);
    for (const how of ['withdraw', 'withdrawByFunction'] as const) {
      const r = await explore(workload(Wallet, how), { strategy: 'dfs', ambient: true, seed: 1 });
      expect(r.verdict).toBe('race-found');
      expect(r.firstFailure?.message).toMatch(/paid out 140 from 100/);
    }
  });

  it("with io: 'atomic' each such call is declared one step (a proof of that model); one that returns before awaiting is one step anyway", async () => {
    const Wallet = await wallet(false);
    const atomic = await explore(workload(Wallet, 'withdraw'), { strategy: 'dfs', ambient: true, seed: 1, io: 'atomic' });
    expect(atomic.inconclusive).toBeUndefined();
    expect(atomic.verdict).toBe('proved');
    // withdraw(0) returns before its first await: settled when awaited, nothing ran unseen.
    const early = await explore(workload(Wallet, 'withdraw', 0), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(early.inconclusive).toBeUndefined();
    expect(early.verdict).toBe('proved');
  });
});

// The same false proof one step removed: the dependency's promise reaches the instrumented await through a plain
// wrapper function (a), through an async function of the user's with no await of its own that returns it (b), or
// comes from async code compiled to generators (`__awaiter`, tsc target ES2016) (c). No callee handed to the
// runtime is an async function that awaits; what gives it away is the dependency's code resuming, unseen, while
// the run waits for that promise.
const WRAPPED = (dep: string): string => `import { Dep } from './${dep}';
export class Wallet {
  constructor(balance) { this.dep = new Dep(balance); }
  pass(n) { return this.dep.withdraw("a", n); }
  async passAsync(n) { return this.dep.withdraw("a", n); }
  async withdrawThroughWrapper(n) {
    return await this.pass(n);
  }
  async withdrawThroughAsync(n) {
    return await this.passAsync(n);
  }
  async withdraw(n) {
    return await this.dep.withdraw("a", n);
  }
}
`;

type Way = 'withdrawThroughWrapper' | 'withdrawThroughAsync' | 'withdraw';
type WrappedWallet = new (balance: number) => { dep: { balance: number } } & Record<Way, (n: number) => Promise<boolean>>;

/** DEP as tsc emits it for target ES2016: every async method an `__awaiter` over a generator. */
function generatorDep(): string {
  const out = ts.transpileModule(DEP, { compilerOptions: { target: ts.ScriptTarget.ES2016, module: ts.ModuleKind.ESNext } }).outputText;
  expect(out).toContain('__awaiter');
  expect(out).not.toMatch(/\bawait\b/);
  return out;
}

async function wrappedWallet(dep: 'plain' | 'generators' | 'instrumented' | 'generators-instrumented'): Promise<WrappedWallet> {
  const n = files++;
  const depFile = join(dir, `dep${n}.mjs`);
  const source = dep.startsWith('generators') ? generatorDep() : DEP;
  writeFileSync(depFile, dep.endsWith('instrumented') ? (instrument(source, depFile)?.code ?? source) : source);
  const walletFile = join(dir, `wrapped${n}.mjs`);
  writeFileSync(walletFile, instrument(WRAPPED(`dep${n}.mjs`), walletFile)!.code);
  return ((await import(pathToFileURL(walletFile).href)) as { Wallet: WrappedWallet }).Wallet;
}

function wrappedWorkload(Wallet: WrappedWallet, how: Way, amount = 70): Workload {
  return twoWithdrawals(`dep-${how}`, () => new Wallet(100), how, amount);
}

describe('uninstrumented async code reached other than by a direct await of an async function', () => {
  const cases: [string, 'plain' | 'generators', Way, RegExp][] = [
    ['(a) through a plain wrapper function', 'plain', 'withdrawThroughWrapper', /wrapped\d+\.mjs:7:\d+ \(await this\.pass\(n\)\)/],
    ['(b) through an async function without awaits that returns its promise', 'plain', 'withdrawThroughAsync', /wrapped\d+\.mjs:10:\d+ \(await this\.passAsync\(n\)\)/],
    ['(c) compiled to generators (__awaiter), awaited directly', 'generators', 'withdraw', /wrapped\d+\.mjs:13:\d+ \(await this\.dep\.withdraw\("a", n\)\)/],
  ];
  for (const [what, dep, how, where] of cases) {
    it(`${what}: inconclusive, naming the await and how many resumptions went unseen`, async () => {
      const Wallet = await wrappedWallet(dep);
      const r = await explore(wrappedWorkload(Wallet, how), { strategy: 'dfs', ambient: true, seed: 1 });
      expect(r.verdict).toBe('inconclusive');
      expect(r.inconclusive?.first).toMatch(where);
      expect(r.inconclusive?.first).toMatch(/\(task "w\d"\) waited for code racelab did not instrument, which resumed \d+ times? without a scheduling point/);
    });
  }

  it('the same dependency instrumented (from its source, or as compiled): the lost update is found', async () => {
    // Generator-compiled code has no await, but the transform makes each `.then` continuation of __awaiter a point.
    for (const dep of ['instrumented', 'generators-instrumented'] as const) {
      const Wallet = await wrappedWallet(dep);
      for (const how of ['withdrawThroughWrapper', 'withdrawThroughAsync', 'withdraw'] as const) {
        const r = await explore(wrappedWorkload(Wallet, how), { strategy: 'dfs', ambient: true, seed: 1 });
        expect(r.verdict, `${dep} ${how}`).toBe('race-found');
        expect(r.firstFailure?.message).toMatch(/paid out 140 from 100/);
      }
    }
  });

  it("io: 'atomic' declares each such call one step (a proof of that model); a call that returns before resuming is one step anyway", async () => {
    const Wallet = await wrappedWallet('generators');
    for (const how of ['withdrawThroughWrapper', 'withdraw'] as const) {
      const atomic = await explore(wrappedWorkload(Wallet, how), { strategy: 'dfs', ambient: true, seed: 1, io: 'atomic' });
      expect(atomic.inconclusive).toBeUndefined();
      expect(atomic.verdict).toBe('proved');
    }
    const plain = await wrappedWallet('plain');
    const early = await explore(wrappedWorkload(plain, 'withdrawThroughWrapper', 0), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(early.inconclusive).toBeUndefined();
    expect(early.verdict).toBe('proved');
  });
});

describe('the callee handed to the runtime', () => {
  it('wraps a named callee or a receiver only where the call means the same: not in an optional chain, super, eval', async () => {
    const program = [
      'class Base { async m(x) { return x + 1; } }',
      'export class C extends Base {',
      '  constructor() { super(); this.k = 2; }',
      '  async get(x) { return this.k * x; }',
      '  async run(f, a) {',
      '    const r1 = await f(3);',
      '    const r2 = await this.get(4);',
      '    const r3 = await a?.b.get(5);',
      '    const r4 = await super.m(6);',
      '    const r5 = await eval("f(7)");',
      '    return [r1, r2, r3, r4, r5];',
      '  }',
      '}',
    ].join('\n');
    const file = join(dir, 'callee.mjs');
    const out = instrument(program, file)!;
    expect(out.code).toContain('__rl$.k(0,f)(__rl$.g(0,3))');
    expect(out.code).toContain('__rl$.r(1,this).get(__rl$.g(1,4))');
    expect(out.code).toContain('a?.b.get(__rl$.g(2,5))');
    expect(out.code).toContain('super.m(__rl$.g(3,6))');
    expect(out.code).toContain('eval(__rl$.g(4,"f(7)"))');
    writeFileSync(file, out.code);
    const { C } = (await import(pathToFileURL(file).href)) as { C: new () => { run(f: (x: number) => Promise<number>, a: unknown): Promise<unknown[]> } };
    const f = async (x: number): Promise<number> => x * 10;
    // Outside an exploration and inside one (each call its own task), the values are those of the code as written.
    expect(await new C().run(f, null)).toEqual([30, 8, undefined, 7, 70]);
    // The task ends at its await (code of this file after it would be code racelab does not see): it keeps the promise.
    const results: Promise<unknown[]>[] = [];
    const run = async (): Promise<void> => {
      const call = new C().run(f, { b: new C() });
      results.push(call);
      await call;
    };
    const r = await explore({ name: 'callee', setup: () => ({ tasks: [['t', run]] }) }, { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.verdict).toBe('proved');
    expect(await results[0]).toEqual([30, 8, 10, 7, 70]);
  });
});

// The smallest dependency that loses an update: it reads, awaits once (a log, a metric, a cache touch), then
// writes. Uninstrumented, it resumes exactly once before it settles, so one unseen resumption while an
// instrumented await waits must be enough for `inconclusive` (it was not, with a threshold of two: a false proof).
const ONE_AWAIT = `
export class Ledger {
  constructor(balance) { this.balance = balance; }
  async log() {}
  async withdraw(n) {
    const b = this.balance;
    if (b < n) return false;
    await this.log();
    this.balance = b - n;
    return true;
  }
}
`;

const ONE_AWAIT_WALLET = (dep: string): string => `import { Ledger } from './${dep}';
export class Wallet {
  constructor(balance) { this.dep = new Ledger(balance); }
  pass(n) { return this.dep.withdraw(n); }
  async withdrawThroughWrapper(n) {
    return await this.pass(n);
  }
}
`;

/**
 * Writes a dependency (`<dep>N.mjs`, instrumented or not) and the user's module that imports it (`<user>N.mjs`,
 * instrumented), and returns the user's export `name`.
 */
async function userOfDependency<T>(dep: string, depSource: string, instrumented: boolean, user: string, userSource: (depFile: string) => string, name: string): Promise<T> {
  const n = files++;
  const depFile = join(dir, `${dep}${n}.mjs`);
  writeFileSync(depFile, instrumented ? instrument(depSource, depFile)!.code : depSource);
  const file = join(dir, `${user}${n}.mjs`);
  writeFileSync(file, instrument(userSource(`${dep}${n}.mjs`), file)!.code);
  return ((await import(pathToFileURL(file).href)) as Record<string, T>)[name] as T;
}

function oneAwaitWallet(instrumented: boolean): Promise<WrappedWallet> {
  return userOfDependency('ledger', ONE_AWAIT, instrumented, 'one', ONE_AWAIT_WALLET, 'Wallet');
}

describe('a dependency that reads, awaits once, then writes, behind a plain wrapper', () => {
  it('uninstrumented: inconclusive, naming the await and its one unseen resumption', async () => {
    const Wallet = await oneAwaitWallet(false);
    const r = await explore(wrappedWorkload(Wallet, 'withdrawThroughWrapper'), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.firstFailure).toBeUndefined();
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toMatch(
      /^the await at .*one\d+\.mjs:6:\d+ \(await this\.pass\(n\)\) \(task "w\d"\) waited for code racelab did not instrument, which resumed 1 time without a scheduling point/,
    );
  });

  it('instrumented: the lost update is found (the race the uninstrumented run could not see is real)', async () => {
    const Wallet = await oneAwaitWallet(true);
    const r = await explore(wrappedWorkload(Wallet, 'withdrawThroughWrapper'), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.message).toMatch(/paid out 140 from 100/);
    expect(r.firstFailure?.shrunk.trace).toMatch(/ledger\d+\.mjs:8 this\.log\(\)/);
  });

  it("io: 'atomic': each call declared one step, so the search proves that model", async () => {
    const Wallet = await oneAwaitWallet(false);
    const r = await explore(wrappedWorkload(Wallet, 'withdrawThroughWrapper'), { strategy: 'dfs', ambient: true, seed: 1, io: 'atomic' });
    expect(r.inconclusive).toBeUndefined();
    expect(r.verdict).toBe('proved');
    expect(r.dfs?.exhausted).toBe(true);
  });
});

// The same one-await dependency reached with no instrumented await waiting on it at all: an instrumented async
// function that returns its promise (after a point of its own), a `.then` chain on it, `Promise.race`, or a
// call nobody awaits (fire and forget, before or after a point). Its read, await, write then ran inside one step,
// its await no point; what gives it away is that it awaited and resumed within that one step.
const COUNTER = `
export class Counter {
  constructor() { this.n = 0; }
  async log() {}
  async inc() {
    const v = this.n;
    await this.log();
    this.n = v + 1;
    return v;
  }
}
`;

const ROUTES = (dep: string): string => `import { Counter } from './${dep}';
export class Service {
  constructor() { this.counter = new Counter(); }
  async audit() {}
  async returned() { await this.audit(); return this.counter.inc(); }
  async chained() { await this.audit(); return this.counter.inc().then((v) => v + 1); }
  async raced() { await this.audit(); return Promise.race([this.counter.inc()]); }
  async fireFirst() { void this.counter.inc(); await this.audit(); }
  async fireAfter() { await this.audit(); void this.counter.inc(); }
  async own() { const v = this.counter.n; await this.audit(); this.counter.n = v + 1; }
  async bump() { await this.audit(); this.counter.n += 1; }
}
`;

type Route = 'returned' | 'chained' | 'raced' | 'fireFirst' | 'fireAfter';
type RouteService = new () => { counter: { n: number; inc(): Promise<number> } } & Record<Route | 'own' | 'bump', () => Promise<unknown>>;

function routeService(instrumented: boolean): Promise<RouteService> {
  return userOfDependency('counter', COUNTER, instrumented, 'routes', ROUTES, 'Service');
}

/** Two calls of one route: the counter must end at 2. `glue` is how the workload calls it. */
function routeWorkload(Service: RouteService, route: Route, glue: 'async' | 'bare'): Workload {
  return {
    name: `route-${route}-${glue}`,
    setup() {
      const s = new Service();
      const task = glue === 'async' ? async (): Promise<void> => void (await s[route]()) : (): Promise<void> => s[route]() as Promise<void>;
      return { tasks: [['t1', task], ['t2', task]], invariant: () => s.counter.n === 2 || `counted ${s.counter.n} of 2` };
    },
  };
}

const ROUTE_LINES: Record<Route, number> = { returned: 5, chained: 6, raced: 7, fireFirst: 8, fireAfter: 9 };

describe('a one-await dependency that no instrumented await waits on', () => {
  for (const route of Object.keys(ROUTE_LINES) as Route[]) {
    it(`${route}: inconclusive uninstrumented (whether the task awaits the call or returns it), found instrumented`, async () => {
      const Plain = await routeService(false);
      for (const glue of ['async', 'bare'] as const) {
        const r = await explore(routeWorkload(Plain, route, glue), { strategy: 'dfs', ambient: true, seed: 1 });
        expect(r.firstFailure, glue).toBeUndefined();
        expect(r.verdict, glue).toBe('inconclusive');
        // Named by the step it ran in: the task's start, or the response of the point before it.
        const step = route === 'fireFirst' ? 'start' : `routes\\d+\\.mjs:${ROUTE_LINES[route]} audit\\(\\)`;
        expect(r.inconclusive?.first, glue).toMatch(
          new RegExp(`^code racelab did not instrument awaited and resumed in the step of task "t\\d" after ${step}.* \\(1 time\\) with no scheduling point between`),
        );
      }
      const Instrumented = await routeService(true);
      const found = await explore(routeWorkload(Instrumented, route, 'async'), { strategy: 'dfs', ambient: true, seed: 1 });
      expect(found.verdict).toBe('race-found');
      expect(found.firstFailure?.message).toBe('counted 1 of 2');
    });
  }

  it("io: 'atomic' declares such code one step: proved", async () => {
    const Plain = await routeService(false);
    const r = await explore(routeWorkload(Plain, 'returned', 'async'), { strategy: 'dfs', ambient: true, seed: 1, io: 'atomic' });
    expect(r.inconclusive).toBeUndefined();
    expect(r.verdict).toBe('proved');
  });

  // A task function's own last resumption is the workload's glue, not counted; a task function that is a call of
  // the dependency must not pass for glue. Here its read, await, write is one step unless reported: the other
  // task's increment (after a point) could never land inside it, and dfs would prove the lost update absent.
  it('a task that is itself a call of the dependency is not taken for the workload glue', async () => {
    const Plain = await routeService(false);
    const r = await explore(
      {
        name: 'route-dep-task',
        setup() {
          const s = new Plain();
          return {
            tasks: [['dep', () => s.counter.inc() as Promise<unknown> as Promise<void>], ['bump', async () => void (await s.bump())]],
            invariant: () => s.counter.n === 2 || `counted ${s.counter.n} of 2`,
          };
        },
      },
      { strategy: 'dfs', ambient: true, seed: 1 },
    );
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toMatch(/^code racelab did not instrument awaited and resumed in the step of task "dep" after start/);
  });
});

// One unseen resumption is enough for `inconclusive`, and a step is watched even with no await waiting: the
// usual fixes must still be proved. They are code the user wrote (test/fixtures/user-code, instrumented by
// vitest.config.ts) and async-mutex, which vitest.config.ts names; nothing uninstrumented resumes in their runs
// but the workload's own task functions. (test/explore/unmodified-shapes.test.ts proves the rest of the shapes.)
// The usual fixes (the wallet's promise-chain lock, async-mutex, version check, atomic operation, and the memoized
// connect) are proved by dfs with nothing reported in test/explore/unmodified-shapes.test.ts, on the same workloads
// and options: that is where a detection here that counted too much would show (the promise-chain lock's proof is
// about 190,000 schedules, two minutes of CI, not run twice).

// Uninstrumented code that awaits in one step and resumes in a later one, while no instrumented await waits on
// it: a helper the user's code calls without awaiting it (fire and forget), stores and awaits only after other
// points, or hands to a callback. The helper reads, awaits a gate that another task (`release`, once the helper
// has started) or its own task (`self`, after a point) opens, then writes. Its resumption runs inside the
// opening step, so `bump`, waiting on the same gate since before, never runs between the gate opening and the
// helper's write, and dfs would prove the lost update absent. Run as plain JavaScript, `bump` (first in line on
// the gate) resumes first and its increment is lost.
const GATED = `
export async function incAfter(box, gate) {
  const v = box.n;
  await gate;
  box.n = v + 1;
}
export async function incAfterOpen(box) {
  const v = box.n;
  await box.waitOpen();
  box.n = v + 1;
}
export async function incAfterEvent(box) {
  const v = box.n;
  await box.waitEvent();
  box.n = v + 1;
}
`;

const GATED_ROUTES = (dep: string): string => `import { EventEmitter } from 'node:events'; import { incAfter, incAfterOpen, incAfterEvent } from './${dep}';
export class Box {
  constructor() { this.n = 0; this.gate = new Promise((r) => { this.open = r; }); this.started = new Promise((r) => { this.ready = r; }); this.kept = []; this.waiters = []; this.events = new EventEmitter(); }
  async audit() {}
  async release() { await this.started; this.open(); for (const w of this.waiters) w(); }
  async bump() { await this.gate; this.n += 1; }
  async fire() { void incAfter(this, this.gate); this.ready(); await this.audit(); }
  async stored() { const p = incAfter(this, this.gate); this.ready(); await this.audit(); await this.audit(); await p; }
  async callback() { this.keep(incAfter(this, this.gate)); this.ready(); await this.audit(); }
  async self() { void incAfter(this, this.gate); await this.audit(); this.open(); }
  keep(p) { this.kept.push(p); }
  waitOpen() { return new Promise((r) => this.waiters.push(r)); }
  async waited() { void incAfterOpen(this); this.ready(); await this.audit(); }
  async selfWaited() { void incAfterOpen(this); await this.audit(); this.open(); for (const w of this.waiters) w(); }
  waitEvent() { return new Promise((r) => this.events.once('open', r)); }
  async selfEmitted() { void incAfterEvent(this); await this.audit(); this.open(); this.events.emit('open'); }
}
`;

// \`waited\`: the helper awaits a promise a plain function made and returned (\`waitOpen()\`), which \`release\` settles:
// taken for the result of the call it awaits, it counts once it is seen settled in another task's step.
type GatedRoute = 'fire' | 'stored' | 'callback' | 'self';
type SelfRoute = 'self' | 'selfWaited' | 'selfEmitted';
type GatedBox = new () => { n: number } & Record<GatedRoute | 'waited' | 'selfWaited' | 'selfEmitted' | 'release' | 'bump', () => Promise<void>>;

function gatedBox(instrumented: boolean): Promise<GatedBox> {
  return userOfDependency('gated', GATED, instrumented, 'gatedroutes', GATED_ROUTES, 'Box');
}

const selfRoute = (route: string): route is SelfRoute => route === 'self' || route === 'selfWaited' || route === 'selfEmitted';

function gatedWorkload(Box: GatedBox, route: GatedRoute | 'waited' | 'selfWaited' | 'selfEmitted'): Workload {
  return {
    name: `gated-${route}`,
    setup() {
      const b = new Box();
      const tasks: [string, () => Promise<void>][] = [
        ['bump', async () => void (await b.bump())],
        ['helper', async () => void (await b[route]())],
      ];
      if (!selfRoute(route)) tasks.push(['release', async () => void (await b.release())]);
      return { tasks, invariant: () => b.n === 2 || `counted ${b.n} of 2` };
    },
  };
}

describe('uninstrumented code that resumes in a later step than it awaited, no instrumented await waiting', () => {
  it('the race is real: run as written, outside an exploration, bump resumes first and its increment is lost', async () => {
    const Box = await gatedBox(false);
    for (const route of ['fire', 'self', 'waited', 'selfWaited', 'selfEmitted'] as const) {
      const b = new Box();
      await Promise.all(selfRoute(route) ? [b.bump(), b[route]()] : [b.bump(), b[route](), b.release()]);
      await new Promise((r) => setTimeout(r, 0));
      expect(b.n, route).toBe(1);
    }
  });

  it('waited: a promise a plain function made, settled in another task\'s step, is no call result: inconclusive uninstrumented; found instrumented, the stuck helper ending at the stall', async () => {
    const Plain = await gatedBox(false);
    const r = await explore(gatedWorkload(Plain, 'waited'), { strategy: 'dfs', ambient: true, seed: 1, runs: 20_000 });
    expect(r.firstFailure).toBeUndefined();
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toMatch(/^code racelab did not instrument resumed in the step of task "release" after gatedroutes\d+\.mjs:5 .*, having awaited in an earlier step, with no scheduling point at its resumption \(1 time\)/);
    // Instrumented, the first schedule already loses the increment: release opens before the helper's waiter is in
    // the list, so the helper waits for ever (so does the program as written). The run ends at the stall (a real
    // 250 ms wait for I/O); it once waited on a faked timer that never fired, and the run never ended.
    const Instrumented = await gatedBox(true);
    const found = await explore(gatedWorkload(Instrumented, 'waited'), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(found.verdict).toBe('race-found');
    expect(found.firstFailure?.message).toBe('counted 1 of 2');
  }, 30_000);

  // selfWaited: before, the promise was taken for a call's result (an async function's, settled when it returned)
  // and dfs proved the lost update absent. The helper resumes inside the helper task's step after audit(), where
  // bump, waiting on the gate opened just before, runs first in the program as written. selfEmitted: the same,
  // resolved through Node's emit; before, any frame of Node's on the stack (node:events here) was taken for Node
  // calling back (a timer, I/O), and dfs proved it absent too. A function of Node's that the program calls is a
  // plain call.
  it.each([
    ['selfWaited', 'a promise the awaiting task itself resolves in a later step'],
    ['selfEmitted', 'the same promise resolved by an event the awaiting task emits on an EventEmitter of its own'],
  ] as const)('%s: %s counts too: inconclusive uninstrumented, naming that step; found instrumented', async (route, _what) => {
    const Plain = await gatedBox(false);
    const r = await explore(gatedWorkload(Plain, route), { strategy: 'dfs', ambient: true, seed: 1, runs: 200_000 });
    expect(r.firstFailure).toBeUndefined();
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toMatch(/^code racelab did not instrument resumed in the step of task "helper" after gatedroutes\d+\.mjs:\d+ audit\(\).*, having awaited in an earlier step, with no scheduling point at its resumption \(1 time\)/);
    const Instrumented = await gatedBox(true);
    const found = await explore(gatedWorkload(Instrumented, route), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(found.verdict).toBe('race-found');
    expect(found.firstFailure?.message).toBe('counted 1 of 2');
  });

  // A helper called and not awaited that reads, waits on something of Node's, then writes; the task that called it
  // goes on. Its resolve is called from a callback of Node's or of the fake clock, which is a step of the run (a
  // timer firing) or real I/O (with io: 'atomic', one step): resuming right after it is what a point gives. Counted
  // as a resumption glued to a step, every fire-and-forget sleep in a dependency would make its run inconclusive.
  it.each([
    ['sleeps on a timer of its own (its resolve called from the timer callback)', `export async function waitThenInc(box) { const v = box.n; await new Promise((r) => setTimeout(() => r(), 30)); box.n = v + 1; }`, {}],
    [
      "waits for an event its own timer emits (the emit is the program's, the timer below it is not)",
      `import { EventEmitter } from 'node:events';
export async function waitThenInc(box) { const v = box.n; const e = new EventEmitter(); setTimeout(() => e.emit('tick'), 30); await new Promise((r) => e.once('tick', r)); box.n = v + 1; }`,
      {},
    ],
    [
      "reads a file, with io: 'atomic' (its resolve called from the I/O callback: one atomic step)",
      `import { readFile } from 'node:fs';
export async function waitThenInc(box) { const v = box.n; await new Promise((r) => readFile(box.path, () => r())); box.n = v + 1; }`,
      { io: 'atomic' },
    ],
  ] as const)('a helper that %s resumes at a step of the run: not counted', async (_what, helper, options) => {
    const ROUTES = (dep: string): string => `import { waitThenInc } from './${dep}';
export class Box { constructor(path) { this.n = 0; this.path = path; } async noop() {} async go() { void waitThenInc(this); await this.noop(); } }
`;
    const Box = await userOfDependency<new (path: string) => { n: number; go(): Promise<void> }>('waits', helper, false, 'waitsroutes', ROUTES, 'Box');
    const w: Workload = {
      name: 'waits',
      setup() {
        const b = new Box(fileURLToPath(import.meta.url));
        return { tasks: [['go', async () => void (await b.go())], ['other', async () => {}]], invariant: () => true };
      },
    };
    const r = await explore(w, { strategy: 'dfs', ambient: true, seed: 1, ...options });
    expect(r.inconclusive, r.inconclusive?.first).toBeUndefined();
    expect(r.verdict).toBe('proved');
  });

  const OPENED: Record<GatedRoute, string> = { fire: 'release" after gatedroutes\\d+\\.mjs:5 ', stored: 'release" after gatedroutes\\d+\\.mjs:5 ', callback: 'release" after gatedroutes\\d+\\.mjs:5 ', self: 'helper" after gatedroutes\\d+\\.mjs:10 audit\\(\\)' };
  for (const route of Object.keys(OPENED) as GatedRoute[]) {
    it(`${route}: inconclusive uninstrumented, naming the step it resumed in; found instrumented`, async () => {
      const Plain = await gatedBox(false);
      const r = await explore(gatedWorkload(Plain, route), { strategy: 'dfs', ambient: true, seed: 1, runs: 200_000 });
      expect(r.firstFailure).toBeUndefined();
      expect(r.verdict).toBe('inconclusive');
      expect(r.inconclusive?.first).toMatch(
        new RegExp(`^code racelab did not instrument resumed in the step of task "${OPENED[route]}.*, having awaited in an earlier step, with no scheduling point at its resumption \\(1 time\\)`),
      );
      const Instrumented = await gatedBox(true);
      const found = await explore(gatedWorkload(Instrumented, route), { strategy: 'dfs', ambient: true, seed: 1 });
      expect(found.verdict).toBe('race-found');
      expect(found.firstFailure?.message).toBe('counted 1 of 2');
    });
  }
});

// A dependency's lazy query (knex, mongoose and Prisma queries are thenables: the work starts when `then` is
// called): awaited directly, returned from an async function, or handed to Promise.all, V8 calls its `then`, which
// runs the dependency's read, await, write. Those calls once ran inside racelab's own region (the instrumented await
// called `then` itself) or inside V8's adoption job (hidden as V8's wiring), and dfs proved the lost update absent.
const QUERY = `
export class Table {
  constructor(n) { this.n = n; }
  async incrementNow(by) { const v = this.n; await null; this.n = v + by; }
  increment(by) { return { then: (ok, fail) => this.incrementNow(by).then(ok, fail) }; }
}
`;
const QUERY_USER = (dep: string): string => `import { Table } from './${dep}';
export function make() { return new Table(0); }
export async function direct(t) { await t.increment(1); }
async function returned(t) { return t.increment(1); }
export async function viaReturn(t) { await returned(t); }
export async function viaAll(t) { await Promise.all([t.increment(1)]); }
`;

describe('a thenable from a dependency (a lazy query)', () => {
  type QueryUser = Record<'direct' | 'viaReturn' | 'viaAll', (t: { n: number }) => Promise<void>> & { make(): { n: number } };
  async function queryUser(depInstrumented: boolean): Promise<QueryUser> {
    const n = files++;
    const depFile = join(dir, `query${n}.mjs`);
    writeFileSync(depFile, depInstrumented ? instrument(QUERY, depFile)!.code : QUERY);
    const userFile = join(dir, `query-user${n}.mjs`);
    writeFileSync(userFile, instrument(QUERY_USER(`query${n}.mjs`), userFile)!.code);
    return (await import(pathToFileURL(userFile).href)) as QueryUser;
  }
  const increments = (m: QueryUser, how: 'direct' | 'viaReturn' | 'viaAll'): Workload => ({
    name: `query-${how}`,
    setup() {
      const t = m.make();
      const inc = (): Promise<void> => m[how](t);
      return { tasks: [['x', inc], ['y', inc]], invariant: () => t.n === 2 || `${t.n} after two increments` };
    },
  });

  for (const how of ['direct', 'viaReturn', 'viaAll'] as const) {
    it(`${how}: inconclusive while the dependency is not instrumented (plain Promise.all loses an increment); found once it is`, async () => {
      const plain = await queryUser(false);
      const t = plain.make();
      await Promise.all([plain[how](t), plain[how](t)]);
      expect(t.n).toBe(1);
      const r = await explore(increments(plain, how), { strategy: 'dfs', ambient: true, seed: 1 });
      expect(r.verdict).toBe('inconclusive');
      expect(r.inconclusive?.first).toMatch(/waited for code racelab did not instrument, which resumed/);
      const found = await explore(increments(await queryUser(true), how), { strategy: 'dfs', ambient: true, seed: 1 });
      expect(found.verdict).toBe('race-found');
      expect(found.firstFailure?.message).toMatch(/1 after two increments/);
    });
  }
});

// A dependency's async function that awaits a callback's promise, then writes (a timing or metrics wrapper):
// `await job()` is a call's result, settled in the awaiting task's own step when the instrumented job returns, and
// the wrapper's write after it once ran glued to that step. Another task woken in that step (the gate job opened)
// runs first in the program as written and reads the count before the write; dfs proved that stale read absent.
const TIMED = `
export async function timed(stats, job) {
  const r = await job();
  stats.finished++;
  return r;
}
`;
const TIMED_USER = (dep: string): string => `import { timed } from './${dep}';
export class Jobs {
  constructor() { this.stats = { finished: 0 }; this.gate = new Promise((r) => { this.open = r; }); this.seen = -1; }
  async audit() {}
  async work() { await this.audit(); this.open(); return 1; }
  async run() { await this.audit(); return timed(this.stats, () => this.work()); }
  async watch() { await this.gate; this.seen = this.stats.finished; }
}
`;
type TimedJobs = new () => { seen: number; run(): Promise<number>; watch(): Promise<void> };

describe('a dependency that writes after awaiting a callback it was handed (the await of a call, glued to the step the callee returned in)', () => {
  const jobs = (Jobs: TimedJobs): Workload => ({
    name: 'timed',
    setup() {
      const j = new Jobs();
      return {
        tasks: [['run', async () => void (await j.run())], ['watch', async () => void (await j.watch())]],
        invariant: () => j.seen === 1 || `watch saw ${j.seen} finished after the gate opened`,
      };
    },
  });

  it('the race is real: run as written, the watcher reads the count before the wrapper writes it', async () => {
    const Jobs = await userOfDependency<TimedJobs>('timed', TIMED, false, 'timeduser', TIMED_USER, 'Jobs');
    const j = new Jobs();
    await Promise.all([j.run(), j.watch()]);
    expect(j.seen).toBe(0);
  });

  it('uninstrumented: inconclusive, naming the step it resumed in; instrumented: the stale read is found', async () => {
    const Plain = await userOfDependency<TimedJobs>('timed', TIMED, false, 'timeduser', TIMED_USER, 'Jobs');
    const r = await explore(jobs(Plain), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.firstFailure).toBeUndefined();
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toMatch(/^code racelab did not instrument \(.*timed\d+\.mjs\) resumed in the step of task "run" after timeduser\d+\.mjs:5 audit\(\).*, having awaited in an earlier step/);
    const Instrumented = await userOfDependency<TimedJobs>('timed', TIMED, true, 'timeduser', TIMED_USER, 'Jobs');
    const found = await explore(jobs(Instrumented), { strategy: 'dfs', ambient: true, seed: 1 });
    expect(found.verdict).toBe('race-found');
    expect(found.firstFailure?.message).toBe('watch saw 0 finished after the gate opened');
  });
});

// The workload's own code between two awaits, in a file racelab did not instrument (a test file a narrowed include
// leaves out). `await store.put('x', me)` resumes after put returned, inside the step put's write ran in; so does
// the start of the next call, read, whose read comes before its first await. Each task then read its own write in
// every schedule, and dfs said `proved`, while in the program as written the other task's write comes between
// (microtask turns pass before the awaiting code resumes) and each task reads the other's or the last one.
const STORE = `
export class Store {
  constructor() { this.m = new Map([['x', '-']]); }
  async tick() {}
  async put(k, v) { await this.tick(); this.m.set(k, v); }
  async read(k) { const v = this.m.get(k); await this.tick(); return v; }
}
`;
const OWN_WRITES = (store: string): string => `import { Store } from './${store}';
function setup() {
  const s = new Store();
  const seen = {};
  const writer = (me) => async () => {
    await s.put('x', me);
    seen[me] = await s.read('x');
  };
  return {
    tasks: [['a', writer('a')], ['b', writer('b')]],
    invariant: () => (seen.a === 'a' && seen.b === 'b') || \`a read \${seen.a}, b read \${seen.b}\`,
  };
}
export const ownWrites = { name: 'own-writes', setup };
export async function runPlain() {
  const run = setup();
  await Promise.all(run.tasks.map(([, task]) => task()));
  return run.invariant();
}
`;

async function ownWrites(workloadInstrumented: boolean): Promise<{ file: string; workload: Workload; runPlain: () => Promise<true | string> }> {
  const n = files++;
  const storeFile = join(dir, `store${n}.mjs`);
  writeFileSync(storeFile, instrument(STORE, storeFile)!.code);
  const file = join(dir, `ownwrites${n}.mjs`);
  const source = OWN_WRITES(`store${n}.mjs`);
  writeFileSync(file, workloadInstrumented ? instrument(source, file)!.code : source);
  const loaded = (await import(pathToFileURL(file).href)) as { ownWrites: Workload; runPlain: () => Promise<true | string> };
  return { file: `ownwrites${n}.mjs`, workload: loaded.ownWrites, runPlain: loaded.runPlain };
}

describe("the workload's own code between two awaits (its file not instrumented)", () => {
  it('the race is real: run as written, a task reads the other\'s write', async () => {
    const { runPlain } = await ownWrites(false);
    expect(await runPlain()).toBe('a read b, b read b');
  });

  it('is never a proof: inconclusive, naming the file, at every exploration of the process; instrumented, the race is found', async () => {
    const { file, workload } = await ownWrites(false);
    // Twice in a row: the first exploration installs the promise hooks in the middle of its first step, the second
    // finds them installed (every promise of its runs seen made).
    for (let i = 0; i < 2; i++) {
      const r = await explore(workload, { strategy: 'dfs', ambient: true, seed: 1 });
      expect(r.firstFailure).toBeUndefined();
      expect(r.verdict).toBe('inconclusive');
      expect(r.inconclusive?.first).toContain(`the workload's own code (`);
      expect(r.inconclusive?.first).toMatch(new RegExp(`${file.replace('.', '\\.')}, the file of its task functions, not instrumented\\) resumed in the step of task "[ab]" after store\\d+\\.mjs:5 tick\\(\\) returns after an await of a call that returned in that step`));
      expect(r.inconclusive?.first).toContain('instrument that file too');
    }
    const instrumented = await ownWrites(true);
    const found = await explore(instrumented.workload, { strategy: 'dfs', ambient: true, seed: 1 });
    expect(found.verdict).toBe('race-found');
    expect(found.firstFailure?.message).toMatch(/^a read b|b read a/);
  });
});

// The same stale read when the call's promise settles by adoption: `async put(k, v) { return this.write(k, v); }`
// (an instrumented method that delegates; `events.once` is such an async function too). The outer promise settles
// in a promise job with no one's frame under it, which was taken for a timer's callback: not counted, and dfs said
// `proved` (252 schedules), for the workload's own code and for a dependency's.
const DELEGATING_STORE = `
export class Store {
  constructor() { this.m = new Map([['x', '-']]); this.seen = {}; }
  async tick() {}
  async write(k, v) { await this.tick(); this.m.set(k, v); }
  async put(k, v) { return this.write(k, v); }
  async read(k) { const v = this.m.get(k); await this.tick(); return v; }
}
`;
const PUT_THEN_READ = `
export async function putThenRead(s, me) { await s.put('x', me); s.seen[me] = s.m.get('x'); }
export function viaPlain(s, me) { return putThenRead(s, me); }
`;
type DelegatingStore = { m: Map<string, string>; seen: Record<string, string>; put(k: string, v: string): Promise<void>; read(k: string): Promise<string> };

/** The store (`source`, instrumented, as `${name}N.mjs`) and the dependency PUT_THEN_READ (not instrumented). */
async function storeAndDependency(source: string, name: string): Promise<{ Store: new () => DelegatingStore; viaPlain: (s: DelegatingStore, me: string) => Promise<void> }> {
  const n = files++;
  const storeFile = join(dir, `${name}${n}.mjs`);
  writeFileSync(storeFile, instrument(source, storeFile)!.code);
  const depFile = join(dir, `putthenread${n}.mjs`);
  writeFileSync(depFile, PUT_THEN_READ);
  const { Store } = (await import(pathToFileURL(storeFile).href)) as { Store: new () => DelegatingStore };
  const { viaPlain } = (await import(pathToFileURL(depFile).href)) as { viaPlain: (s: DelegatingStore, me: string) => Promise<void> };
  return { Store, viaPlain };
}

/** Each task read its own write. */
const ownReads = (s: DelegatingStore) => (): true | string => (s.seen.a === 'a' && s.seen.b === 'b') || `a read ${s.seen.a}, b read ${s.seen.b}`;

describe('a call whose promise settles by adopting another (an async function returning a promise)', () => {
  const load = () => storeAndDependency(DELEGATING_STORE, 'delegating');

  it('the race is real, and an exploration of it is never a proof: the workload\'s own code, and a dependency\'s', async () => {
    const { Store, viaPlain } = await load();
    const plain = new Store();
    await Promise.all(['a', 'b'].map(async (me) => { await plain.put('x', me); plain.seen[me] = await plain.read('x'); }));
    expect(ownReads(plain)()).toBe('a read b, b read b');

    const own: Workload = {
      name: 'delegating-own',
      setup() {
        const s = new Store();
        const task = (me: string) => async (): Promise<void> => {
          await s.put('x', me);
          s.seen[me] = await s.read('x');
        };
        return { tasks: [['a', task('a')], ['b', task('b')]], invariant: ownReads(s) };
      },
    };
    const dependency: Workload = {
      name: 'delegating-dependency',
      setup() {
        const s = new Store();
        return { tasks: [['a', async () => void (await viaPlain(s, 'a'))], ['b', async () => void (await viaPlain(s, 'b'))]], invariant: ownReads(s) };
      },
    };
    for (const [workload, first] of [
      [dependency, /^code racelab did not instrument \(.*putthenread\d+\.mjs\) resumed in the step of task "[ab]" after delegating\d+\.mjs:5 tick\(\) returns/],
      [own, /^the workload's own code \(.*uninstrumented-callee\.test\.ts, the file of its task functions, not instrumented\) resumed in the step of task "[ab]" after delegating\d+\.mjs:5 tick\(\) returns/],
    ] as const) {
      const r = await explore(workload, { strategy: 'dfs', ambient: true, seed: 1 });
      expect(r.firstFailure).toBeUndefined();
      expect(r.verdict, workload.name).toBe('inconclusive');
      expect(r.inconclusive?.first).toMatch(first);
    }
  });
});

// The same stale read behind a promise Node settles from a callback it deferred with its own process.nextTick:
// `stream/promises` finished() on a stream the store ends. It settled inside the step that ended the stream, from
// Node's frames alone, which were taken for a timer's or I/O's callback: dfs said `proved` (252 schedules) in a
// plain Node process. (Under Vitest the code before also said inconclusive, for another reason: the store's own
// await saw an uninstrumented reaction while it waited; the message checked here is the new count's.)
const STREAM_STORE = `import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
export class Store {
  constructor() { this.m = new Map([['x', '-']]); this.seen = {}; }
  async tick() {}
  put(k, v) {
    const stream = new PassThrough();
    (async () => { await this.tick(); this.m.set(k, v); stream.end(); stream.resume(); })();
    return finished(stream);
  }
}
`;

describe("a promise Node settles from a callback deferred with its own process.nextTick (stream/promises finished())", () => {
  it('the race is real; awaited by a dependency racelab did not instrument, never a proof', async () => {
    const { Store, viaPlain } = await storeAndDependency(STREAM_STORE, 'streamstore');
    const plain = new Store();
    await Promise.all([viaPlain(plain, 'a'), viaPlain(plain, 'b')]);
    expect(ownReads(plain)()).toBe('a read b, b read b');
    const r = await explore(
      {
        name: 'finished',
        setup() {
          const s = new Store();
          return { tasks: [['a', async () => void (await viaPlain(s, 'a'))], ['b', async () => void (await viaPlain(s, 'b'))]], invariant: ownReads(s) };
        },
      },
      { strategy: 'dfs', ambient: true, seed: 1 },
    );
    expect(r.firstFailure).toBeUndefined();
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toMatch(/^code racelab did not instrument \(.*putthenread\d+\.mjs\) resumed in the step of task "[ab]"/);
  });
});
