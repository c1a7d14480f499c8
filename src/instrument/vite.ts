import { dependencyGlobs, fileSelector, type SelectOptions } from './select.js';
import { instrument } from './transform.js';

/**
 * `racelab/vite`: the load-time transform as a Vite plugin, for Vitest (issue 12). It runs before every other
 * transform (`enforce: 'pre'`), so it reads the source as written (TypeScript included) and its map is the first
 * link of Vite's chain: stack traces and await sites name the lines of the original file.
 *
 *     // vitest.config.ts
 *     import racelab from 'racelab/vite';
 *     export default defineConfig({ plugins: [racelab({ include: ['src/**'] })] });
 *
 * A dependency is instrumented only when an include glob names node_modules (`'**\/node_modules/async-mutex/**'`).
 * Vitest hands node_modules to Node untransformed (it externalizes them), so the plugin's `config` hook also
 * inlines those packages (`test.server.deps.inline`): Vite then loads them, and this transform sees them. An
 * inlined package runs as Vite runs ES modules: one that ships only CommonJS may not load that way (use
 * `node --import racelab/register`, which instruments CommonJS in Node's own loader).
 *
 * The type below is Vite's `Plugin` as far as this plugin uses it, written out so that racelab has no runtime
 * (or type) dependency on Vite; a value of it is accepted wherever Vite takes a plugin.
 */
export interface RacelabVitePlugin {
  readonly name: string;
  readonly enforce: 'pre';
  config(config: VitestConfigPart): VitestConfigPart | null;
  configResolved(config: { readonly root: string }): void;
  transform(code: string, id: string): { code: string; map: VitePluginSourceMap } | null;
}

/** The fields of a source map Vite reads. */
export interface VitePluginSourceMap {
  readonly version: number;
  readonly sources: string[];
  readonly names: string[];
  readonly mappings: string;
  readonly sourcesContent?: (string | null)[];
  readonly file?: string;
}

/** The part of a Vite config with Vitest's `test` the plugin reads and adds to: the packages Vitest inlines. */
export interface VitestConfigPart {
  readonly test?: { readonly server?: { readonly deps?: { readonly inline?: readonly (string | RegExp)[] | true } } };
}

/** Options: which files (globs relative to the root, default every source file; never node_modules). */
export type RacelabViteOptions = SelectOptions;

export default function racelab(options: RacelabViteOptions = {}): RacelabVitePlugin {
  let root = options.root;
  let selected = options.root === undefined ? undefined : fileSelector(options);
  return {
    name: 'racelab:instrument',
    enforce: 'pre',
    config(config) {
      // Merged by Vite into the user's config (arrays are concatenated); `inline: true` inlines everything already.
      const inline = inlinedPackages(options);
      if (inline.length === 0 || config.test?.server?.deps?.inline === true) return null;
      return { test: { server: { deps: { inline } } } };
    },
    configResolved(config) {
      // The project root is Vite's, unless the options name one.
      root ??= config.root;
      selected = fileSelector({ ...options, root });
    },
    transform(code, id) {
      // Virtual modules (`\0…`) are no files; a query (`?v=…`, `?raw`) is Vite's, not part of the path.
      if (id.startsWith('\0')) return null;
      const query = id.indexOf('?');
      if (query !== -1) return null;
      selected ??= fileSelector(options);
      if (!selected(id)) return null;
      const out = instrument(code, id, { root: root ?? process.cwd(), sourceType: 'module' });
      return out && { code: out.code, map: out.map as VitePluginSourceMap };
    },
  };
}

/**
 * The packages Vitest must inline for the include globs that name node_modules: for each, a pattern of
 * `/node_modules/NAME/` (a scoped name is two segments), matched by Vitest against the module's resolved path.
 * `*`, `?` and `{a,b}` in the name are globs; a name of `**` (`'**\/node_modules/**'`) inlines every package.
 * Broader than the globs is harmless (an inlined file the globs do not select is loaded untransformed), narrower
 * is not (a selected file Vitest externalizes is never seen by the transform).
 */
export function inlinedPackages(options: SelectOptions): RegExp[] {
  const patterns: RegExp[] = [];
  for (const glob of dependencyGlobs(options)) {
    const segments = glob.split('/');
    const at = segments.indexOf('node_modules');
    const first = segments[at + 1];
    if (first === undefined || first === '' || first === '**') {
      patterns.push(/[\\/]node_modules[\\/]/);
      continue;
    }
    const name = first.startsWith('@') && segments[at + 2] !== undefined ? [first, segments[at + 2]!] : [first];
    patterns.push(new RegExp(`[\\\\/]node_modules[\\\\/]${name.map(segmentPattern).join('[\\\\/]')}[\\\\/]`));
  }
  return patterns;
}

/** One path segment of a glob as a regular expression: `*` and `?` within the segment, `{a,b}` alternatives. */
function segmentPattern(segment: string): string {
  if (segment === '**') return '.*';
  let out = '';
  for (const c of segment) {
    if (c === '*') out += '[^\\\\/]*';
    else if (c === '?') out += '[^\\\\/]';
    else if (c === '{') out += '(?:';
    else if (c === '}') out += ')';
    else if (c === ',') out += '|';
    else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}
