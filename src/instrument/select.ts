import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';

/** Which files the transform touches. Globs are matched against the path relative to `root`, with `/`. */
export interface SelectOptions {
  /** The project root (default: `process.cwd()`); files outside it are never instrumented. */
  readonly root?: string;
  /** Globs of the files to instrument (default: every JavaScript and TypeScript file under the root). */
  readonly include?: string | readonly string[];
  /** Globs to leave alone, on top of node_modules and racelab itself, which are always left alone. */
  readonly exclude?: string | readonly string[];
}

export const DEFAULT_INCLUDE = ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'];

/**
 * racelab's own package: its modules call the scheduler themselves, and a point inside the explorer, made by the
 * explorer's own await, would be a step of no task. Three levels up from dist/instrument/select.js (or
 * src/instrument/select.ts) is the package root.
 */
const RACELAB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A predicate over absolute paths (or file: URLs): true for the files to instrument. Never node_modules, never
 * racelab's own files, never a file outside the root, whatever the globs say.
 */
export function fileSelector(options: SelectOptions = {}): (file: string) => boolean {
  const root = resolve(options.root ?? process.cwd());
  const include = picomatch(list(options.include) ?? DEFAULT_INCLUDE, { dot: true });
  const excludeGlobs = list(options.exclude);
  const exclude = excludeGlobs ? picomatch(excludeGlobs, { dot: true }) : () => false;
  const racelabInRoot = relative(root, RACELAB_ROOT);
  // When the project *is* racelab (its own tests) only src/ and dist/ are racelab; elsewhere the whole package.
  const own = racelabInRoot === '' ? ['src/', 'dist/'] : null;
  return (file) => {
    const path = file.startsWith('file:') ? fileURLToPath(file) : file;
    if (!isAbsolute(path)) return false;
    const rel = relative(root, path).split(sep).join('/');
    if (rel === '' || rel.startsWith('../') || isAbsolute(rel)) return false;
    if (rel.split('/').includes('node_modules')) return false;
    if (own ? own.some((p) => rel.startsWith(p)) : isInside(RACELAB_ROOT, path)) return false;
    return include(rel) && !exclude(rel);
  };
}

function isInside(dir: string, path: string): boolean {
  const r = relative(dir, path);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

function list(globs: string | readonly string[] | undefined): string[] | undefined {
  if (globs === undefined) return undefined;
  const all = (typeof globs === 'string' ? [globs] : [...globs]).map((g) => g.trim()).filter((g) => g !== '');
  return all.length > 0 ? all : undefined;
}
