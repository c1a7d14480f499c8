#!/usr/bin/env node
// `npm run bench [-- name…]`: runs every bench/*.bench.mjs (or those whose name contains an argument), one
// after another in its own process so they do not disturb each other. Each prints a table of ratios against
// a baseline measured in the same run. Benchmarks import the built library (../dist).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Arguments starting with `--` (such as `--quick`) are passed on to every benchmark; the rest select them.
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`bench: no benchmark matches ${filters.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f.replace(/\.bench\.mjs$/, '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, f), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
