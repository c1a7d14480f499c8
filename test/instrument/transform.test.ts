import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { parseSync } from 'oxc-parser';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { INSTRUMENT_KEY } from '../../src/sched/await-site.js';
import { installInstrumentRuntime, type InstrumentHooks } from '../../src/instrument/runtime.js';
import { explore, yieldPoint, type Workload } from '../../src/index.js';
import { realClock } from '../../src/core/clock.js';
import { withScheduler, type Operation, type Scheduler } from '../../src/sched/scheduler.js';
import { instrument } from '../../src/instrument/transform.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-instrument-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes `code` to a fresh .mjs file and imports it (a new module instance each time). */
async function load(code: string): Promise<{ run?: (log: (x: unknown) => void) => Promise<unknown>; log?: unknown[] }> {
  const file = join(dir, `m${files++}.mjs`);
  writeFileSync(file, code);
  return import(pathToFileURL(file).href) as never;
}

/**
 * A chain of microtasks that logs `t0`, `t1`… while the program runs: an extra or a missing await anywhere in
 * the program moves its own entries against these, so equal logs mean the same microtask order.
 */
const TICKER = `
function ticker(log, n) { let p = Promise.resolve(); for (let i = 0; i < n; i++) p = p.then(() => log('t' + i)); }
const thenable = (v) => ({ then(resolve) { resolve(v); } });
`;

type Mode = 'original' | 'inert' | 'runtime';

/** Runs the program's `run(log)` as written, instrumented without racelab loaded, and with the runtime installed. */
async function runAs(program: string, mode: Mode): Promise<unknown[]> {
  const source = `${TICKER}\n${program}`;
  let code = source;
  if (mode !== 'original') {
    const out = instrument(source, join(dir, 'program.mjs'), { root: dir });
    expect(out, 'the program has awaits, so it is instrumented').not.toBeNull();
    code = out!.code;
  }
  const global = globalThis as Record<symbol, unknown>;
  const saved = global[INSTRUMENT_KEY];
  if (mode === 'inert') delete global[INSTRUMENT_KEY];
  try {
    const mod = await load(code);
    const log: unknown[] = [];
    const push = (x: unknown) => void log.push(x);
    if (mod.run) {
      const done = mod.run(push).then(
        (v) => push(['returned', v]),
        (e: unknown) => push(['threw', (e as Error).message]),
      );
      await done;
    }
    // Let the ticker finish before the log is read, so the comparison sees all of it.
    await new Promise((resolve) => setImmediate(resolve));
    return mod.log ? [...mod.log, ...log] : [...log];
  } finally {
    if (mode === 'inert') Object.defineProperty(globalThis, INSTRUMENT_KEY, { value: saved, configurable: true });
  }
}

async function expectSameBehaviour(program: string): Promise<unknown[]> {
  const original = await runAs(program, 'original');
  expect(await runAs(program, 'inert')).toEqual(original);
  expect(await runAs(program, 'runtime')).toEqual(original);
  return original;
}

const programs: Record<string, string> = {
  'sequential awaits of values, promises and thenables': `
    export async function run(log) {
      ticker(log, 12);
      log(await 1); log(await Promise.resolve(2)); log(await thenable(3));
      const p = Promise.resolve(4); log(await p); log(await null);
      return 'end';
    }`,
  'nested awaits and awaits in every kind of expression': `
    const o = { y: Promise.resolve('y'), async f(v) { return v * 2; } };
    async function g(v) { await null; return v + 1; }
    export async function run(log) {
      ticker(log, 30);
      log(await o.f(await g(await 1)));
      log(await undefined ?? 'fallback');
      log(!await false); log(typeof await 1); log(-await 2); log(void await 3);
      log(\`a\${await g(1)}b\${await o.y}c\`);
      log((await o.y).length); log(await o.y);
      log(Math.random() < 2 ? await g(10) : await g(20));
      log([await g(1), ...(await Promise.resolve([2, 3])), { k: await g(4) }]);
      log(await await await Promise.resolve(Promise.resolve(5)));
      log(await (async () => await g(7))());
      return await g(100);
    }`,
  'rejections, try/catch/finally and a throwing callee': `
    async function fails(m) { await null; throw new Error(m); }
    export async function run(log) {
      ticker(log, 20);
      try { await Promise.reject(new Error('rejected')); } catch (e) { log(e.message); }
      try { await fails('callee'); } catch (e) { log(e.message); } finally { log(await 'finally'); }
      await fails('escapes');
    }`,
  'class methods, private methods, static, this, super and arguments': `
    class Base { async name() { await null; return 'base'; } }
    class Account extends Base {
      #balance = 10;
      static async make() { return new Account(await 'x'); }
      constructor(tag) { super(); this.tag = tag; }
      async #read() { return await this.#balance; }
      async name() { return (await super.name()) + '/' + this.tag; }
      async args() { return await arguments.length; }
      get later() { return (async () => (await this.#read()) + 1)(); }
      async withdraw(n) { const b = await this.#read(); this.#balance = b - n; return this.#balance; }
    }
    export async function run(log) {
      ticker(log, 30);
      const a = await Account.make();
      log(await a.name()); log(await a.args(1, 2, 3)); log(await a.later);
      log(await Promise.all([a.withdraw(3), a.withdraw(4)]));
    }`,
  'for await over async generators, sync iterables and a break': `
    async function* gen(n) { for (let i = 0; i < n; i++) yield await i; }
    export async function run(log) {
      ticker(log, 30);
      for await (const v of gen(3)) log(v);
      for await (const v of [Promise.resolve('a'), 'b', thenable('c')]) log(v);
      for await (const v of gen(10)) { if (v === 2) break; log(await v); }
      const it = { [Symbol.asyncIterator]() { let i = 0; return { next: async () => ({ done: i >= 2, value: i++ }), return: async () => { log('return'); return { done: true }; } }; } };
      for await (const v of it) { log(v); break; }
    }`,
  'Promise.all of instrumented calls interleaved': `
    async function step(name, n) { for (let i = 0; i < n; i++) { await null; } return name; }
    export async function run(log) {
      ticker(log, 20);
      log(await Promise.all([step('a', 3), step('b', 1), step('c', 2)]));
      log(await Promise.race([step('slow', 5), step('fast', 1)]));
    }`,
  'then, catch and finally callbacks, and a then that is not a promise\'s': `
    const query = { then(resolve) { resolve('thenable'); } };
    export async function run(log) {
      ticker(log, 30);
      const p = Promise.resolve(1).then((v) => { log('then ' + v); return v + 1; }, (e) => log(e));
      await p.then(log).catch(log).finally(() => log('finally'));
      await Promise.reject(new Error('x')).catch((e) => log('caught ' + e.message)).then(undefined, null);
      log(await query.then((v) => v + '!'));
      log(await Promise.resolve(2).then(async (v) => (await v) * 2));
      const builder = { steps: [], then(...fns) { this.steps.push(fns.length); return this; } };
      log(builder.then(() => 1, () => 2).then().steps);
    }`,
  'top-level await': `
    export const log = [];
    ticker((x) => log.push(x), 8);
    log.push(await Promise.resolve('tla'));
    for await (const v of [1, 2]) log.push(v);
    log.push(await thenable('done'));`,
};

describe('instrumented code outside an exploration behaves as written', () => {
  for (const [name, program] of Object.entries(programs)) {
    it(name, async () => {
      const log = await expectSameBehaviour(program);
      expect(log.length, 'the program logged something to compare').toBeGreaterThan(3);
    });
  }

  it('random programs of awaits, calls and catches keep their microtask order (fast-check)', async () => {
    // A statement list over a few kinds of awaited values, in `run` and in a helper it calls (which must not call
    // itself, and logs nothing: only `run` has the log).
    const values = ['1', 'Promise.resolve(2)', 'thenable(3)', 'f1(4)', '(await Promise.resolve(6))'];
    const statement = (vs: string[], sink: string) =>
      fc.oneof(
        fc.constantFrom(...vs).map((v) => `${sink}(await ${v});`),
        fc.constantFrom(...vs).map((v) => `try { await Promise.reject(new Error(String(await ${v}))); } catch (e) { ${sink}(e.message); }`),
        fc.constant(`${sink}(await Promise.all([f1(7), f1(8)]));`),
        fc.constant(`void f1(9).then(${sink});`),
        fc.constant(`for await (const v of [f1(10), 11]) ${sink}(v);`),
      );
    await fc.assert(
      fc.asyncProperty(fc.array(statement([...values, 'f2(5)'], 'log'), { minLength: 1, maxLength: 8 }), fc.array(statement(values, 'drop'), { maxLength: 4 }), async (body, helper) => {
        const program = `
          const drop = () => {};
          async function f1(v) { await null; return v; }
          async function f2(v) { ${helper.join(' ')} return await f1(v); }
          export async function run(log) { ticker(log, 40); ${body.join('\n')} }`;
        await expectSameBehaviour(program);
      }),
      { numRuns: 40 },
    );
  });
});

describe('the rewrite', () => {
  it('leaves a module without await alone, and one it already instrumented, and one that does not parse', () => {
    expect(instrument('export const x = (a) => a.map((v) => v + 1);', '/p/a.ts')).toBeNull();
    const once = instrument('export async function f() { return await g(); }', '/p/a.ts')!;
    expect(instrument(once.code, '/p/a.ts')).toBeNull();
    expect(instrument('export async function f() { await ; }', '/p/a.ts')).toBeNull();
    // The word alone is not an await: in a string, a comment or an identifier nothing changes.
    expect(instrument('const awaitable = "await"; // await x\nexport { awaitable };', '/p/a.ts')).toBeNull();
  });

  it('makes every callback of .then/.catch/.finally a site named after its receiver', () => {
    const code = 'export const f = (store, key) =>\n  store.load(key).then((v) => v, (e) => null).catch(report).finally(done, ...more);';
    const out = instrument(code, '/p/cache.ts', { root: '/p' })!;
    expect(out.sites.map(({ line, column, text, kind }) => [line, column, text, kind])).toEqual([
      [2, 60, 'store.load(key).then((v) => v, (e) => null).catch(r….finally', 'then'],
      [2, 46, 'store.load(key).then((v) => v, (e) => null).catch', 'then'],
      [2, 18, 'store.load(key).then', 'then'],
    ]);
    // Each function argument is wrapped, a spread argument is left alone; with the option off, nothing at all.
    expect(out.code.match(/\.t\(/g)).toHaveLength(4);
    expect(out.code).toContain('...more)');
    expect(instrument(code, '/p/cache.ts', { thenCallbacks: false })).toBeNull();
  });

  it('records each site: file relative to the root, 1-based line, 0-based column, the expression shortened', () => {
    const code = [
      'export class Wallet {',
      '  async withdraw(accountId: string, amount: number) {',
      '    const account = await this.accounts.findById(accountId);',
      '    for await (const event of this.events.stream(accountId)) void event;',
      '    await this.accounts.save({ ...account, balance: account.balance - amount, note: "a long note that goes on and on" });',
      '  }',
      '}',
    ].join('\n');
    const out = instrument(code, '/project/src/wallet.ts', { root: '/project' })!;
    expect(out.sites).toEqual([
      { file: 'src/wallet.ts', line: 3, column: 20, text: 'this.accounts.findById(accountId)', kind: 'await', call: { name: 'findById', arity: 1 } },
      { file: 'src/wallet.ts', line: 4, column: 4, text: 'this.events.stream(accountId)', kind: 'for-await' },
      {
        file: 'src/wallet.ts',
        line: 5,
        column: 4,
        text: 'this.accounts.save({ ...account, balance: account.balance -…',
        kind: 'await',
        call: { name: 'save', arity: 1 },
      },
    ]);
    expect(out.sites[2]!.text).toHaveLength(60);
    // A file outside the root keeps its absolute path; a file: URL is read as its path.
    expect(instrument('await x;', 'file:///elsewhere/m.mjs', { root: '/project' })!.sites[0]!.file).toBe('/elsewhere/m.mjs');
  });

  it('an awaited call hands its argument values to the response; one whose expression may suspend keeps its text', async () => {
    const program = [
      'export async function run(store, id) {',
      '  const a = await store.get(id, { n: 1 });',
      '  const b = await store.get(await store.key(id));',
      '  const c = await store.list(...[id]);',
      '  return [a, b, c, await store.none(), await (store.maybe?.(id) ?? 0)];',
      '}',
    ].join('\n');
    const out = instrument(program, join(dir, 'calls.mjs'))!;
    expect(out.code).toContain('__rl$.r(0,store).get(__rl$.g(0,id), __rl$.g(0,{ n: 1 }))');
    expect(out.sites.map((site) => site.call)).toEqual([{ name: 'get', arity: 2 }, undefined, { name: 'key', arity: 1 }, undefined, { name: 'none', arity: 0 }, undefined]);
    const mod = (await load(out.code)) as { run(store: unknown, id: string): Promise<unknown[]> };
    const store = { get: async (k: unknown) => k, key: async (id: string) => `k:${id}`, list: async () => [], none: async () => 1 };
    const responses: string[] = [];
    const recorder: Scheduler = {
      clock: realClock,
      point: () => undefined,
      spawn: (_n, b) => b(),
      waitFor: (p) => p,
      awaited: (value, site, call) => (responses.push(call ?? `text: ${site.text}`), value),
    };
    expect(await withScheduler(recorder, () => mod.run(store, 'acc1'))).toEqual(['acc1', 'k:acc1', [], 1, 0]);
    expect(responses).toEqual(['get("acc1", {n:1})', 'key("acc1")', 'text: store.get(await store.key(id))', 'text: store.list(...[id])', 'none()', 'text: (store.maybe?.(id) ?? 0)']);
  });

  it('keeps every line where it was, and the source map sends each await back to its original column', () => {
    const code = [
      '#!/usr/bin/env node',
      "'use strict';",
      'const wait = async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms; };',
      'async function main() {',
      '  const x = await wait(1), y = `${await wait(2)}`;',
      '  return !await Promise.resolve(x + y);',
      '}',
    ].join('\n');
    const out = instrument(code, '/p/cli.js', { sourceType: 'commonjs' })!;
    const lines = out.code.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('#!/usr/bin/env node');
    expect(lines[1]!.startsWith("'use strict';var __rl$;")).toBe(true);
    const map = new SourceMap(out.map as never);
    for (const [i, line] of lines.entries()) {
      let at = line.indexOf('await ');
      for (; at !== -1; at = line.indexOf('await ', at + 1)) {
        if (line.startsWith('await __rl$.b(', at)) continue; // the inserted point: maps into the original await
        const entry = map.findEntry(i, at) as { originalLine: number; originalColumn: number };
        expect(code.split('\n')[entry.originalLine]!.slice(entry.originalColumn).startsWith('await ')).toBe(true);
        expect(entry.originalLine).toBe(i);
      }
    }
  });

  it('reads the inline map of code an earlier loader compiled: sites and the map name the original TypeScript', () => {
    const source = [
      'interface Account {',
      '  balance: number;',
      '}',
      'type Id = string;',
      'declare function find(id: Id): Promise<Account>;',
      'export async function balance(id: Id): Promise<number> {',
      '  const account: Account = await find(id);',
      '  return account.balance;',
      '}',
    ].join('\n');
    const compiled = ts.transpileModule(source, {
      fileName: '/p/src/wallet.ts',
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
    }).outputText;
    // The compiler drops the interface and the type: the await moves from line 7 up to line 2 in the JavaScript.
    expect(compiled.split('\n').findIndex((l) => l.includes('await find(id)'))).toBe(1);
    const out = instrument(compiled, '/p/src/wallet.js', { root: '/p' })!;
    expect(out.sites).toEqual([{ file: 'src/wallet.ts', line: 7, column: 27, text: 'find(id)', kind: 'await', call: { name: 'find', arity: 1 } }]);
    expect(out.code).not.toContain('sourceMappingURL');
    const lines = out.code.split('\n');
    const line = lines.findIndex((l) => l.includes('const account = await'));
    const entry = new SourceMap(out.map as never).findEntry(line, lines[line]!.indexOf('(0,find)') + 3) as {
      originalSource: string;
      originalLine: number;
      originalColumn: number;
    };
    expect([entry.originalSource, entry.originalLine, entry.originalColumn]).toEqual(['wallet.ts', 6, 33]);
  });

  it('reads the map in a file beside compiled code (tsc with sourceMap): sites and the map name the TypeScript', () => {
    const source = ['interface Account {', '  balance: number;', '}', 'declare function find(id: string): Promise<Account>;', 'export async function balance(id: string): Promise<number> {', '  return (await find(id)).balance;', '}'].join('\n');
    const compiled = ts.transpileModule(source, {
      fileName: 'wallet.ts',
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: true },
    });
    // As tsc with outDir writes it: dist/wallet.js ends with `//# sourceMappingURL=wallet.js.map`, and the map
    // names its source relative to itself.
    const project = join(dir, 'external');
    mkdirSync(join(project, 'dist', 'maps'), { recursive: true });
    const map = JSON.parse(compiled.sourceMapText!) as { sources: string[]; sourceRoot?: string };
    writeFileSync(join(project, 'dist', 'wallet.js.map'), JSON.stringify({ ...map, sources: ['../src/wallet.ts'] }));
    expect(compiled.outputText).toMatch(/\n\/\/# sourceMappingURL=wallet\.js\.map\s*$/);
    expect(compiled.outputText.split('\n').findIndex((l) => l.includes('await find(id)'))).toBe(1);
    const out = instrument(compiled.outputText, join(project, 'dist', 'wallet.js'), { root: project })!;
    expect(out.sites).toEqual([{ file: 'src/wallet.ts', line: 6, column: 10, text: 'find(id)', kind: 'await', call: { name: 'find', arity: 1 } }]);
    expect(out.code).not.toContain('sourceMappingURL');
    const lines = out.code.split('\n');
    const entry = new SourceMap(out.map as never).findEntry(1, lines[1]!.indexOf('(0,find)') + 3) as { originalSource: string; originalLine: number; originalColumn: number };
    expect([entry.originalSource, entry.originalLine, entry.originalColumn]).toEqual([join(project, 'src', 'wallet.ts'), 5, 16]);

    // A map in another folder, with a sourceRoot, and a map that is not there.
    const elsewhere = compiled.outputText.replace('wallet.js.map', 'maps/w.map');
    writeFileSync(join(project, 'dist', 'maps', 'w.map'), JSON.stringify({ ...map, sourceRoot: '../../lib', sources: ['wallet.ts'] }));
    expect(instrument(elsewhere, join(project, 'dist', 'wallet.js'), { root: project })!.sites[0]).toMatchObject({ file: 'lib/wallet.ts', line: 6 });
    const missing = compiled.outputText.replace('wallet.js.map', 'gone.js.map');
    expect(instrument(missing, join(project, 'dist', 'wallet.js'), { root: project })!.sites[0]).toMatchObject({ file: 'dist/wallet.js', line: 2 });
  });

  it('passes decorators, `using`, type syntax and the directive prologue through untouched', () => {
    const code = [
      "'use client';",
      '@sealed class Repo<T> { @logged async get(id: string): Promise<T> { return (await this.db.get(id)) as T; } }',
      'export async function f() { using h = open(); return <const>[await h.read()]; }',
    ].join('\n');
    const out = instrument(code, '/p/repo.ts')!;
    expect(out.sites.map((s) => s.text)).toEqual(['this.db.get(id)', 'h.read()']);
    expect(out.code).toContain('@sealed class Repo<T> { @logged async get(id: string): Promise<T> { return (await (__rl$');
    expect(out.code).toContain('using h = open(); return');
    expect(out.code.startsWith("'use client';var __rl$;")).toBe(true);
    expect(parseSync('/p/repo.ts', out.code).errors).toEqual([]);
  });

  it('`await using`: its value goes through u, its disposal counts as uncontrolled; Node 20 does not parse it', async () => {
    const code = ['export async function f(connect, xs) {', '  await using c = connect();', '  for (await using x of xs) void x;', '  return await c.read();', '}'].join('\n');
    const out = instrument(code, join(dir, 'using.mjs'), { root: dir })!;
    expect(out.sites.map((site) => site.text)).toEqual(['using c = connect()', 'using x of …', 'c.read()']);
    expect(out.code).toContain('await using c = (__rl$||__rl$i()).u(0,connect());');
    expect(out.code).toContain('for (await using x of (__rl$||__rl$i()).u(1,xs))');
    expect(parseSync('/p/using.mjs', out.code).errors).toEqual([]);
    let parses = true;
    try {
      new Function('return async () => { await using x = null; }');
    } catch {
      parses = false;
    }
    if (!parses) {
      // Node 20: the module does not load, instrumented or not: Node's own SyntaxError, on the same line.
      const failure = async (source: string) =>
        load(source).then(
          () => 'loaded',
          (e: Error) => `${e.name}: ${e.message} at line ${/\.mjs:(\d+)/.exec(e.stack ?? '')?.[1]}`,
        );
      const original = await failure(code);
      expect(original).toMatch(/^SyntaxError: Unexpected identifier 'c' at line \d+$/);
      expect(await failure(out.code)).toBe(original);
    }
    // The disposal is an await at the end of the block that no point can precede: an exploration in which a task
    // declares one is inconclusive, naming it (checked through the handle, which a Node that parses it calls).
    const hooks = installInstrumentRuntime().module(pathToFileURL(join(dir, 'using.mjs')).href, out.sites) as InstrumentHooks;
    const resource = { async [Symbol.asyncDispose]() {} };
    const workload: Workload = {
      name: 'await-using',
      setup: () => ({
        tasks: [
          ['a', async () => void hooks.u(0, resource)],
          ['b', async () => void (await yieldPoint('b'))],
        ],
        invariant: () => true,
      }),
    };
    const r = await explore(workload, { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toBe('the disposal of an await using at using.mjs:2:3 (await using c = connect()) (task "a") is an await racelab does not control');
  });

  it('parses CommonJS (await as an identifier outside async code) and module code by extension', () => {
    expect(instrument('var await = 1; module.exports = await;', '/p/a.cjs')).toBeNull();
    const cjs = instrument('exports.f = async () => { return await require("x").y(); };', '/p/a.cjs')!;
    expect(cjs.sites).toHaveLength(1);
    expect(instrument('export {}; await x;', '/p/a.mts')!.sites).toHaveLength(1);
  });
});

describe('the runtime', () => {
  it('is installed once per process, and a second install returns the same object', () => {
    const first = installInstrumentRuntime();
    expect(installInstrumentRuntime()).toBe(first);
    expect((globalThis as Record<symbol, unknown>)[INSTRUMENT_KEY]).toBe(first);
  });

  it('survives a second copy of racelab: an exploration started through either copy controls instrumented code', async () => {
    // A second copy of the scheduler and the runtime, as a second install of the package would be: its own
    // AsyncLocalStorage, its own realScheduler.
    const copy = join(dir, 'copy');
    const src = join(import.meta.dirname, '..', '..', 'src');
    for (const f of ['core/clock.ts', 'core/short-value.ts', 'sched/scheduler.ts', 'sched/await-site.ts', 'sched/promise-watch.ts', 'instrument/runtime.ts']) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      cpSync(join(src, f), join(copy, f));
    }
    const other = (await import(join(copy, 'sched/scheduler.ts'))) as typeof import('../../src/sched/scheduler.js');
    expect(other.withScheduler).not.toBe(withScheduler);
    const runtime = installInstrumentRuntime();
    await import(join(copy, 'instrument/runtime.ts'));
    expect((globalThis as Record<symbol, unknown>)[INSTRUMENT_KEY], 'the first runtime stays').toBe(runtime);

    const program = 'export async function read(store) { return await store.get(); }';
    const mod = (await load(instrument(program, join(dir, 'copies.mjs'))!.code)) as { read(store: unknown): Promise<number> };
    const store = { get: async () => 7 };
    for (const use of [withScheduler, other.withScheduler]) {
      const points: Operation[] = [];
      const recorder: Scheduler = { clock: realClock, point: (op) => void points.push(op), spawn: (_n, b) => b(), waitFor: (p) => p };
      expect(await use(recorder, () => mod.read(store))).toBe(7);
      expect(points.map((p) => p.label)).toEqual(['copies.mjs:1 store.get()']);
    }
  });
});
