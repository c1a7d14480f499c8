import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';

/** Which files the transform touches. Globs are matched against the path relative to `root`, with `/`. */
export interface SelectOptions {
  /** The project root (default: `process.cwd()`); files outside it are never instrumented. */
  readonly root?: string;
  /**
   * Globs of the files to instrument (default: every JavaScript and TypeScript file under the root). A file under
   * node_modules is selected only by a glob that names node_modules itself (`'**\/node_modules/async-mutex/**'`).
   */
  readonly include?: string | readonly string[];
  /** Globs to leave alone, on top of racelab itself (always left alone) and node_modules (unless included by name). */
  readonly exclude?: string | readonly string[];
}

export const DEFAULT_INCLUDE = ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'];

/**
 * racelab's own package: its modules call the scheduler themselves, and a point inside the explorer, made by the
 * explorer's own await, would be a step of no task. Three levels up from dist/instrument/select.js (or
 * src/instrument/select.ts) is the package root.
 */
const RACELAB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A glob that names node_modules as one of its segments: the only kind that selects a dependency's files. */
export function namesNodeModules(glob: string): boolean {
  return glob.split('/').includes('node_modules');
}

/** The include globs that name node_modules (see namesNodeModules); empty when the options name none. */
export function dependencyGlobs(options: SelectOptions): string[] {
  return (list(options.include) ?? []).filter(namesNodeModules);
}

/**
 * A predicate over absolute paths (or file: URLs): true for the files to instrument. Never racelab's own files.
 * A project file: under the root, selected by the globs. A file under node_modules: only when an include glob
 * names node_modules (`**\/node_modules/async-mutex/**`): a dependency's async code is instrumented when the user
 * asks for it by name, so that a lock or a client it implements has its awaits as points (an uninstrumented one
 * makes every run that waits on it inconclusive), and never by a glob written for the project's own sources.
 * Such a glob is matched against the path relative to the root, or, for a node_modules outside the root (hoisted
 * to a workspace root above the project, or a symlinked node_modules, which loaders resolve to its real path),
 * against the path from its first `node_modules` segment on.
 */
export function fileSelector(options: SelectOptions = {}): (file: string) => boolean {
  const root = resolve(options.root ?? process.cwd());
  const globs = list(options.include) ?? DEFAULT_INCLUDE;
  const include = picomatch(globs, { dot: true });
  const dependencies = globs.filter(namesNodeModules);
  const includeDependency = dependencies.length > 0 ? picomatch(dependencies, { dot: true }) : () => false;
  const excludeGlobs = list(options.exclude);
  const exclude = excludeGlobs ? picomatch(excludeGlobs, { dot: true }) : () => false;
  const racelabInRoot = relative(root, RACELAB_ROOT);
  // When the project *is* racelab (its own tests) only src/ and dist/ are racelab; elsewhere the whole package.
  const own = racelabInRoot === '' ? ['src/', 'dist/'] : null;
  return (file) => {
    const path = file.startsWith('file:') ? fileURLToPath(file) : file;
    if (!isAbsolute(path)) return false;
    const rel = relative(root, path).split(sep).join('/');
    const outside = rel === '' || rel.startsWith('../') || isAbsolute(rel);
    // The path the globs see: relative to the root, or from the first node_modules on for one outside it.
    const segments = outside ? path.split(sep) : rel.split('/');
    const dependency = segments.indexOf('node_modules');
    if (dependency !== -1) {
      // racelab's own package, installed as a dependency, is never instrumented; the packages under it may be.
      if (isInside(RACELAB_ROOT, path) && !isInside(join(RACELAB_ROOT, 'node_modules'), path)) return false;
      const name = segments.slice(outside ? dependency : 0).join('/');
      return includeDependency(name) && !exclude(name);
    }
    if (outside) return false;
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
