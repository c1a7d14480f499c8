// Linearizability check time against history size (100 to 100,000 operations) and against concurrency
// (2 to 50 clients), for the register and the key-value model. Histories come from a real sequential object
// under simulated concurrency (virtual time: closed-loop clients, each operation takes effect at a random
// instant between its invocation and its response; 1% end with an unknown outcome, half of which took
// effect), so every history is linearizable and the checker has to find the whole linearization.
// Ratios are against the first row of the same run: the project's own scaling curve.
//
// `node bench/check.bench.mjs --quick` runs a shorter set.
import { check, Random } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const BUDGET_MS = quick ? 10_000 : 30_000;

function generate(kind, { ops, clients, seed, keys = 8, infoRate = 0.01 }) {
  const rng = Random.seeded(seed);
  const clientTime = new Array(clients).fill(0);
  const planned = [];
  for (let i = 0; i < ops; i++) {
    const c = rng.int(clients);
    const call = clientTime[c] + 1 + rng.int(20);
    const ret = call + 1 + rng.int(100);
    clientTime[c] = ret;
    const info = rng.next() < infoRate;
    planned.push({ c, call, ret, point: call + rng.next() * (ret - call), info, happened: !info || rng.next() < 0.5, r: rng.next(), v: rng.int(5), k: rng.int(keys), old: rng.int(5) });
  }
  // Apply the operations at their linearization points to learn what each one returned.
  let register = null;
  const store = new Map();
  for (const p of [...planned].sort((a, b) => a.point - b.point)) {
    if (kind === 'register') {
      if (p.r < 0.5) {
        p.f = 'read';
        p.in = null;
        p.out = register;
      } else if (p.r < 0.85) {
        p.f = 'write';
        p.in = p.v;
        if (p.happened) register = p.v;
      } else {
        p.f = 'cas';
        p.in = [p.old, p.v];
        p.failed = register !== p.old;
        if (!p.failed && p.happened) register = p.v;
      }
    } else {
      const key = `k${p.k}`;
      const current = store.has(key) ? store.get(key) : null;
      if (p.r < 0.5) {
        p.f = 'get';
        p.in = [key, null];
        p.out = [key, current];
      } else if (p.r < 0.75) {
        p.f = 'put';
        p.in = [key, String(p.v)];
        if (p.happened) store.set(key, String(p.v));
      } else {
        p.f = 'append';
        p.in = [key, String(p.v)];
        if (p.happened) store.set(key, (current ?? '') + String(p.v));
      }
    }
  }
  const events = [];
  for (const p of planned) {
    events.push({ t: p.call, o: 0, e: { process: p.c, type: 'invoke', f: p.f, value: p.in } });
    const type = p.info ? 'info' : p.failed ? 'fail' : 'ok';
    events.push({ t: p.ret, o: 1, e: { process: p.c, type, f: p.f, value: type === 'ok' && p.out !== undefined ? p.out : p.in } });
  }
  events.sort((a, b) => a.t - b.t || a.o - b.o);
  return events.map((x) => ({ ...x.e, time: x.t }));
}

function run(kind, history) {
  const t0 = performance.now();
  const r = check(history, kind, { budgetMs: BUDGET_MS });
  const ms = performance.now() - t0;
  if (r.verdict === 'illegal') throw new Error('a generated history should be linearizable: checker bug');
  return { ms, steps: r.steps, partitions: r.partitions, verdict: r.verdict };
}

/** Median of three runs after a warm-up (one run for the largest histories or when the budget ran out). */
function measure(kind, opts) {
  const history = generate(kind, { ...opts, seed: 1 });
  const first = run(kind, history);
  if (first.verdict === 'unknown' || opts.ops >= 50_000) return first;
  const runs = [run(kind, history), run(kind, history), run(kind, history)].sort((a, b) => a.ms - b.ms);
  return runs[1];
}

function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

const show = (r, base) => (r.verdict === 'unknown' ? [`>${BUDGET_MS}`, r.steps, 'unknown'] : [r.ms.toFixed(1), r.steps, base && base.verdict === 'ok' ? (r.ms / base.ms).toFixed(1) : '']);

// One warm-up check first, so the first row of the first table is not paying for the JIT.
run('register', generate('register', { ops: 5000, clients: 10, seed: 2 }));

const sizes = quick ? [100, 1000, 10_000] : [100, 1000, 10_000, 100_000];
for (const kind of ['register', 'kv']) {
  const rows = [];
  let base;
  for (const ops of sizes) {
    const r = measure(kind, { ops, clients: 10 });
    base ??= r;
    const [ms, steps, ratio] = show(r, base);
    rows.push([ops, ms, r.verdict === 'ok' ? ((r.ms * 1000) / ops).toFixed(1) : '', steps, (r.steps / ops).toFixed(1), r.partitions, ratio, String(ops / sizes[0])]);
  }
  table(`${kind}: check time vs history size (10 clients)`, ['operations', 'ms', 'µs/op', 'steps', 'steps/op', 'partitions', 'time × first', 'size × first'], rows);
}

const concurrency = quick ? [2, 10, 20] : [2, 5, 10, 20, 50];
const concurrencySizes = quick ? [1000] : [1000, 10_000];
for (const kind of ['register', 'kv']) {
  for (const ops of concurrencySizes) {
    const rows = [];
    let base;
    for (const clients of concurrency) {
      const r = measure(kind, { ops, clients });
      base ??= r;
      const [ms, steps, ratio] = show(r, base);
      rows.push([clients, ms, steps, (r.steps / ops).toFixed(1), ratio]);
    }
    table(`${kind}: check time vs concurrency (${ops} operations)`, ['clients', 'ms', 'steps', 'steps/op', `time × ${concurrency[0]} clients`], rows);
  }
}

const target = measure('register', { ops: 10_000, clients: 10 });
console.log(
  `\ntarget: a 10,000-operation register history from 10 clients checked in ${target.ms.toFixed(1)}ms: ${target.verdict === 'ok' && target.ms < 1000 ? 'under' : 'NOT under'} 1 s.`,
);
console.log(
  "Porcupine's README gives only relative figures (1,000x-10,000x faster than Knossos on its Jepsen test data), no absolute times on histories like these, so Porcupine is not compared here.",
);
