import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
  return {
    name: `dep-${how}`,
    setup() {
      const w = new Wallet(100);
      let paid = 0;
      const task = async (): Promise<void> => void ((await w[how](amount)) && (paid += amount));
      return {
        tasks: [['w1', task], ['w2', task]],
        invariant: () => paid + w.dep.balance === 100 || `paid out ${paid} from 100, balance ${w.dep.balance}`,
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
  return {
    name: `dep-${how}`,
    setup() {
      const w = new Wallet(100);
      let paid = 0;
      const task = async (): Promise<void> => void ((await w[how](amount)) && (paid += amount));
      return {
        tasks: [['w1', task], ['w2', task]],
        invariant: () => paid + w.dep.balance === 100 || `paid out ${paid} from 100, balance ${w.dep.balance}`,
      };
    },
  };
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
    const results: unknown[] = [];
    const r = await explore(
      { name: 'callee', setup: () => ({ tasks: [['t', async () => void results.push(await new C().run(f, { b: new C() }))]] }) },
      { strategy: 'dfs', ambient: true, seed: 1 },
    );
    expect(r.verdict).toBe('proved');
    expect(results[0]).toEqual([30, 8, 10, 7, 70]);
  });
});
