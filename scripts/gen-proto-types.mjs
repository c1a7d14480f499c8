#!/usr/bin/env node
// `npm run proto`: the seed's "compile the proto" step. Generates TypeScript types for every .proto in proto/
// into src/generated/ with @grpc/proto-loader's generator. `--out DIR` writes elsewhere (the staleness test
// uses it to compare a fresh generation with the checked-in one).
import { execFileSync } from 'node:child_process';
import { readdirSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outIdx = process.argv.indexOf('--out');
const out = outIdx > 0 ? resolve(process.argv[outIdx + 1]) : join(root, 'src', 'generated');
const protos = readdirSync(join(root, 'proto')).filter((f) => f.endsWith('.proto')).sort();

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const gen = join(root, 'node_modules', '@grpc', 'proto-loader', 'build', 'bin', 'proto-loader-gen-types.js');
execFileSync(
  process.execPath,
  [gen, '--grpcLib=@grpc/grpc-js', '--outDir', out, '--includeDirs', 'proto',
   '--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs', '--importFileExtension=.js', ...protos],
  // Relative paths and cwd = the checkout, so the generated 'Original file' comments do not depend on where it lives.
  { stdio: 'inherit', cwd: root },
);
// The generator names each proto's root file after the proto (counter.ts) and each service after itself
// (Counter.ts): two names that differ only in case, which breaks on case-insensitive file systems.
for (const proto of protos) {
  const base = proto.replace(/\.proto$/, '');
  renameSync(join(out, `${base}.ts`), join(out, `${base}-package.ts`));
}
console.log(`generated types for ${protos.join(', ')} in ${out}`);
