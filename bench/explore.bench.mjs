// racelab explore, measured against fast-check's fc.scheduler() on the same code, in this one run:
// 1. Schedules per second: complete runs (build the workload, run every task to its end under the scheduler,
//    check the invariant) of the seed's counter on the memory store: vulnerable with 2 clients, mutex with 3,
//    cas with 4 (whose whole tree dfs explores: 33120 schedules after partial-order reduction).
//    racelab: explore() with random, pct and dfs. fast-check: fc.assert(fc.asyncProperty(fc.scheduler(), …))
//    with `await s.waitIdle()`, its way to run every scheduled task (waitAll would stop before tasks scheduled by
//    resumed tasks, and only ever try the interleavings in which every client reads first).
//    The "reference" row runs the same code under a minimal random scheduler (each point pauses its task; a promise
//    job later one paused task is resumed at random; nothing else: no records, no trace, no checks, no detection,
//    no wake steps): what a random scheduler costs on this code when its bookkeeping is free. Its ratio to
//    fast-check is about as high as any scheduler of this code can go; the code's own cost is the rest.
// 2. Runs to the first bug: on the 2-client vulnerable counter (a lost update, depth 2) and on the depth-3
//    workload (src/workloads/depth3-workload.ts: three clients; it fails only if all three read before
//    any writes), the number of runs until the invariant fails, for seeds 1..N: found, median, mean and worst.
// "The same code": every side calls the same workload's setup(): the same MemoryStore, counter variant, tasks and
// invariant (racelab's side also has the store note read values for its traces; the others do without). For
// fast-check the Scheduler port is adapted onto fc's scheduler: each scheduling point becomes `s.schedule(…)`; a
// timer point (the 0 ms sleep) is free, as it is under racelab; virtual time does not move.
// One difference in the path taken, not the code: a Mutex waits through `scheduler.block` where the scheduler has
// it (racelab's does) and through `scheduler.waitFor` where not (fast-check's adapter and the reference); under
// racelab a lock handed over is a step of its own (the waiter's wake), which the others do not take.
// Each side runs in a worker thread of its own, so no side runs on code another side's JIT warmed or bent.
// Throughput is measured in rounds: in each round every side runs one slice, one after another, so a change in
// the machine's speed (this is a shared 2-core machine) hits every side alike. Each ratio is the median over the
// rounds of (this side's rate / fast-check's rate in the same round); schedules/s is each side's median rate.
// `--quick` runs fewer, shorter rounds.
// 3. `racelab explore --workers 2` against one process (`--workers 1`): schedules per second of the CLI with the
//    same seed and a time limit, in rounds that alternate the two, so both see the same machine. The rate is the
//    report's runs / elapsed exploring (worker start-up included, process start-up not), at several run lengths
//    (time limits), so start-up's share shows, with the machine's busy cores while each side ran (another process
//    on this 2-core machine caps what workers 2 can reach). `--only-workers` runs this part alone.
// 4. `racelab explore --agents` with 2 agents (processes on this machine, taking shards from a JetStream work queue
//    on the NATS at RACELAB_NATS_URL, default nats://127.0.0.1:4222) against one process: schedules per second,
//    measured as in 3 (agent discovery and start-up not counted; the queue's round trips are). `--only-agents` runs
//    this part alone; without a reachable NATS it is skipped, saying so.
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { explore, counterWorkload, depth3Workload, Random } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 9;
const SLICE_MS = quick ? 200 : 300;
/** Seeds per first-bug measurement: the shallow bug is found within a few runs, so it can afford many more. */
const SEEDS = { shallow: quick ? 10 : 60, deep: quick ? 5 : 40 };

function renderTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---- what each worker runs (this same file, started as a worker thread) --------------------------------------

function makeWorkload(w, impl) {
  // fast-check needs no trace, so its side runs the counter without racelab's value notes; racelab's keeps them,
  // as `racelab explore` does.
  if (w.kind === 'counter') return counterWorkload({ variant: w.variant, clients: w.clients, traceValues: impl === 'racelab' });
  return depth3Workload({ work: w.work });
}

/**
 * Runs one instance of `workload` with `point` as its scheduling points; points are free once the tasks are done.
 * `onWait` hears every waitFor (a task blocking) and `onTaskEnd` every task's end, for a scheduler that must then
 * pick another task.
 */
async function runInstance(workload, { point, untilIdle, onWait, onTaskEnd }) {
  const clock = { now: () => 0, sleep: () => Promise.resolve() };
  let free = false;
  const scheduler = {
    clock,
    point: (op) => (free || op.kind === 'timer' ? undefined : point(op)),
    spawn: (_name, body) => body(),
    waitFor: (p) => (onWait?.(), p),
  };
  const instance = await workload.setup({ scheduler, clock, seed: 1, random: Random.seeded(1), note: () => undefined });
  const done = Promise.all(instance.tasks.map(([, body]) => (onTaskEnd ? body().then(onTaskEnd) : body())));
  await untilIdle(done);
  await done;
  free = true;
  const verdict = await instance.invariant();
  return verdict === true || verdict === undefined;
}

const fastCheckRun = (workload, s) =>
  runInstance(workload, {
    point: (op) => s.schedule(Promise.resolve(), op.label),
    untilIdle: () => s.waitIdle(),
  });

const settled = Promise.resolve();

/**
 * The reference: a minimal random scheduler. Every point pauses its task; a promise job later a seeded generator
 * resumes one paused task, uniformly. Nothing else: no records, no trace, no replay, no shrinking, no detection of
 * escapes or deadlocks, no wake steps. What a random strategy costs on this code when its bookkeeping is free.
 */
function minimalRun(workload, random) {
  const paused = [];
  let scheduled = false;
  const decide = () => {
    scheduled = false;
    if (paused.length === 0) return;
    const i = random.int(paused.length);
    const resume = paused[i];
    paused[i] = paused[paused.length - 1];
    paused.pop();
    resume();
  };
  const kick = () => {
    if (scheduled || paused.length === 0) return;
    scheduled = true;
    void settled.then(decide);
  };
  return runInstance(workload, {
    point: () =>
      new Promise((resolve) => {
        paused.push(resolve);
        kick();
      }),
    untilIdle: (done) => done,
    onWait: kick,
    onTaskEnd: kick,
  });
}

let batchSeed = 1;
async function timed(ms, batch) {
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < ms) runs += await batch(batchSeed++);
  return { runs, ms: performance.now() - started };
}

/** A throughput side: a function that runs one slice of `ms` and returns { runs, ms }. */
function throughputSide(job, workload) {
  if (job.impl === 'minimal') {
    const random = Random.seeded(7);
    return (ms) =>
      timed(ms, async () => {
        for (let i = 0; i < 1000; i++) await minimalRun(workload, random);
        return 1000;
      });
  }
  if (job.impl === 'fast-check') {
    const prop = fc.asyncProperty(fc.scheduler(), (s) => fastCheckRun(workload, s).then(() => true));
    return (ms) =>
      timed(ms, async (seed) => {
        await fc.assert(prop, { numRuns: 500, seed });
        return 500;
      });
  }
  return (ms) =>
    timed(ms, async (seed) => {
      const r = await explore(workload, { strategy: job.strategy, seed, runs: job.strategy === 'dfs' ? 1e9 : 5000, stopOnFailure: false, shrink: false });
      return r.runs;
    });
}

async function firstBugs(job, workload) {
  const firsts = [];
  for (let seed = 1; seed <= job.seeds; seed++) {
    if (job.impl === 'fast-check') {
      const details = await fc.check(fc.asyncProperty(fc.scheduler(), (s) => fastCheckRun(workload, s)), { seed, numRuns: job.budget, endOnFailure: true });
      firsts.push(details.failed ? details.numRuns : null);
    } else {
      const r = await explore(workload, { strategy: job.strategy, seed, runs: job.budget, shrink: false });
      firsts.push(r.firstFailure ? r.firstFailure.runsToFailure : null);
    }
  }
  return { firsts };
}

/** A side that measures throughput, in its own worker, kept up for every round. */
function startSide(job) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { job } });
  return {
    /** Runs one slice of `ms` there: { runs, ms }. */
    slice: (ms) =>
      new Promise((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (m) => {
          worker.off('error', reject);
          resolve(m);
        });
        worker.postMessage(ms);
      }),
    close: () => worker.terminate(),
  };
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
  const job = workerData.job;
  const workload = makeWorkload(job.workload, job.impl);
  if (job.mode === 'throughput') {
    // Stays up for every round: each message asks for one slice.
    const slice = throughputSide(job, workload);
    parentPort.on('message', async (ms) => parentPort.postMessage(await slice(ms)));
  } else parentPort.postMessage(await firstBugs(job, workload));
} else if (process.argv.includes('--only-workers')) await measureWorkers();
else if (process.argv.includes('--only-agents')) await measureAgents();
else {
  await measure();
  await measureWorkers();
  await measureAgents();
}

// ---- the measurements -----------------------------------------------------------------------------------------

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function measure() {
  const throughputRows = [];
  for (const [variant, clients, strategies] of [
    ['vulnerable', 2, ['random', 'pct']],
    ['mutex', 3, ['random', 'pct']],
    ['cas', 4, ['random', 'pct', 'dfs']],
  ]) {
    const workload = { kind: 'counter', variant, clients };
    const label = `counter/${variant}, ${clients} clients`;
    const sides = [
      { name: 'fast-check fc.scheduler()', job: { impl: 'fast-check', mode: 'throughput', workload } },
      ...strategies.map((strategy) => ({ name: `racelab ${strategy}`, job: { impl: 'racelab', mode: 'throughput', strategy, workload } })),
      { name: 'reference: minimal random scheduler', job: { impl: 'minimal', mode: 'throughput', workload } },
    ].map((side) => ({ ...side, worker: startSide(side.job), rates: [] }));
    try {
      for (const side of sides) await side.worker.slice(SLICE_MS); // warm up: not counted
      for (let round = 0; round < ROUNDS; round++) {
        for (const side of sides) {
          const r = await side.worker.slice(SLICE_MS);
          side.rates.push((r.runs * 1000) / r.ms);
        }
      }
    } finally {
      await Promise.all(sides.map((side) => side.worker.close()));
    }
    const base = sides[0].rates;
    for (const side of sides) {
      const ratios = side.rates.map((rate, round) => rate / base[round]);
      throughputRows.push([label, side.name, Math.round(median(side.rates)), `${median(ratios).toFixed(2)}x`, `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`]);
    }
  }
  console.log(`\nSchedules per second (complete runs; ${ROUNDS} rounds of ${SLICE_MS} ms per side; schedules/s = median over the rounds; ratio = median over the rounds of this / fast-check in the same round, and its range)`);
  console.log(renderTable(['workload', 'scheduler', 'schedules/s', 'ratio', 'range'], throughputRows));

  const bugRows = [];
  for (const [label, workload, budget, seeds] of [
    ['counter/vulnerable, 2 clients (depth 2)', { kind: 'counter', variant: 'vulnerable', clients: 2 }, 1000, SEEDS.shallow],
    ['depth3, work 6 (depth 3)', { kind: 'depth3', work: 6 }, quick ? 5000 : 20000, SEEDS.deep],
  ]) {
    const results = [['fast-check fc.scheduler()', (await runJob({ impl: 'fast-check', mode: 'first-bug', workload, seeds, budget })).firsts]];
    for (const strategy of ['random', 'pct']) {
      results.push([`racelab ${strategy}`, (await runJob({ impl: 'racelab', mode: 'first-bug', strategy, workload, seeds, budget })).firsts]);
    }
    const stats = (firsts) => {
      const sorted = firsts.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
      const found = firsts.filter((x) => x !== null).length;
      const mean = found === firsts.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Infinity;
      return { found, median: sorted[sorted.length >> 1], mean, worst: sorted[sorted.length - 1] };
    };
    const show = (v, digits = 0) => (v === Infinity ? `>${budget}` : v.toFixed(digits));
    const base = stats(results[0][1]);
    for (const [name, firsts] of results) {
      const s = stats(firsts);
      const ratio = !Number.isFinite(s.median) ? '-' : Number.isFinite(base.median) ? `${(base.median / s.median).toFixed(1)}x` : `>${(budget / s.median).toFixed(1)}x`;
      bugRows.push([label, `${name} (${seeds} seeds)`, `${s.found}/${firsts.length}`, show(s.median), show(s.mean, 1), show(s.worst), ratio]);
    }
  }
  console.log("\nRuns to the first bug (seeds 1..N; ratio = fast-check's median / this median: above 1 = fewer runs; mean only when every seed found it)");
  console.log(renderTable(['workload', 'scheduler', 'found', 'median runs', 'mean', 'worst', 'ratio'], bugRows));
}

// ---- explore --workers: schedules per second of the CLI over worker threads against one process ----------------

async function measureWorkers() {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const bin = fileURLToPath(new URL('../bin/racelab.js', import.meta.url));
  const rounds = quick ? 2 : 3;
  // Cores busy (of the machine, this bench's and every other process's work) while the command ran.
  const busy = () => os.cpus().reduce((a, c) => ({ idle: a.idle + c.times.idle, all: a.all + Object.values(c.times).reduce((x, y) => x + y, 0) }), { idle: 0, all: 0 });
  const rate = (args, workers, seconds) => {
    const before = busy();
    const r = spawnSync(process.execPath, [bin, 'explore', ...args, '--runs', '100000000', '--seed', '1', '--time-limit', `${seconds}s`, '--workers', String(workers), '--json'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`explore --workers ${workers} exited ${r.status}: ${r.stderr}`);
    const after = busy();
    const cores = (os.cpus().length * (after.all - before.all - (after.idle - before.idle))) / (after.all - before.all);
    return { rate: JSON.parse(r.stdout).runsPerSecond, cores };
  };
  // Several run lengths of the same exploration: worker start-up (each thread loads racelab and warms its own JIT)
  // is paid once, so the ratio at 1 s against the ratio at 4 s or 8 s shows how much of the gap is start-up.
  const lengths = quick ? [1, 2] : [1, 4, 8];
  const rows = [];
  for (const [label, args, runLengths] of [
    ['counter/mutex, 2 clients, random', ['--scenario', 'counter', '--variant', 'mutex', '--strategy', 'random'], lengths],
    ['counter/cas, 4 clients, pct', ['--scenario', 'counter', '--variant', 'cas', '--clients', '4', '--strategy', 'pct'], lengths.slice(0, 2)],
    ['counter/mutex, 3 clients x 3 increments, pos', ['--scenario', 'counter', '--variant', 'mutex', '--clients', '3', '--increments', '3', '--strategy', 'pos'], lengths.slice(0, 2)],
    ['bank/actor, 3 clients, random (longer runs)', ['--scenario', 'bank', '--variant', 'actor', '--clients', '3', '--strategy', 'random'], lengths],
    // The whole tree (33120 schedules, about half a second in one process, ends before the time limit): split under the root.
    ['counter/cas, 4 clients, dfs (whole tree)', ['--scenario', 'counter', '--variant', 'cas', '--clients', '4', '--strategy', 'dfs'], [lengths[1]]],
  ]) {
    for (const seconds of runLengths) {
      const one = [];
      const two = [];
      for (let i = 0; i < rounds; i++) {
        one.push(rate(args, 1, seconds));
        two.push(rate(args, 2, seconds));
      }
      const ratios = two.map((t, i) => t.rate / one[i].rate);
      const cores = (xs) => median(xs.map((x) => x.cores)).toFixed(1);
      rows.push([label, `${seconds} s`, median(one.map((x) => x.rate)).toFixed(0), median(two.map((x) => x.rate)).toFixed(0), `${median(ratios).toFixed(2)}x`, `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`, `${cores(one)} / ${cores(two)}`, os.loadavg()[0].toFixed(1)]);
    }
  }
  console.log(
    `\nexplore --workers 2 against one process (${rounds} rounds a row, alternating; run length = --time-limit; schedules/s = median of the report's runs / elapsed, worker start-up included; ratio = median over the rounds of workers 2 / workers 1, range = lowest-highest; cores busy = the machine's, every process included, while workers 1 / workers 2 ran, of ${os.cpus().length}: near ${os.cpus().length} with workers 1 means something else is using the machine, and workers 2 cannot reach 2x; load = 1-minute load average after the row)`,
  );
  console.log(renderTable(['workload', 'run length', 'workers 1 schedules/s', 'workers 2 schedules/s', 'ratio', 'range', 'cores busy', 'load'], rows));
}

// ---- explore --agents: schedules per second of the CLI over 2 agents against one process -------------------------

async function measureAgents() {
  const { spawn, spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const { tcpAnswers } = await import('../dist/core/tcp.js');
  const natsUrl = process.env.RACELAB_NATS_URL ?? 'nats://127.0.0.1:4222';
  const u = new URL(natsUrl);
  if (!(await tcpAnswers(u.hostname, Number(u.port || 4222), 1000))) {
    console.log(`\nexplore --agents: skipped, NATS is not reachable at ${natsUrl}`);
    return;
  }
  const bin = fileURLToPath(new URL('../bin/racelab.js', import.meta.url));
  const dir = mkdtempSync(join(os.tmpdir(), 'racelab-bench-agents-'));
  const prefix = `bench-agents-${randomBytes(4).toString('hex')}`;
  const agents = [];
  try {
    const kg = spawnSync(process.execPath, [bin, 'keygen', '--out', join(dir, 'key')], { encoding: 'utf8' });
    if (kg.status !== 0) throw new Error(`keygen: ${kg.stderr}`);
    for (const name of ['b1', 'b2']) {
      const child = spawn(process.execPath, [bin, 'agent', '--nats', natsUrl, '--trust-key', join(dir, 'key.pub'), '--name', name, '--subject-prefix', prefix, '--max-duration', '10m'], { stdio: ['ignore', 'ignore', 'pipe'] });
      agents.push(child);
      await new Promise((resolve, reject) => {
        let out = '';
        child.stderr.on('data', (d) => {
          out += d;
          if (out.includes('ready')) resolve();
        });
        child.once('exit', () => reject(new Error(`agent ${name} exited: ${out}`)));
      });
    }
    const seconds = quick ? 2 : 4;
    const rounds = quick ? 2 : 3;
    const rate = (args, viaAgents) => {
      const extra = viaAgents ? ['--agents', natsUrl, '--agent-count', '2', '--sign-key', join(dir, 'key'), '--subject-prefix', prefix] : [];
      const r = spawnSync(process.execPath, [bin, 'explore', ...args, '--runs', '100000000', '--seed', '1', '--time-limit', `${seconds}s`, ...extra, '--json'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`explore${viaAgents ? ' --agents' : ''} exited ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout).runsPerSecond;
    };
    const rows = [];
    for (const [label, args] of [
      ['counter/mutex, 2 clients, random', ['--scenario', 'counter', '--variant', 'mutex', '--strategy', 'random']],
      ['counter/cas, 4 clients, pct', ['--scenario', 'counter', '--variant', 'cas', '--clients', '4', '--strategy', 'pct']],
      ['counter/cas, 4 clients, dfs (whole tree)', ['--scenario', 'counter', '--variant', 'cas', '--clients', '4', '--strategy', 'dfs']],
    ]) {
      const one = [];
      const two = [];
      const ratios = [];
      for (let i = 0; i < rounds; i++) {
        one.push(rate(args, false));
        two.push(rate(args, true));
        ratios.push(two[i] / one[i]);
      }
      rows.push([label, median(one).toFixed(0), median(two).toFixed(0), `${median(ratios).toFixed(2)}x`, `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`]);
    }
    console.log(`\nexplore --agents with 2 agents against one process (agents are processes on this machine, shards through a JetStream work queue at ${natsUrl}; ${rounds} rounds of ${seconds} s each, alternating; schedules/s = median; ratio = median over the rounds of agents / one process; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)})`);
    console.log(renderTable(['workload', 'one process schedules/s', '2 agents schedules/s', 'ratio', 'range'], rows));
  } finally {
    for (const a of agents) {
      if (a.exitCode === null && a.signalCode === null) {
        a.kill('SIGTERM');
        await new Promise((r) => a.once('exit', r));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
