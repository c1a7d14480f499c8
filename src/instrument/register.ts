import { createRequire, register } from 'node:module';
import { installInstrumentRuntime } from './runtime.js';
import { fileSelector } from './select.js';
import { inlineMapComment, instrument } from './transform.js';
import type { HooksData } from './hooks.js';

/**
 * `node --import racelab/register program.js`: instruments the program's own modules as they load (issue 12),
 * and installs the runtime they call, so that an exploration started anywhere in the program controls every
 * await of them. Outside an exploration the instrumented code runs as written.
 *
 * Which files: `RACELAB_INSTRUMENT`, a comma-separated list of globs relative to the current directory (default:
 * every JavaScript and TypeScript file under it); `RACELAB_INSTRUMENT=off` registers nothing. racelab itself is
 * never instrumented, and a file under node_modules only by a glob that names node_modules
 * (`RACELAB_INSTRUMENT='src/**,**\/node_modules/async-mutex/**'`), as with racelab/vite (see select.ts).
 *
 * Two ways in, one transform. ES modules go through the `load` hook of hooks.ts, which `register()` runs on
 * Node's loader thread. CommonJS modules (a CommonJS program, and the CommonJS files an ES module imports, with
 * their `require()`s) go through Node's CommonJS loader, where `Module.prototype._compile` is wrapped, as
 * source-transform hooks for CommonJS have long done (pirates, ts-node): handing their source to Node from the
 * load hook would move them to a different CommonJS implementation (see hooks.ts).
 */
const setting = process.env.RACELAB_INSTRUMENT?.trim();
if (setting !== 'off' && setting !== '0') {
  installInstrumentRuntime();
  const data: HooksData = { root: process.cwd(), ...(setting ? { include: setting.split(',') } : {}) };
  register('./hooks.js', import.meta.url, { data });
  instrumentCommonJs(data);
}

interface CommonJsModule {
  _compile(content: string, filename: string, ...rest: unknown[]): unknown;
}

function instrumentCommonJs(data: HooksData): void {
  const Module = createRequire(import.meta.url)('node:module') as { prototype: CommonJsModule };
  const selected = fileSelector(data);
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (this: CommonJsModule, content: string, filename: string, ...rest: unknown[]) {
    const out = selected(filename) ? instrument(content, filename, { root: data.root, sourceType: 'commonjs' }) : null;
    const code = out ? `${out.code}\n${inlineMapComment(out.map)}\n` : content;
    return compile.call(this, code, filename, ...rest);
  };
}
