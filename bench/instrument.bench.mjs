// The load-time transform of issue 12 (`npm run bench -- instrument`):
// 1. instrumented user code run outside an exploration, against the same code uninstrumented, in the same run:
//    a wallet/cache/token-bucket workload on plain async in-memory fakes (the shapes the explorer is tested on),
//    and a tight `await` loop (the worst case: nothing but awaits). First without racelab's runtime (the inline
//    inert handle), then with it installed (no scheduler entered yet: the handle asks none), then once racelab's
//    withScheduler has installed a scheduler, as an exploration does (from then on the handle asks the ambient
//    scheduler at each await, and Node 20 runs promise hooks for everyone: an AsyncLocalStorage stays enabled).
//    Ratio = uninstrumented time / instrumented time (1.00x = as fast; the target is at least 0.90x).
// 2. transform throughput on this repository's own sources (src/**/*.ts): `instrument()` (oxc-parser + a walk
//    that skips await-free subtrees + magic-string with its map) against the TypeScript compiler API parsing the
//    same files and walking them for awaits, the least a transform written on it would do.
// Each figure is the median of alternating rounds. `--quick` runs fewer, shorter rounds.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { instrument } from '../dist/instrument/transform.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 11;
const OPS = quick ? 20_000 : 100_000;
const AWAITS = quick ? 200_000 : 1_000_000;
const repo = join(fileURLToPath(import.meta.url), '..', '..');

function renderTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const WORKLOAD = `
class Accounts {
  rows = new Map();
  async findById(id) { return this.rows.get(id) ?? { id, balance: 1000 }; }
  async save(account) { this.rows.set(account.id, account); }
}
class Cache {
  values = new Map();
  constructor(store) { this.store = store; }
  async get(id) { const hit = this.values.get(id); if (hit) return hit; const v = await this.store.findById(id); this.values.set(id, v); return v; }
  async invalidate(id) { this.values.delete(id); }
}
class Bucket {
  tokens = 1e12;
  async take() { const t = await this.tokens; if (t <= 0) return false; this.tokens = t - 1; return true; }
}
async function withdraw(accounts, cache, bucket, id, amount) {
  if (!(await bucket.take())) return false;
  const account = await cache.get(id);
  await accounts.save({ ...account, balance: account.balance - amount });
  await cache.invalidate(id);
  return true;
}
export async function workload(n) {
  const accounts = new Accounts();
  const cache = new Cache(accounts);
  const bucket = new Bucket();
  for (let i = 0; i < n; i += 4) {
    await Promise.all([0, 1, 2, 3].map((k) => withdraw(accounts, cache, bucket, 'acc' + ((i + k) % 64), 1)));
  }
}
export async function awaits(n) { let s = 0; for (let i = 0; i < n; i++) s += await i; return s; }
`;

const dir = mkdtempSync(join(tmpdir(), 'racelab-bench-instrument-'));
let files = 0;
async function load(code) {
  const file = join(dir, `w${files++}.mjs`);
  writeFileSync(file, code);
  return import(pathToFileURL(file).href);
}
const instrumented = () => instrument(WORKLOAD, join(dir, 'workload.mjs'), { root: dir }).code;

/** Alternates the two sides round after round; returns the median time of each and the median per-round ratio. */
async function compare(plain, ours) {
  const a = [];
  const b = [];
  const ratios = [];
  for (let i = 0; i < ROUNDS; i++) {
    globalThis.gc?.();
    let t = performance.now();
    await plain();
    const x = performance.now() - t;
    globalThis.gc?.();
    t = performance.now();
    await ours();
    const y = performance.now() - t;
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  return { plain: median(a), ours: median(b), ratio: median(ratios) };
}

const rows = [];
async function runtimeRows(setting) {
  const plain = await load(WORKLOAD);
  const ours = await load(instrumented());
  // Warm both up so that neither side pays the JIT's first compilations inside a measured round.
  for (let i = 0; i < 3; i++) await Promise.all([plain.workload(4_000), ours.workload(4_000), plain.awaits(20_000), ours.awaits(20_000)]);
  for (const [what, fn, n, unit] of [
    ['wallet/cache/bucket on fakes', 'workload', OPS, 'ops'],
    ['tight await loop', 'awaits', AWAITS, 'awaits'],
  ]) {
    const r = await compare(() => plain[fn](n), () => ours[fn](n));
    const per = (ms) => `${Math.round((n / ms) * 1000 / 1000)}k ${unit}/s`;
    rows.push([`${what}, ${setting}`, per(r.plain), per(r.ours), `${r.ratio.toFixed(2)}x`]);
  }
}

await runtimeRows('no racelab runtime');
await import('../dist/instrument/runtime.js');
await runtimeRows('runtime installed');
// The state of a process after an exploration has run: racelab's withScheduler has installed a scheduler other than
// the real one (so the handle asks at every await), and its AsyncLocalStorage, entered once, stays enabled.
const { realScheduler, withScheduler } = await import('../dist/sched/scheduler.js');
withScheduler({ ...realScheduler }, () => undefined);
await runtimeRows('after an exploration');
rmSync(dir, { recursive: true, force: true });

console.log(`instrumented code outside an exploration vs the same code uninstrumented, median of ${ROUNDS} alternating rounds, Node ${process.version}`);
console.log(renderTable(['workload', 'uninstrumented', 'instrumented', 'ratio'], rows));

// 2. Transform throughput.
function sources(path) {
  return readdirSync(path, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'generated' ? [] : sources(join(path, e.name))) : e.name.endsWith('.ts') ? [join(path, e.name)] : [],
  );
}
const corpus = sources(join(repo, 'src')).map((f) => [f, readFileSync(f, 'utf8')]);
const kb = corpus.reduce((n, [, s]) => n + s.length, 0) / 1024;
const awaited = corpus.filter(([, s]) => s.includes('await')).length;
const ts = createRequire(import.meta.url)('typescript');
const tsWalk = () => {
  let n = 0;
  for (const [f, s] of corpus) {
    const sf = ts.createSourceFile(f, s, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const walk = (node) => {
      if (node.kind === ts.SyntaxKind.AwaitExpression) n++;
      ts.forEachChild(node, walk);
    };
    walk(sf);
  }
  return n;
};
let sites = 0;
const ours = () => {
  sites = 0;
  for (const [f, s] of corpus) sites += instrument(s, f, { root: repo })?.sites.length ?? 0;
};
ours();
tsWalk();
const t = await compare(tsWalk, ours);
const perKb = (ms) => `${Math.round((ms / kb) * 1000)} us/KB`;
console.log(`\ntransform throughput on src/**/*.ts (${corpus.length} files, ${kb.toFixed(0)} KB, ${awaited} with an await, ${sites} sites), median of ${ROUNDS} rounds`);
console.log(
  renderTable(
    ['transform', 'time', 'per KB', 'vs TypeScript parse+walk'],
    [
      ['instrument() (oxc-parser + magic-string, map included)', `${t.ours.toFixed(1)} ms`, perKb(t.ours), `${t.ratio.toFixed(2)}x`],
      ['TypeScript createSourceFile + walk (no edit, no map)', `${t.plain.toFixed(1)} ms`, perKb(t.plain), '1.00x'],
    ],
  ),
);
