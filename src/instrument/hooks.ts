import { fileSelector, type SelectOptions } from './select.js';
import { inlineMapComment, instrument } from './transform.js';

/**
 * The module customization hooks that `racelab/register` installs with `node:module`'s `register()`. Node runs
 * them on its loader thread: this module must not count on sharing anything with the program but `data`.
 */

/** What register.ts hands over: the project root and the globs, as plain data. */
export interface HooksData extends SelectOptions {
  readonly root: string;
}

interface LoadContext {
  readonly format?: string | null;
  readonly conditions?: readonly string[];
  readonly importAttributes?: Record<string, string>;
}

interface LoadResult {
  readonly format?: string | null;
  readonly source?: string | ArrayBuffer | ArrayBufferView | null;
  readonly shortCircuit?: boolean;
}

type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>;

let root = process.cwd();
let selected: (file: string) => boolean = () => false;

export function initialize(data: HooksData): void {
  root = data.root;
  selected = fileSelector(data);
}

/**
 * ES modules only. A CommonJS module is left to Node's CommonJS loader, where register.ts's `_compile` wrapper
 * instruments it: a load hook that hands Node the source of a CommonJS module makes Node 20 run it through the
 * ES loader's CommonJS translator instead, whose `require` is not the same (it cannot require an ES module, which
 * Node 20.19's own `require` can): the program would not behave as written.
 */
const FORMATS = new Set(['module', 'module-typescript']);

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  const format = result.format ?? '';
  if (!url.startsWith('file:') || !FORMATS.has(format) || !selected(url) || result.source == null) return result;
  const source = result.source;
  const code = typeof source === 'string' ? source : Buffer.from(source as ArrayBuffer).toString('utf8');
  const out = instrument(code, url, { root, sourceType: 'module' });
  if (out === null) return result;
  // An inline map, so `--enable-source-maps` (and any tool reading the module) maps stacks to the original lines.
  return { format, source: `${out.code}\n${inlineMapComment(out.map)}\n`, shortCircuit: true };
}
