import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `node --import racelab/register` in real child processes. They load dist/: `npm test` builds first.
const repo = join(import.meta.dirname, '..', '..');
const register = join(repo, 'dist', 'instrument', 'register.js');
const sched = pathToFileURL(join(repo, 'dist', 'sched', 'scheduler.js')).href;

let project: string;

/** A recording scheduler and a helper that runs `fn` under it and prints the result and the point labels. */
const RECORD = `
const points = [];
const recorder = { clock: {}, point(op) { points.push(op.label); }, spawn: (n, b) => b(), waitFor: (p) => p };
const report = (value) => console.log(JSON.stringify({ value, points }));
`;

function write(path: string, code: string): void {
  mkdirSync(dirname(join(project, path)), { recursive: true });
  writeFileSync(join(project, path), code);
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'racelab-register-'));
  write('lib.cjs', `const { helper } = require('./helper.cjs');\nexports.viaCjs = async (x) => { return await helper(x); };\n`);
  write('helper.cjs', `exports.helper = async (x) => { return await x; };\n`);
  write('node_modules/dep/index.js', `export async function dep(x) { return await x; }\n`);
  write('node_modules/cjsdep/index.js', `exports.cjsdep = async (x) => { return await x; };\n`);
  write('deps.mjs', `import { withScheduler } from '${sched}';\nimport { dep } from 'dep';\nimport { cjsdep } from 'cjsdep';\n${RECORD}report(await withScheduler(recorder, () => Promise.all([dep(1), cjsdep(2)])));\n`);
  write(
    'main.mjs',
    `import { withScheduler } from '${sched}';\nimport { viaCjs } from './lib.cjs';\nimport { dep } from 'dep';\n${RECORD}` +
      `async function work() { const a = await Promise.resolve(1); return a + await viaCjs(2) + await dep(3); }\n` +
      `report(await withScheduler(recorder, work));\n`,
  );
  write(
    'main.cjs',
    `const { withScheduler } = require(${JSON.stringify(join(repo, 'dist', 'sched', 'scheduler.js'))});\n` +
      `const { viaCjs } = require('./lib.cjs');\n${RECORD}withScheduler(recorder, () => viaCjs(5)).then(report);\n`,
  );
  // TypeScript that a loader before racelab compiled (as tsx would), with its inline map: lines move in the JS.
  const typescript = ['interface Account {', '  balance: number;', '}', 'async function f(a: Account): Promise<never> {', "  await a; throw new Error('from TypeScript');", '}', 'await f({ balance: 1 });'];
  write(
    'compiled.mjs',
    ts.transpileModule(typescript.join('\n'), {
      fileName: join(project, 'compiled.ts'),
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
    }).outputText,
  );
  // The same TypeScript built the way tsc builds a project: dist/compiled.mjs beside its .map file.
  const built = ts.transpileModule(typescript.join('\n'), {
    fileName: 'compiled.ts',
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: true },
  });
  write('dist/built.mjs', built.outputText.replace('compiled.js.map', 'built.mjs.map'));
  write('dist/built.mjs.map', JSON.stringify({ ...(JSON.parse(built.sourceMapText!) as object), file: 'built.mjs', sources: ['../src/built.ts'] }));
  write('throws.mjs', `async function f() {\n  await null; throw new Error('after the await');\n}\nawait f();\n`);
  write(
    'wallet.test.mjs',
    `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { withScheduler } from '${sched}';\n` +
      `import { viaCjs } from './lib.cjs';\n${RECORD}` +
      `test('the imported modules are instrumented under node:test', async () => {\n` +
      `  assert.equal(await withScheduler(recorder, () => viaCjs(5)), 5);\n` +
      `  assert.deepEqual(points, ['lib.cjs:2 helper(x)', 'helper.cjs:1 x']);\n});\n` +
      `test('outside an exploration the same code makes no point', async () => {\n` +
      `  points.length = 0;\n  assert.equal(await viaCjs(6), 6);\n  assert.deepEqual(points, []);\n});\n`,
  );
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

function node(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: project, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('node --import racelab/register', () => {
  it('instruments an ES module, the CommonJS modules it imports and their requires; never node_modules', async () => {
    const run = await node(['--import', register, 'main.mjs']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      value: 6,
      points: ['main.mjs:8 Promise.resolve(1)', 'main.mjs:8 viaCjs(2)', 'lib.cjs:2 helper(x)', 'helper.cjs:1 x', 'main.mjs:8 dep(3)'],
    });
  });

  it("instruments a CommonJS program's own require() chain", async () => {
    const run = await node(['--import', register, 'main.cjs']);
    expect(JSON.parse(run.stdout)).toEqual({ value: 5, points: ['lib.cjs:2 helper(x)', 'helper.cjs:1 x'] });
  });

  it('selects files with RACELAB_INSTRUMENT, and registers nothing when it is off', async () => {
    const some = await node(['--import', register, 'main.mjs'], { RACELAB_INSTRUMENT: 'lib.cjs' });
    expect(JSON.parse(some.stdout)).toEqual({ value: 6, points: ['lib.cjs:2 helper(x)'] });
    const off = await node(['--import', register, 'main.mjs'], { RACELAB_INSTRUMENT: 'off' });
    expect(JSON.parse(off.stdout)).toEqual({ value: 6, points: [] });
  });

  it('instruments a dependency, ES module or CommonJS, only when a glob of RACELAB_INSTRUMENT names node_modules', async () => {
    const plain = await node(['--import', register, 'deps.mjs']);
    expect(JSON.parse(plain.stdout)).toEqual({ value: [1, 2], points: [] });
    const wide = await node(['--import', register, 'deps.mjs'], { RACELAB_INSTRUMENT: '**' });
    expect(JSON.parse(wide.stdout)).toEqual({ value: [1, 2], points: [] });
    const named = await node(['--import', register, 'deps.mjs'], { RACELAB_INSTRUMENT: '**/node_modules/dep/**,**/node_modules/cjsdep/**' });
    expect(named.stderr).toBe('');
    expect(JSON.parse(named.stdout)).toEqual({ value: [1, 2], points: ['index.js:1 x', 'index.js:1 x'] });
    const one = await node(['--import', register, 'deps.mjs'], { RACELAB_INSTRUMENT: '**/node_modules/cjsdep/**' });
    expect(JSON.parse(one.stdout)).toEqual({ value: [1, 2], points: ['index.js:1 x'] });
  });

  it('an error thrown after an await names its original line and column', async () => {
    // Column 21 (1-based) is `new Error` as written; the transform moved it about a hundred columns right.
    const mapped = await node(['--enable-source-maps', '--import', register, 'throws.mjs']);
    expect(mapped.code).toBe(1);
    expect(mapped.stderr).toMatch(/throws\.mjs:2:21\b/);
    // Without source maps the line is still right: nothing the transform inserts has a newline.
    const unmapped = await node(['--import', register, 'throws.mjs']);
    expect(unmapped.stderr).toMatch(/throws\.mjs:2:\d+/);
    expect(unmapped.stderr).not.toMatch(/throws\.mjs:2:21\b/);
  });

  it('maps through the inline map of code compiled before it: the stack names the TypeScript line', async () => {
    const run = await node(['--enable-source-maps', '--import', register, 'compiled.mjs']);
    // Line 5, column 18 of compiled.ts (`new Error`), though the JavaScript has it on line 2, farther right.
    expect(run.stderr).toMatch(/compiled\.ts:5:18\b/);
  });

  it('maps through the .map file beside compiled code (tsc with sourceMap): the stack names the TypeScript line', async () => {
    const run = await node(['--enable-source-maps', '--import', register, 'dist/built.mjs']);
    expect(run.stderr).toMatch(/src\/built\.ts:5:18\b/);
  });

  it('works with plain node:test', async () => {
    const run = await node(['--import', register, '--test', '--test-reporter=tap', 'wallet.test.mjs']);
    expect(run.stdout).toMatch(/# pass 2/);
    expect(run.stdout).toMatch(/# fail 0/);
    expect(run.code).toBe(0);
  });
});

// async-mutex, the lock of the usual fix, instrumented from node_modules as a user would name it: its ES module
// build (index.mjs, `import`) has tsc's __awaiter inline; its CommonJS build (lib/, `require`) takes __awaiter from
// tslib, so the continuations that resume it are tslib's code, which must be named too.
describe('a dependency named by RACELAB_INSTRUMENT: async-mutex', () => {
  const index = pathToFileURL(join(repo, 'dist', 'index.js')).href;

  beforeAll(() => {
    // The packages this repository installed, linked in as a package manager would (Node loads their real paths,
    // outside this project's root: selected from their node_modules segment on).
    for (const name of ['async-mutex', 'tslib']) symlinkSync(join(repo, 'node_modules', name), join(project, 'node_modules', name), 'dir');
    write(
      'wallet-mutex.mjs',
      [
        `import { explore } from '${index}';`,
        "import { createRequire } from 'node:module';",
        "import { Mutex as EsmMutex } from 'async-mutex';",
        "const { Mutex: CjsMutex } = createRequire(import.meta.url)('async-mutex');",
        'class Accounts { constructor() { this.balance = 100; } async find() { return this.balance; } async save(v) { this.balance = v; } }',
        'class Wallet {',
        '  constructor(Lock) { this.accounts = new Accounts(); this.lock = Lock && new Lock(); }',
        '  async check(n) { const b = await this.accounts.find(); if (b < n) return false; await this.accounts.save(b - n); return true; }',
        '  async withdraw(n) { return this.lock ? await this.lock.runExclusive(() => this.check(n)) : await this.check(n); }',
        '}',
        'const out = {};',
        "for (const [name, Lock] of [['none', null], ['esm', EsmMutex], ['cjs', CjsMutex]]) {",
        '  const r = await explore({ name, setup() {',
        '    const w = new Wallet(Lock); let paid = 0;',
        '    const t = async () => void ((await w.withdraw(70)) && (paid += 70));',
        "    return { tasks: [['w1', t], ['w2', t]], invariant: () => paid + w.accounts.balance === 100 || 'a double spend' };",
        "  } }, { strategy: 'dfs', ambient: true, seed: 1, runs: 200000 });",
        '  out[name] = { verdict: r.verdict, first: r.inconclusive?.first ?? null, schedules: r.dfs?.schedulesExplored ?? 0 };',
        '}',
        'console.log(JSON.stringify(out));',
        '',
      ].join('\n'),
    );
  });

  type Out = Record<'none' | 'esm' | 'cjs', { verdict: string; first: string | null; schedules: number }>;

  it('instrumented (index.mjs, and lib/ with tslib): the fix is proved by dfs, for the ES module and the CommonJS build', async () => {
    const run = await node(['--import', register, 'wallet-mutex.mjs'], { RACELAB_INSTRUMENT: 'wallet-mutex.mjs,**/node_modules/async-mutex/**,**/node_modules/tslib/**' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as Out;
    expect(out.none.verdict).toBe('race-found');
    for (const build of ['esm', 'cjs'] as const) {
      expect(out[build], build).toMatchObject({ verdict: 'proved', first: null });
      expect(out[build].schedules).toBeGreaterThan(1);
    }
  });

  it('not instrumented, or its CommonJS build without tslib: inconclusive, naming the await on the lock', async () => {
    const where = /^the await at wallet-mutex\.mjs:9:\d+ \(await this\.lock\.runExclusive\(\(\) => this\.check\(n\)\)\) \(task "w\d"\) waited for code racelab did not instrument, which resumed \d+ times? without a scheduling point/;
    const plain = JSON.parse((await node(['--import', register, 'wallet-mutex.mjs'], { RACELAB_INSTRUMENT: 'wallet-mutex.mjs' })).stdout) as Out;
    expect(plain.none.verdict).toBe('race-found');
    for (const build of ['esm', 'cjs'] as const) {
      expect(plain[build].verdict, build).toBe('inconclusive');
      expect(plain[build].first).toMatch(where);
    }
    const noTslib = JSON.parse((await node(['--import', register, 'wallet-mutex.mjs'], { RACELAB_INSTRUMENT: 'wallet-mutex.mjs,**/node_modules/async-mutex/**' })).stdout) as Out;
    expect(noTslib.esm.verdict).toBe('proved');
    expect(noTslib.cjs.verdict).toBe('inconclusive');
    expect(noTslib.cjs.first).toMatch(where);
  });
});

// tsx (a devDependency, pinned) compiles the TypeScript; racelab instruments what it compiled, through tsx's
// inline maps, in whichever order the two are registered, for ES modules (.mts) and CommonJS (.cts) alike.
describe('tsx and racelab/register together', () => {
  const tsxLoader = createRequire(import.meta.url).resolve('tsx');
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const index = pathToFileURL(join(repo, 'dist', 'index.js')).href;

  beforeAll(() => {
    write(
      'ts/wallet.mts',
      [
        'interface Account {',
        '  balance: number;',
        '}',
        'export class Wallet {',
        '  private readonly rows = new Map<string, Account>([["acc1", { balance: 100 }]]);',
        '  async findById(id: string): Promise<Account> { return { ...this.rows.get(id)! }; }',
        '  async save(id: string, row: Account): Promise<void> { this.rows.set(id, row); }',
        '  async withdraw(id: string, amount: number): Promise<boolean> {',
        '    const account: Account = await this.findById(id);',
        '    if (account.balance < amount) return false;',
        '    await this.save(id, { balance: account.balance - amount });',
        '    return true;',
        '  }',
        '  balance(id: string): number { return this.rows.get(id)!.balance; }',
        '}',
        '',
      ].join('\n'),
    );
    write('ts/repo.cts', ['type Row = { id: string };', 'async function load(id: string): Promise<Row> { return { id }; }', 'exports.get = async (id: string): Promise<string> => {', '  const row: Row = await load(id);', '  return row.id;', '};', ''].join('\n'));
    write(
      'ts/explore.mts',
      [
        `import { explore } from '${index}';`,
        "import { Wallet } from './wallet.mts';",
        'const r = await explore({',
        "  name: 'wallet',",
        '  setup() {',
        '    const wallet = new Wallet();',
        '    let paid = 0;',
        '    const withdraw = async (): Promise<void> => void ((await wallet.withdraw("acc1", 70)) && (paid += 70));',
        "    return { tasks: [['w1', withdraw], ['w2', withdraw]], invariant: () => paid + wallet.balance('acc1') === 100 || 'a double spend' };",
        '  },',
        "}, { strategy: 'dfs', ambient: true, seed: 1 });",
        'console.log(JSON.stringify({ verdict: r.verdict, trace: r.firstFailure?.shrunk.trace }));',
        '',
      ].join('\n'),
    );
  });

  const expectExplored = (run: { stdout: string; stderr: string }): void => {
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { verdict: string; trace: string };
    expect(out.verdict).toBe('race-found');
    // The lines of the TypeScript as written (line 9 holds the await; tsx's JavaScript has it elsewhere), the
    // arguments and the values.
    expect(out.trace.match(/w\d wallet\.mts:9 findById\("acc1"\) -> \{balance:100\}/g)).toHaveLength(2);
    expect(out.trace.match(/w\d wallet\.mts:11 save\("acc1", \{balance:30\}\)/g)).toHaveLength(2);
  };

  it('node --import tsx --import racelab/register: the TypeScript is explored at its own lines', async () => {
    expectExplored(await node(['--import', tsxLoader, '--import', register, 'ts/explore.mts']));
  });

  it('racelab/register first, then tsx; and the tsx command with --import racelab/register', async () => {
    expectExplored(await node(['--import', register, '--import', tsxLoader, 'ts/explore.mts']));
    expectExplored(await node([tsxCli, '--import', register, 'ts/explore.mts']));
  });

  it('the CommonJS TypeScript tsx compiles is instrumented too; without racelab/register nothing is', async () => {
    const points = `${RECORD}
import { withScheduler } from '${sched}';
import { createRequire } from 'node:module';
const { get } = createRequire(import.meta.url)('./repo.cts');
report(await withScheduler(recorder, () => get('acc1')));
`;
    write('ts/points.mts', points);
    const run = await node(['--import', tsxLoader, '--import', register, 'ts/points.mts']);
    expect(JSON.parse(run.stdout)).toEqual({ value: 'acc1', points: ['repo.cts:4 load(id)'] });
    const plain = await node(['--import', tsxLoader, 'ts/points.mts']);
    expect(JSON.parse(plain.stdout)).toEqual({ value: 'acc1', points: [] });
  });
});
