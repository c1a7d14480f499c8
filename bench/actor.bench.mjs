// The actor runtime under the real scheduler, against a plain EventEmitter hand-off measured in the same run:
// 1. casts: N `GenServer.cast`s to a counter (handle_cast returns count + 1), then one call that returns once all
//    are handled; against `emitter.emit('increment')` to a listener that does count + 1.
// 2. call round trips, one caller: `await server.call('get')` in a loop (default 5 s timeout, so a timer per call,
//    and with no timeout); against `await new Promise((r) => emitter.emit('get', r))` answered by the listener.
// 3. call round trips, 16 concurrent callers, same two sides.
// Each figure is the median of several rounds. Ratio = racelab / EventEmitter (1.00x = as fast as a bare emit).
// `--quick` runs fewer, shorter rounds.
import { EventEmitter } from 'node:events';
import { ActorSystem, GenServer } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const CASTS = quick ? 200_000 : 1_000_000;
const CALLS = quick ? 50_000 : 200_000;

function renderTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rate = (n, ms) => (n / ms) * 1000;
const fmt = (r) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M/s` : `${Math.round(r / 1000)}k/s`);

/**
 * Runs ours and the baseline alternately, round after round, so that load from anything else on the machine hits
 * both alike; returns the median rate of each and the median of the per-round ratios.
 */
async function compare(ours, baseline) {
  const a = [];
  const b = [];
  const ratios = [];
  for (let i = 0; i < ROUNDS; i++) {
    globalThis.gc?.();
    const x = await ours();
    globalThis.gc?.();
    const y = await baseline();
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  return { ours: median(a), baseline: median(b), ratio: median(ratios) };
}

const counter = {
  init: () => 0,
  handleCall: (_request, _from, n) => ({ reply: n, state: n }),
  handleCast: (_request, n) => n + 1,
};

async function withServer(fn) {
  const system = new ActorSystem();
  const server = await GenServer.start(system, counter, undefined);
  try {
    return await fn(system, server);
  } finally {
    await system.shutdown();
  }
}

// --- casts ---------------------------------------------------------------------------------------------------
const castActor = () =>
  withServer(async (system, server) => {
    const pid = server.pid;
    const t0 = performance.now();
    for (let i = 0; i < CASTS; i++) system.cast(pid, 'increment');
    const n = await server.call('get', Infinity);
    const ms = performance.now() - t0;
    if (n !== CASTS) throw new Error(`lost casts: ${n} of ${CASTS}`);
    return rate(CASTS, ms);
  });

const castEmitter = async () => {
  const ee = new EventEmitter();
  let count = 0;
  ee.on('increment', () => {
    count = count + 1;
  });
  const t0 = performance.now();
  for (let i = 0; i < CASTS; i++) ee.emit('increment');
  await Promise.resolve();
  const ms = performance.now() - t0;
  if (count !== CASTS) throw new Error('lost emits');
  return rate(CASTS, ms);
};

// --- calls ---------------------------------------------------------------------------------------------------
const callActor = (callers, timeoutMs) =>
  withServer(async (_system, server) => {
    const per = Math.floor(CALLS / callers);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        for (let i = 0; i < per; i++) await server.call('get', timeoutMs);
      }),
    );
    return rate(per * callers, performance.now() - t0);
  });

const callEmitter = async (callers) => {
  const ee = new EventEmitter();
  const count = 0;
  ee.on('get', (reply) => reply(count));
  const per = Math.floor(CALLS / callers);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = 0; i < per; i++) await new Promise((resolve) => ee.emit('get', resolve));
    }),
  );
  return rate(per * callers, performance.now() - t0);
};

const rows = [];
const add = async (what, ours, baseline) => {
  const r = await compare(ours, baseline);
  rows.push([what, fmt(r.ours), fmt(r.baseline), `${r.ratio.toFixed(2)}x`]);
};

// Warm both sides up once so the first round is not a JIT measurement.
await castActor();
await castEmitter();
await add(`cast (${CASTS} to one GenServer)`, castActor, castEmitter);
await add('call round trip, 1 caller, 5 s timeout', () => callActor(1, 5000), () => callEmitter(1));
await add('call round trip, 1 caller, no timeout', () => callActor(1, Infinity), () => callEmitter(1));
await add('call round trip, 16 callers, 5 s timeout', () => callActor(16, 5000), () => callEmitter(16));
await add('call round trip, 16 callers, no timeout', () => callActor(16, Infinity), () => callEmitter(16));

console.log(`actor runtime (real scheduler) vs EventEmitter hand-off, median of ${ROUNDS} alternating rounds, Node ${process.version}`);
console.log(renderTable(['operation', 'racelab', 'EventEmitter', 'ratio'], rows));
