import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fileSelector, type SelectOptions } from './select.js';
import { instrument } from './transform.js';

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

/** Formats whose source is JavaScript (or TypeScript that Node strips itself) the transform can read. */
const FORMATS = new Set(['module', 'commonjs', 'module-typescript', 'commonjs-typescript']);

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  const format = result.format ?? '';
  if (!url.startsWith('file:') || !FORMATS.has(format) || !selected(url)) return result;
  // Node leaves a CommonJS module's source to its CommonJS loader (null here) unless a hook gives one: read it,
  // so that the instrumented text is what runs.
  const source = result.source ?? (format.startsWith('commonjs') ? await readFile(fileURLToPath(url)) : null);
  if (source === null) return result;
  const code = typeof source === 'string' ? source : Buffer.from(source as ArrayBuffer).toString('utf8');
  const out = instrument(code, url, { root, sourceType: format.startsWith('commonjs') ? 'commonjs' : 'module' });
  if (out === null) return result;
  // An inline map, so `--enable-source-maps` (and any tool reading the module) maps stacks to the original lines.
  return { format, source: `${out.code}\n//# sourceMappingURL=${out.map.toUrl()}\n`, shortCircuit: true };
}
