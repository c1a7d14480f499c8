// racelab explore, measured against fast-check's fc.scheduler() on the same code, in this one run:
// 1. Schedules per second: complete runs (build the workload, run every task to its end under the scheduler,
//    check the invariant) of the seed's counter, 2 clients, `vulnerable` and `mutex` variants, memory store.
//    racelab: explore() with random, pct and dfs. fast-check: fc.assert(fc.asyncProperty(fc.scheduler(), …))
//    with `await s.waitIdle()`, its way to run every scheduled task (waitAll would stop before tasks scheduled by
//    resumed tasks and only ever try the interleavings in which every client reads first).
// 2. Runs to the first bug: on the 2-client vulnerable counter (a lost update) and on the depth-3 workload
//    (src/scenarios/explore/depth3-workload.ts: three clients, fails only if all three read before any writes),
//    median and worst over seeds 1..N of the number of runs until the invariant fails.
// "The same code": both sides call the same workload's setup(): same MemoryStore, same counter variant, same
// tasks, same invariant. For fast-check the Scheduler port is adapted onto fc's scheduler: every scheduling point
// becomes `s.schedule(…)`; a timer point (the 0 ms sleep) is free on both sides; virtual time does not move.
// Every measurement runs in a fresh worker thread, so neither side runs on code the other's JIT warmed or bent.
// `--quick` runs shorter measurements.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { explore, counterWorkload, depth3Workload, Random } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const THROUGHPUT_MS = quick ? 600 : 2000;
const SEEDS = quick ? 5 : 15;

function renderTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---- what each worker runs (this same file, started as a worker thread) ---------------------------------------

function makeWorkload(w) {
  if (w.kind === 'counter') return counterWorkload({ variant: w.variant, clients: w.clients });
  return depth3Workload({ work: w.work });
}

async function fastCheckRun(workload, s) {
  const clock = { now: () => 0, sleep: () => Promise.resolve() };
  // After the run the invariant reads the store: like racelab's scheduler outside a run, points are then free.
  let free = false;
  const scheduler = {
    clock,
    point: (op) => (free || op.kind === 'timer' ? undefined : s.schedule(Promise.resolve(), op.label)),
    spawn: (_name, body) => body(),
    waitFor: (p) => p,
  };
  const ctx = { scheduler, clock, seed: 1, random: Random.seeded(1), note: () => undefined };
  const instance = await workload.setup(ctx);
  const done = Promise.all(instance.tasks.map(([, body]) => body()));
  await s.waitIdle();
  await done;
  free = true;
  const verdict = await instance.invariant();
  return verdict === true || verdict === undefined;
}

async function main() {
  const job = workerData.job;
  const workload = makeWorkload(job.workload);
  if (job.impl === 'racelab') {
    if (job.mode === 'throughput') {
      // Warm up, then count complete runs in a fixed time.
      await explore(workload, { strategy: job.strategy, seed: 1, runs: 2000, stopOnFailure: false, shrink: false });
      let runs = 0;
      const started = performance.now();
      let seed = 1;
      while (performance.now() - started < job.ms) {
        const r = await explore(workload, { strategy: job.strategy, seed: seed++, runs: job.strategy === 'dfs' ? 1e9 : 5000, stopOnFailure: false, shrink: false });
        runs += r.runs;
      }
      return { runs, ms: performance.now() - started };
    }
    const firsts = [];
    for (let seed = 1; seed <= job.seeds; seed++) {
      const r = await explore(workload, { strategy: job.strategy, seed, runs: job.budget, shrink: false });
      firsts.push(r.firstFailure ? r.firstFailure.runsToFailure : null);
    }
    return { firsts };
  }
  if (job.mode === 'throughput') {
    const prop = fc.asyncProperty(fc.scheduler(), (s) => fastCheckRun(workload, s).then(() => true));
    await fc.assert(prop, { numRuns: 500, seed: 1 });
    let runs = 0;
    const started = performance.now();
    let seed = 1;
    while (performance.now() - started < job.ms) {
      await fc.assert(prop, { numRuns: 500, seed: seed++ });
      runs += 500;
    }
    return { runs, ms: performance.now() - started };
  }
  const firsts = [];
  for (let seed = 1; seed <= job.seeds; seed++) {
    const details = await fc.check(fc.asyncProperty(fc.scheduler(), (s) => fastCheckRun(workload, s)), { seed, numRuns: job.budget, endOnFailure: true });
    firsts.push(details.failed ? details.numRuns : null);
  }
  return { firsts };
}

function runJob(job) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { job } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited ${code}`)));
  });
}

if (!isMainThread) {
  parentPort.postMessage(await main());
} else {
  await measure();
}

async function measure() {
// ---- 1. schedules per second ------------------------------------------------------------------------------

const throughputRows = [];
for (const variant of ['vulnerable', 'mutex']) {
  const workload = { kind: 'counter', variant, clients: 2 };
  const fcResult = await runJob({ impl: 'fast-check', mode: 'throughput', workload, ms: THROUGHPUT_MS });
  const fcRate = (fcResult.runs * 1000) / fcResult.ms;
  throughputRows.push([`fast-check fc.scheduler()  counter/${variant}`, Math.round(fcRate), '1.00x']);
  for (const strategy of ['random', 'pct', 'dfs']) {
    const r = await runJob({ impl: 'racelab', mode: 'throughput', strategy, workload, ms: THROUGHPUT_MS });
    const rate = (r.runs * 1000) / r.ms;
    throughputRows.push([`racelab ${strategy.padEnd(6)}             counter/${variant}`, Math.round(rate), `${(rate / fcRate).toFixed(2)}x`]);
  }
}
console.log('\nSchedules per second (complete runs, 2 clients; ratio = racelab / fast-check, same code, same run)');
console.log(renderTable(['scheduler', 'schedules/s', 'ratio'], throughputRows));

// ---- 2. runs to the first bug -----------------------------------------------------------------------------

function summarizeFirsts(firsts, budget) {
  const found = firsts.filter((x) => x !== null).sort((a, b) => a - b);
  const all = firsts.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  const median = all[all.length >> 1];
  return {
    found: found.length,
    median,
    worst: all[all.length - 1],
    text: (v) => (v === Infinity ? `>${budget}` : String(v)),
  };
}

const bugRows = [];
for (const [label, workload, budget] of [
  ['counter/vulnerable, 2 clients (lost update, depth 2)', { kind: 'counter', variant: 'vulnerable', clients: 2 }, 1000],
  ['depth3, work 6 (all three read first, depth 3)', { kind: 'depth3', work: 6 }, quick ? 5000 : 20000],
]) {
  const results = {};
  results['fast-check'] = (await runJob({ impl: 'fast-check', mode: 'first-bug', workload, seeds: SEEDS, budget })).firsts;
  for (const strategy of ['random', 'pct']) results[`racelab ${strategy}`] = (await runJob({ impl: 'racelab', mode: 'first-bug', strategy, workload, seeds: SEEDS, budget })).firsts;
  const base = summarizeFirsts(results['fast-check'], budget);
  for (const [name, firsts] of Object.entries(results)) {
    const s = summarizeFirsts(firsts, budget);
    const ratio = Number.isFinite(s.median) && Number.isFinite(base.median) ? `${(base.median / s.median).toFixed(1)}x` : Number.isFinite(s.median) ? `>${(budget / s.median).toFixed(1)}x` : '-';
    bugRows.push([label, name, `${s.found}/${firsts.length}`, s.text(s.median), s.text(s.worst), ratio]);
  }
}
console.log(`\nRuns to the first bug (seeds 1..${SEEDS}; ratio = fast-check median / this median: higher is fewer runs)`);
console.log(renderTable(['workload', 'scheduler', 'found', 'median runs', 'worst', 'fewer runs'], bugRows));
}
