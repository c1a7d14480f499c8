#!/usr/bin/env node
// Hashes the transactional-check pages (`racelab txn check --html`) of the Elle histories in data/elle, each
// checked as data/elle/expected.json says, with the check's times set to 0. A refactor of the page that keeps the
// hash draws every page byte for byte. Reads the build (dist/): run `npm run build` first.
//   node scripts/hash-txn-pages.mjs
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTxnHtml } from '../dist/report/txn-html.js';
import { checkTxnHistory } from '../dist/txn/check.js';
import { readTxnHistoryFile } from '../dist/txn/parse.js';

const elle = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'elle');
const expected = JSON.parse(readFileSync(join(elle, 'expected.json'), 'utf8'));
const total = createHash('sha256');
for (const e of expected) {
  const history = await readTxnHistoryFile(join(elle, e.file), e.workload ?? 'list-append');
  const report = JSON.parse(JSON.stringify(checkTxnHistory(history, { realtime: e.realtime }), (k, v) => (/Ms$/.test(k) && typeof v === 'number' ? 0 : v)));
  total.update(`${e.file} ${createHash('sha256').update(renderTxnHtml(report, { title: e.file })).digest('hex')}\n`);
}
console.log(`${expected.length} txn pages`);
console.log(`sha256 ${total.digest('hex')}`);
