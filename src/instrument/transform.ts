import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import MagicString, { type SourceMap } from 'magic-string';
import { parseSync, type AwaitExpression, type ForOfStatement, type ParserOptions, type Program } from 'oxc-parser';
import type { AwaitSite } from '../sched/await-site.js';

/**
 * The load-time transform (issue 12): every `await EXPR` of a user module becomes
 *
 *     await (__rl$||__rl$i()).a(ID,(__rl$.on&&await __rl$.b(ID),EXPR))
 *
 * and every `for await (x of ITER)` becomes `for await (x of (__rl$||__rl$i()).f(ID,ITER))`, as the contract in
 * src/sched/await-site.ts describes. The handle is not a `const` read at every await but a `var` that a hoisted
 * function fills on first use: in an ESM import cycle another module can call this module's (hoisted) async
 * functions before this module's body has run, and a `const` would then be in its temporal dead zone, a
 * ReferenceError the uninstrumented program never throws.
 *
 * Nothing inserted contains a newline, so every line keeps its number even where no source map is read (a stack
 * trace without --enable-source-maps still names the right line); only columns move, and the map says where.
 *
 * The parser is oxc-parser (a Rust parser with an ESTree AST, TypeScript included, positions in UTF-16 offsets
 * as JavaScript strings count): see /work/notes/issue-12a.md for the measurements against the TypeScript compiler
 * API. Edits are insertions only, made with magic-string, so the map is exact for every original character.
 */

export interface InstrumentOptions {
  /** Site files are written relative to this directory when they are under it (default: `process.cwd()`). */
  readonly root?: string;
  /** `module` or `commonjs` when the loader knows; otherwise guessed from the extension, then the content. */
  readonly sourceType?: 'module' | 'commonjs';
}

export interface InstrumentResult {
  readonly code: string;
  readonly map: SourceMap;
  readonly sites: readonly AwaitSite[];
}

/** The name of the module's handle in transformed code; a module that already has it is left alone. */
export const HANDLE = '__rl$';
const TEXT_MAX = 60;

/**
 * Instruments `code` (the source of `filename`, a path or a file: URL). Returns null when there is nothing to do:
 * no `await` in the module, a module already instrumented, or a module that does not parse (the loader that
 * runs it next reports the syntax error in its own words, at its own position).
 */
export function instrument(code: string, filename: string, options: InstrumentOptions = {}): InstrumentResult | null {
  if (!code.includes('await') || code.includes(HANDLE)) return null;
  const path = filename.startsWith('file:') ? fileURLToPath(filename) : filename;
  const parsed = parseSync(path, code, parserOptions(path, options.sourceType));
  if (parsed.errors.length > 0) return null;

  const s = new MagicString(code);
  const lines = lineStarts(code);
  const file = siteFile(path, options.root ?? process.cwd());
  const sites: AwaitSite[] = [];
  const site = (at: number, text: string, kind: AwaitSite['kind']): number => {
    const { line, column } = position(lines, at);
    sites.push({ file, line, column, text: shorten(text), kind });
    return sites.length - 1;
  };
  const handle = `(${HANDLE}||${HANDLE}i())`;

  // Pre-order: an outer construct is visited before the awaits inside it. Closings go in with prependLeft, so
  // at a shared end position the inner closing (added later) lands before the outer one, as nesting requires.
  walkAwaits(parsed.program, code, (node) => {
    if (node.type === 'AwaitExpression') {
      const arg = node.argument;
      const id = site(node.start, code.slice(arg.start, arg.end), 'await');
      s.appendLeft(node.start + 'await'.length, ` ${handle}.a(${id},(${HANDLE}.on&&await ${HANDLE}.b(${id}),`);
      s.prependLeft(node.end, '))');
    } else if (node.type === 'ForOfStatement' && node.await) {
      const iterable = node.right;
      const id = site(node.start, code.slice(iterable.start, iterable.end), 'for-await');
      s.prependRight(iterable.start, `${handle}.f(${id},`);
      s.prependLeft(iterable.end, ')');
    }
  });
  if (sites.length === 0) return null;

  const url = filename.startsWith('file:') ? filename : path;
  const inert = '{on:false,a:(i,v)=>v,b:()=>{},f:(i,v)=>v}';
  s.appendLeft(
    headerPosition(parsed.program, code),
    `var ${HANDLE};function ${HANDLE}i(){return ${HANDLE}??=globalThis[Symbol.for("racelab.instrument")]` +
      `?.module(${JSON.stringify(url)},${JSON.stringify(sites)})??${inert}};`,
  );
  return {
    code: s.toString(),
    map: s.generateMap({ source: path, includeContent: true, hires: 'boundary' }),
    sites,
  };
}

function parserOptions(path: string, sourceType: InstrumentOptions['sourceType']): ParserOptions {
  const ext = /\.[cm]?[jt]sx?$/.exec(path)?.[0] ?? '.js';
  const lang = ext.endsWith('tsx') ? 'tsx' : ext.endsWith('ts') ? 'ts' : ext.endsWith('jsx') ? 'jsx' : 'js';
  const guessed = ext.startsWith('.m') ? 'module' : ext.startsWith('.c') ? 'commonjs' : 'unambiguous';
  return { lang, sourceType: sourceType ?? guessed, preserveParens: true };
}

/** After a hashbang and the directive prologue (`'use strict'` must stay the first statement to mean anything). */
function headerPosition(program: Program, code: string): number {
  let at = program.hashbang ? program.hashbang.end : 0;
  for (const statement of program.body) {
    if (!('directive' in statement) || typeof statement.directive !== 'string') break;
    at = statement.end;
  }
  // A hashbang ends at its newline: the header goes after that newline, not into the `#!` line.
  if (program.hashbang && code[at] === '\n' && at === program.hashbang.end) at++;
  return at;
}

function siteFile(path: string, root: string): string {
  if (!isAbsolute(path)) return path.split(sep).join('/');
  const r = relative(root, path);
  const inside = r !== '' && !r.startsWith('..') && !isAbsolute(r);
  return (inside ? r : path).split(sep).join('/');
}

/** The awaited expression as a trace shows it: on one line, at most TEXT_MAX characters. */
function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= TEXT_MAX ? flat : `${flat.slice(0, TEXT_MAX - 1)}…`;
}

function lineStarts(code: string): number[] {
  const starts = [0];
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line, 0-based column (in UTF-16 units, as source maps and V8 count) of offset `at`. */
function position(starts: readonly number[], at: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: at - starts[lo]! };
}

interface AstNode {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Calls `visit` on every AwaitExpression and ForOfStatement, parents before children. A node whose source text
 * holds no `await` cannot contain either (both begin with the keyword, and no escape may spell it), so the walk
 * skips it: most of a module is never visited, which halves the transform's time against a full AST walk (see
 * /work/notes/issue-12a.md). The offsets of the word come from the source text, the decisions from the AST.
 */
function walkAwaits(program: Program, code: string, visit: (node: AwaitExpression | ForOfStatement) => void): void {
  const words: number[] = [];
  for (let i = code.indexOf('await'); i !== -1; i = code.indexOf('await', i + 5)) words.push(i);
  const holdsAwait = (node: AstNode): boolean => {
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (words[mid]! < node.start) lo = mid + 1;
      else hi = mid;
    }
    return lo < words.length && words[lo]! + 5 <= node.end;
  };
  const enter = (node: AstNode): void => {
    if (!holdsAwait(node)) return;
    if (node.type === 'AwaitExpression' || node.type === 'ForOfStatement') visit(node as AwaitExpression | ForOfStatement);
    children(node);
  };
  const children = (node: AstNode): void => {
    for (const key in node) {
      const value = (node as unknown as Record<string, unknown>)[key];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) enter(item);
      } else if (isNode(value)) enter(value);
    }
  };
  children(program);
}

function isNode(value: unknown): value is AstNode {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}
