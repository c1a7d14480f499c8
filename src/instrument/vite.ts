import { fileSelector, type SelectOptions } from './select.js';
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
 * The type below is Vite's `Plugin` as far as this plugin uses it, written out so that racelab has no runtime
 * (or type) dependency on Vite; a value of it is accepted wherever Vite takes a plugin.
 */
export interface RacelabVitePlugin {
  readonly name: string;
  readonly enforce: 'pre';
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

/** Options: which files (globs relative to the root, default every source file; never node_modules). */
export type RacelabViteOptions = SelectOptions;

export default function racelab(options: RacelabViteOptions = {}): RacelabVitePlugin {
  let root = options.root;
  let selected = options.root === undefined ? undefined : fileSelector(options);
  return {
    name: 'racelab:instrument',
    enforce: 'pre',
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
