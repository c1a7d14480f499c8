import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import remapping from '@jridgewell/remapping';
import { originalPositionFor, TraceMap, type EncodedSourceMap } from '@jridgewell/trace-mapping';
import MagicString from 'magic-string';
import { parseSync, type AwaitExpression, type CallExpression, type ForOfStatement, type ParserOptions, type Program, type VariableDeclaration } from 'oxc-parser';
import { HANDLE, siteFile, type AwaitSite } from '../sched/await-site.js';

/**
 * The load-time transform (issue 12): every `await EXPR` of a user module becomes
 *
 *     await (__rl$||__rl$i()).v(ID,__rl$.on&&(await __rl$.b(ID),1),EXPR)
 *
 * every `for await (x of ITER)` becomes `for await (x of (__rl$||__rl$i()).f(ID,ITER))`, and every callback of
 * `.then`/`.catch`/`.finally` becomes `(__rl$||__rl$i()).t(ID,CALLBACK)`; f and t hand their argument back
 * unchanged outside an exploration. An awaited call whose arguments can be shown (see capturedCall) also has
 * each argument wrapped, `f(__rl$.g(ID,a))`, and its `1` is `__rl$.s(ID)`: inside an exploration the runtime
 * collects the argument values between the two, so the response step reads `findById("acc1") -> {balance:100}`;
 * outside one `g` hands the value back after one comparison.
 *
 * Two departures from the form src/sched/await-site.ts shows (`await __rl$.a(ID,(__rl$.on&&await __rl$.b(ID),
 * EXPR))` with a `const` handle), both inside this half of the contract (the runtime and this transform):
 * - `v(ID, on, value)` is `a(ID, value)` told whether `on` held before EXPR ran: outside an exploration it
 *   returns the value without asking the ambient scheduler a second time (an AsyncLocalStorage lookup per await,
 *   measurable once an exploration has enabled AsyncLocalStorage for the process). EXPR cannot leave the
 *   caller in another scheduler's context: `withScheduler` restores it when it returns.
 * - The handle is a `var` that a hoisted function fills on first use: in an ESM import cycle another module can
 *   call this module's (hoisted) async functions before this module's body has run, and a `const` would then be
 *   in its temporal dead zone, a ReferenceError the uninstrumented program never throws.
 * Evaluation order is the contract's: `on`, then the point `b` (only when on), then EXPR, then the delivery.
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
  /** Make the callbacks of `.then`, `.catch` and `.finally` continuations with a point (default true). */
  readonly thenCallbacks?: boolean;
}

export interface InstrumentResult {
  readonly code: string;
  /** From the original source (through the input's own map, inline or in a file, when it had one) to `code`. */
  readonly map: EncodedSourceMap;
  readonly sites: readonly AwaitSite[];
}

/** The module's handle in transformed code (a module that already has it is left alone). */
export { HANDLE };
const TEXT_MAX = 60;
const CONTINUATIONS = new Set(['then', 'catch', 'finally']);
/** A module with none of these words has nothing to instrument; a node whose text has none holds no site. */
const WORDS = ['await', 'then', 'catch', 'finally'];

/**
 * Instruments `code` (the source of `filename`, a path or a file: URL). Returns null when there is nothing to do:
 * no `await` in the module, a module already instrumented, or a module that does not parse (the loader that
 * runs it next reports the syntax error in its own words, at its own position).
 */
export function instrument(code: string, filename: string, options: InstrumentOptions = {}): InstrumentResult | null {
  if (!WORDS.some((w) => code.includes(w)) || code.includes(HANDLE)) return null;
  const path = filename.startsWith('file:') ? fileURLToPath(filename) : filename;
  const parsed = parseSync(path, code, parserOptions(path, options.sourceType));
  if (parsed.errors.length > 0) return null;

  const s = new MagicString(code);
  const lines = lineStarts(code);
  const file = siteFile(path, options.root ?? process.cwd());
  const sites: AwaitSite[] = [];
  // Code that an earlier loader or a build compiled (TypeScript through tsx, or tsc's output with its .map file)
  // carries a map: sites then name the lines of the source it was compiled from, and the map returned leads all
  // the way back there.
  const input = inputSourceMap(parsed.comments, code, path);
  if (input) s.remove(input.start, input.end);
  const site = (at: number, text: string, kind: AwaitSite['kind'], call?: AwaitSite['call']): number => {
    const generated = position(lines, at);
    const original = input ? originalPositionFor(input.trace, generated) : null;
    const where =
      original?.source != null
        ? { file: siteFile(original.source, options.root ?? process.cwd()), line: original.line, column: original.column }
        : { file, ...generated };
    sites.push(call ? { ...where, text, kind, call } : { ...where, text, kind });
    return sites.length - 1;
  };
  const handle = `(${HANDLE}||${HANDLE}i())`;

  // Pre-order: an outer construct is visited before the awaits inside it. Closings go in with prependLeft, so
  // at a shared end position the inner closing (added later) lands before the outer one, as nesting requires.
  walkSites(parsed.program, code, (node) => {
    if (node.type === 'AwaitExpression') {
      const arg = node.argument;
      const call = capturedCall(arg, code);
      const id = site(node.start, shorten(code.slice(arg.start, arg.end)), 'await', call?.site);
      const opened = call ? `${HANDLE}.s(${id})` : '1';
      s.appendLeft(node.start + 'await'.length, ` ${handle}.v(${id},${HANDLE}.on&&(await ${HANDLE}.b(${id}),${opened}),`);
      if (call?.target) {
        s.prependRight(call.target.node.start, `${HANDLE}.${call.target.hook}(${id},`);
        s.prependLeft(call.target.node.end, ')');
      }
      for (const value of call?.args ?? []) {
        s.prependRight(value.start, `${HANDLE}.g(${id},`);
        s.prependLeft(value.end, ')');
      }
      s.prependLeft(node.end, ')');
    } else if (node.type === 'ForOfStatement' && !node.await && node.left.type === 'VariableDeclaration' && node.left.kind === 'await using') {
      const left = node.left;
      const id = site(left.start, shorten(`using ${code.slice(left.declarations[0]!.start, left.end)} of …`), 'await');
      s.prependRight(node.right.start, `${handle}.u(${id},`);
      s.prependLeft(node.right.end, ')');
    } else if (node.type === 'ForOfStatement' && node.await) {
      const iterable = node.right;
      const id = site(node.start, shorten(code.slice(iterable.start, iterable.end)), 'for-await');
      s.prependRight(iterable.start, `${handle}.f(${id},`);
      s.prependLeft(iterable.end, ')');
    } else if (node.type === 'VariableDeclaration' && node.kind === 'await using') {
      // `await using x = EXPR` awaits x[Symbol.asyncDispose]() when the block ends: an await with no expression
      // of its own, so no point can go before it. The value is handed through `u`, which tells the scheduler, so
      // a run that reaches one is inconclusive rather than a proof. (Node 20 does not parse `await using` at all:
      // such a module fails to load with Node's own SyntaxError, on the same line as without racelab.)
      // In `for (await using x of ITEMS)` the declaration has no initializer: the loop's branch wraps ITEMS.
      for (const declarator of node.declarations) {
        if (!declarator.init) continue;
        const id = site(node.start, shorten(`using ${code.slice(declarator.start, declarator.end)}`), 'await');
        s.prependRight(declarator.init.start, `${handle}.u(${id},`);
        s.prependLeft(declarator.init.end, ')');
      }
    } else if (node.type === 'CallExpression' && options.thenCallbacks !== false) {
      // `p.then(f, g)`, `p.catch(f)`, `p.finally(f)`: each callback, when it is a function, runs after a point of
      // its own (a continuation is a step, as the code after an await is). Not a promise's method? The wrapper
      // hands back anything that is not a function as it is, and outside an exploration every callback as it is.
      const callee = node.callee;
      if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier') return;
      const name = callee.property.name;
      if (!CONTINUATIONS.has(name) || node.arguments.length === 0) return;
      const object = shorten(code.slice(callee.object.start, callee.object.end), TEXT_MAX - name.length - 1);
      const id = site(callee.property.start, `${object}.${name}`, 'then');
      for (const arg of node.arguments) {
        if (arg.type === 'SpreadElement') continue;
        s.prependRight(arg.start, `${handle}.t(${id},`);
        s.prependLeft(arg.end, ')');
      }
    }
  });
  if (sites.length === 0) return null;

  const url = filename.startsWith('file:') ? filename : path;
  const inert = '{on:false,a:(i,v)=>v,b:()=>{},v:(i,o,v)=>v,f:(i,v)=>v,t:(i,v)=>v,s:()=>1,g:(i,v)=>v,k:(i,v)=>v,r:(i,v)=>v,u:(i,v)=>v}';
  s.appendLeft(
    headerPosition(parsed.program, code),
    `var ${HANDLE};function ${HANDLE}i(){return ${HANDLE}??=globalThis[Symbol.for("racelab.instrument")]` +
      `?.module(${JSON.stringify(url)},${JSON.stringify(sites)})??${inert}};`,
  );
  const ownMap = s.generateMap({ source: path, includeContent: true, hires: 'boundary' }) as EncodedSourceMap;
  return {
    code: s.toString(),
    map: input ? (remapping([ownMap, input.map], () => null) as unknown as EncodedSourceMap) : ownMap,
    sites,
  };
}

/**
 * An awaited call whose arguments can be shown with their values: `this.accounts.findById(accountId)` gives the
 * name `findById` and its one argument, which the transform wraps in `g(ID, …)` (it hands the value on). The
 * runtime collects them between `s(ID)`, made right before the expression is evaluated, and the delivery `v`,
 * made right after: nothing else runs in between as long as the expression itself cannot suspend, so an
 * expression with an `await` or `yield` anywhere in it (its callee or an argument) is left as it is, as are a
 * spread argument (no fixed arity), a computed callee and a promise's own methods (their arguments are callbacks).
 *
 * The callee is handed over too, so the runtime can tell an async function racelab did not instrument (its awaits
 * are no points): `k(ID, f)(…)` for a named function, `r(ID, obj).m(…)` for a method (looked up by name on the
 * receiver, which stays the call's `this`). Not in an optional chain (a wrapped link would end its short
 * circuit), nor for `super.m()`, a private method, `eval` (a wrapped one is no longer direct) or `require`.
 */
function capturedCall(
  expression: AstNode,
  code: string,
): { site: NonNullable<AwaitSite['call']>; args: readonly AstNode[]; target?: { hook: 'k' | 'r'; node: AstNode } } | undefined {
  let node = expression as AstNode & Record<string, unknown>;
  let chained = false;
  while (node.type === 'ParenthesizedExpression' || node.type === 'ChainExpression') {
    if (node.type === 'ChainExpression') chained = true;
    node = node.expression as typeof node;
  }
  if (node.type !== 'CallExpression') return undefined;
  const text = code.slice(node.start, node.end);
  if (text.includes('await') || text.includes('yield')) return undefined;
  const { callee, arguments: args } = node as unknown as CallExpression;
  let name: string;
  if (callee.type === 'Identifier') name = callee.name;
  else if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') name = callee.property.name;
  else if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'PrivateIdentifier') name = `#${callee.property.name}`;
  else return undefined;
  if (CONTINUATIONS.has(name) || args.some((a) => a.type === 'SpreadElement')) return undefined;
  const site = { name, arity: args.length };
  if (chained) return { site, args };
  if (callee.type === 'Identifier') return name === 'eval' || name === 'require' ? { site, args } : { site, args, target: { hook: 'k', node: callee } };
  if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && callee.object.type !== 'Super') {
    return { site, args, target: { hook: 'r', node: callee.object } };
  }
  return { site, args };
}

/** The text of a `//# sourceMappingURL=` comment that points at `map`, inline. */
export function inlineMapComment(map: EncodedSourceMap): string {
  return `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
}

interface InputMap {
  readonly map: EncodedSourceMap;
  readonly trace: TraceMap;
  /** The comment's range, removed from the output: the map returned replaces it. */
  readonly start: number;
  readonly end: number;
}

/**
 * The map of the module's last comment, `//# sourceMappingURL=`: inline (`data:application/json;base64,…`, as tsx
 * and esbuild write it) or in a file beside the compiled code (`wallet.js.map`, as tsc and most bundlers write
 * it), read from disk relative to the module. A map that cannot be read (missing, not JSON, a remote URL) is
 * ignored: sites and the map returned then name the code as it came.
 */
function inputSourceMap(comments: readonly { type: string; value: string; start: number; end: number }[], code: string, path: string): InputMap | undefined {
  const last = comments[comments.length - 1];
  if (!last || last.type !== 'Line' || code.slice(last.end).trim() !== '') return undefined;
  const match = /^[#@] sourceMappingURL=(\S+)\s*$/.exec(last.value);
  if (!match) return undefined;
  const url = match[1]!;
  try {
    if (url.startsWith('data:')) {
      const comma = url.indexOf(',');
      if (!url.startsWith('data:application/json') || comma === -1 || !url.slice(0, comma).endsWith(';base64')) return undefined;
      const map = JSON.parse(Buffer.from(url.slice(comma + 1), 'base64').toString('utf8')) as EncodedSourceMap;
      // Sources are resolved against the module's own path; a file: URL among them is read as its path.
      const resolved = { ...map, sources: map.sources.map((src) => (src?.startsWith('file:') ? fileURLToPath(src) : src)) };
      return { map: resolved, trace: new TraceMap(resolved, path), start: last.start, end: last.end };
    }
    const mapUrl = new URL(url, pathToFileURL(path));
    if (mapUrl.protocol !== 'file:') return undefined;
    const mapPath = fileURLToPath(mapUrl);
    const map = JSON.parse(readFileSync(mapPath, 'utf8')) as EncodedSourceMap;
    // The map's sources are relative to the map's own place (and its sourceRoot), not to the module, which the
    // map returned is inlined into: they are made absolute here, so they name the same files from there.
    const base = pathToFileURL(mapPath);
    const root = map.sourceRoot ? `${map.sourceRoot.replace(/\/?$/, '/')}` : '';
    const sources = map.sources.map((src) => (src == null ? src : fileURLToPath(new URL(`${root}${src}`, base))));
    const resolved: EncodedSourceMap = { ...map, sources, sourceRoot: undefined };
    return { map: resolved, trace: new TraceMap(resolved, path), start: last.start, end: last.end };
  } catch {
    return undefined;
  }
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

/** The awaited expression as a trace shows it: on one line, at most `max` characters. */
function shorten(text: string, max = TEXT_MAX): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
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

type SiteNode = AwaitExpression | ForOfStatement | CallExpression | VariableDeclaration;

/**
 * Calls `visit` on every AwaitExpression, ForOfStatement, CallExpression and VariableDeclaration that may hold a
 * site, parents before children. A node whose source text holds none of WORDS cannot be or contain a site (an await and a for-await
 * begin with the keyword, a continuation names its method, and no escape may spell a keyword or a property name
 * here), so the walk skips it: most of a module is never visited, which halves the transform's time against a
 * full AST walk (see /work/notes/issue-12a.md). The word offsets come from the source text, every decision from
 * the AST.
 */
function walkSites(program: Program, code: string, visit: (node: SiteNode) => void): void {
  const words: number[] = [];
  for (const word of WORDS) {
    for (let i = code.indexOf(word); i !== -1; i = code.indexOf(word, i + word.length)) words.push(i);
  }
  words.sort((a, b) => a - b);
  const holdsWord = (node: AstNode): boolean => {
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (words[mid]! < node.start) lo = mid + 1;
      else hi = mid;
    }
    // The shortest word is 4 characters: a node this lets through may hold none, never the other way round.
    return lo < words.length && words[lo]! + 4 <= node.end;
  };
  const enter = (node: AstNode): void => {
    if (!holdsWord(node)) return;
    if (node.type === 'AwaitExpression' || node.type === 'ForOfStatement' || node.type === 'CallExpression' || node.type === 'VariableDeclaration') {
      visit(node as SiteNode);
    }
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
