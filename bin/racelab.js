#!/usr/bin/env node
// The racelab executable: one call into the library's CLI, built to dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('racelab: not built yet; run `npm run build` in the racelab folder first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// Exit explicitly: a run is over when main returns, whatever handles (sockets, timers) a library left open.
// But first let stdout drain: a pipe is written asynchronously, and exiting would cut a large --json report.
await new Promise((resolve) => process.stdout.write('', resolve));
process.exit(code);
