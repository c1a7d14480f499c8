import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    execFile(process.execPath, args, { cwd: project, env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
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
