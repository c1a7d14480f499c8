// racelab explore on unmodified user code (test/fixtures/user-code: plain TypeScript services with plain async
// in-memory fakes, none importing racelab), against fast-check's fc.scheduler() with scheduleFunction on every
// method of the fakes, the same code and fakes on both sides, in this one run:
// 1. Runs and wall time to the first bug, median over SEEDS seeds (seeds 1..N), per shape: racelab pct, pos,
//    portfolio and random (ambient, instrumented awaits), and fast-check (fc.check with endOnFailure, its runs counted),
//    after an untimed warm-up of both sides, seed by seed in turn.
// 2. The depth-3 workload (racelab's own ports): runs to the first bug for pct, pos, portfolio and random.
// The fixtures are compiled here as the Vite plugin would serve them: TypeScript stripped by the TypeScript
// compiler's transpileModule, then racelab's transform (dist/instrument/transform.js), written to a folder under
// bench/ (so `async-mutex` resolves from node_modules) and imported. Outside an exploration the instrumented code
// runs as written, so fast-check runs the very same modules.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import fc from 'fast-check';
import { explore, depth3Workload } from '../dist/index.js';
import { instrument } from '../dist/instrument/transform.js';

const quick = process.argv.includes('--quick');
const SEEDS = quick ? 8 : 40;
const BUDGET = 2000;
/** Seeds run untimed on both sides before a shape is measured. */
const WARMUP = quick ? 2 : 5;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const src = join(root, 'test/fixtures/user-code');
const out = join(here, '.user-code');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const f of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
  const js = ts.transpileModule(readFileSync(join(src, f), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const code = instrument(js, join(src, f), { root, sourceType: 'module' })?.code ?? js;
  writeFileSync(join(out, f.replace(/\.ts$/, '.js')), code);
}
const load = (name) => import(pathToFileURL(join(out, `${name}.js`)).href);
const [wallet, cache, bucket, idem, lazy, order, views] = await Promise.all(['wallet', 'cache', 'rate-limit', 'idempotency', 'lazy-client', 'order', 'page-views'].map(load));

/** Each shape: `build()` makes fresh fakes and the service; `fakes` lists the objects whose methods fast-check schedules. */
const shapes = {
  'check-then-act balance': () => {
    const accounts = new wallet.InMemoryAccounts({ acc1: 100 });
    const service = new wallet.WalletService(accounts);
    let paid = 0;
    const w = async () => void ((await service.withdraw('acc1', 70).catch(() => false)) && (paid += 70));
    return { fakes: [accounts], tasks: [w, w], ok: () => paid + accounts.balanceOf('acc1') === 100 };
  },
  'read-through cache': () => {
    const db = new cache.InMemoryProducts({ sku1: 10 });
    const prices = new cache.PriceCache(db);
    const inv = { stored: () => 12 };
    return { fakes: [db], tasks: [async () => void (await prices.price('sku1')), () => prices.updatePrice('sku1', 12)], ok: () => prices.cached('sku1') === undefined || prices.cached('sku1') === inv.stored() };
  },
  'token bucket': () => {
    const kv = new bucket.InMemoryKv();
    const limiter = new bucket.TokenBucket(kv, 1);
    let allowed = 0;
    const c = async () => void ((await limiter.allow('c')) && allowed++);
    return { fakes: [kv], tasks: [c, c], ok: () => allowed <= 1 };
  },
  'idempotency key': () => {
    const provider = new idem.FakePayments();
    const store = new idem.InMemoryIdempotencyStore();
    const pay = idem.idempotent(store, idem.payHandler(provider));
    const req = { idempotencyKey: 'k', order: 'o', amount: 1 };
    return { fakes: [store, provider], tasks: [async () => void (await pay(req)), async () => void (await pay(req))], ok: () => provider.charges.length === 1 };
  },
  'lazy init': () => {
    const driver = new lazy.FakeDriver();
    const repo = new lazy.Repository(driver);
    return { fakes: [driver], tasks: [async () => void (await repo.findAll('a')), async () => void (await repo.findAll('b'))], ok: () => driver.opened === 1 };
  },
  'Promise.all in one request': () => {
    const stock = new order.InMemoryStock({ mug: 5 });
    const service = new order.OrderService(stock);
    return { fakes: [stock], tasks: [async () => void (await service.placeOrder([{ sku: 'mug', quantity: 1 }, { sku: 'mug', quantity: 2 }]).catch(() => undefined))], ok: () => stock.left('mug') + service.reserved === 5 };
  },
  'fire-and-forget write-back': () => {
    const counters = new views.InMemoryCounters();
    const pages = new views.PageViews(counters);
    let count = () => NaN;
    return {
      fakes: [counters],
      tasks: [async () => void (await pages.view('home')), async () => void (await pages.view('home'))],
      ok: async () => (count = await counters.get('home').then((n) => () => n), count() === 2),
    };
  },
};

const racelabWorkload = (name, build) => ({
  name,
  setup() {
    const b = build();
    return { tasks: b.tasks.map((t, i) => [`t${i + 1}`, t]), invariant: b.ok };
  },
});

/** fast-check: every method of every fake goes through s.scheduleFunction; run every task; check once idle. */
function fastCheckProperty(build) {
  return fc.asyncProperty(fc.scheduler(), async (s) => {
    const b = build();
    // Every async method of every fake; the invariant reads them directly, so they are restored before it runs.
    const restore = [];
    for (const fake of b.fakes) {
      for (const m of Object.getOwnPropertyNames(Object.getPrototypeOf(fake))) {
        if (m === 'constructor' || fake[m]?.constructor?.name !== 'AsyncFunction') continue;
        restore.push(() => delete fake[m]);
        fake[m] = s.scheduleFunction(fake[m].bind(fake));
      }
    }
    const done = Promise.all(b.tasks.map((t) => t()));
    await s.waitIdle();
    await done;
    await s.waitIdle();
    for (const r of restore) r();
    return (await b.ok()) === true;
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};

async function racelabFirstBug(workload, strategy, seed) {
  const t = performance.now();
  const r = await explore(workload, { strategy, seed, runs: BUDGET, ambient: true, shrink: false });
  return { runs: r.firstFailure?.runsToFailure, ms: performance.now() - t };
}

async function fastCheckFirstBug(build, seed) {
  const t = performance.now();
  const r = await fc.check(fastCheckProperty(build), { seed, numRuns: BUDGET, endOnFailure: true });
  return { runs: r.failed ? r.numRuns : undefined, ms: performance.now() - t };
}

function row(name, results) {
  const found = results.filter((r) => r.runs !== undefined);
  return { name, found: `${found.length}/${results.length}`, runs: median(found.map((r) => r.runs)), ms: median(results.map((r) => r.ms)) };
}

function renderTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const rows = [];
for (const [name, build] of Object.entries(shapes)) {
  const w = racelabWorkload(name, build);
  const strategies = ['pct', 'pos', 'portfolio', 'random'];
  // Untimed warm-up of both sides on seeds outside the measured ones, so that neither side's first measured seeds
  // pay for the JIT compiling this shape's paths; then seed by seed, every strategy and fast-check in turn, so that
  // a change in the machine's load over the run falls on both sides alike.
  for (let seed = 1001; seed <= 1000 + WARMUP; seed++) {
    for (const strategy of strategies) await racelabFirstBug(w, strategy, seed);
    await fastCheckFirstBug(build, seed);
  }
  const results = Object.fromEntries(strategies.map((s) => [s, []]));
  const fcs = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    for (const strategy of strategies) results[strategy].push(await racelabFirstBug(w, strategy, seed));
    fcs.push(await fastCheckFirstBug(build, seed));
  }
  const per = Object.fromEntries(strategies.map((s) => [s, row(s, results[s])]));
  const f = row('fast-check', fcs);
  const best = Math.min(per.pct.ms, per.pos.ms, per.portfolio.ms, per.random.ms);
  rows.push([
    name,
    `${per.pct.found} ${fmt(per.pct.runs, 0)} ${fmt(per.pct.ms, 2)}ms`,
    `${per.pos.found} ${fmt(per.pos.runs, 0)} ${fmt(per.pos.ms, 2)}ms`,
    `${per.portfolio.found} ${fmt(per.portfolio.runs, 0)} ${fmt(per.portfolio.ms, 2)}ms`,
    `${per.random.found} ${fmt(per.random.runs, 0)} ${fmt(per.random.ms, 2)}ms`,
    `${f.found} ${fmt(f.runs, 0)} ${fmt(f.ms, 2)}ms`,
    `${fmt(f.ms / per.portfolio.ms)}x`,
    `${fmt(f.ms / best)}x`,
  ]);
}
console.log(`\nunmodified user code: found/seeds, median runs to the first bug, median wall time to it (seeds 1..${SEEDS}, budget ${BUDGET} runs)`);
console.log(renderTable(['shape', 'racelab pct', 'racelab pos', 'racelab portfolio', 'racelab random', 'fast-check scheduleFunction', 'fc/portfolio (default) time', 'fc/best time'], rows));

const depthRows = [];
for (const strategy of ['pct', 'pos', 'portfolio', 'random']) {
  const rs = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = await explore(depth3Workload(), { strategy, seed, runs: BUDGET, shrink: false });
    rs.push({ runs: r.firstFailure?.runsToFailure, ms: r.elapsedMs });
  }
  const r = row(strategy, rs);
  depthRows.push([strategy, r.found, fmt(r.runs, 0), `${fmt(r.ms, 1)}ms`]);
}
console.log(`\ndepth3 (racelab's ports): runs to the first bug, seeds 1..${SEEDS}, budget ${BUDGET}`);
console.log(renderTable(['strategy', 'found', 'median runs', 'median wall time'], depthRows));
rmSync(out, { recursive: true, force: true });
