// racelab attack, measured:
// 1. Throughput: unary calls/s of the driver's one-channel (--sync parallel) flood at max rate, against h2load
//    (Debian nghttp2-client) sending the same gRPC-framed request, with the same headers, to the same racelab server.
//    Ratio = racelab / h2load.
// 2. Burst spread: first-to-last handler start on the server, per sync mode, for N = 20 and 100 calls, on
//    loopback and through racelab's jitter proxy (20 ms + up to 5 ms per 1460-byte segment). Ratios are against
//    --sync parallel in the same setting. The "floor" row is the server's own cost of starting N handlers one
//    after another: on loopback a one-channel burst arrives in one read, and (N-1) times the median gap between
//    consecutive handler starts (pooled over 20 such bursts) is what any burst into one server process costs,
//    without the occasional pause (GC, the scheduler) that stretches a single burst's range.
// The server and the proxy run as their own processes (`racelab serve`, `racelab proxy`), as a user would run them.
// `node bench/attack.bench.mjs --quick` (or `npm run bench -- attack --quick`) runs fewer, shorter rounds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { runAttack } from '../dist/index.js';
import { startRacelab } from './racelab-process.mjs';
import { createSyncPolicy, runFlood } from '../dist/burst/index.js';

function renderTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const quick = process.argv.includes('--quick');

const stop = async (c) => {
  c.child.removeAllListeners('exit');
  const done = new Promise((r) => c.child.once('exit', r));
  c.child.kill('SIGTERM');
  await done;
};

const fmtUs = (v) => (v === undefined ? '-' : v >= 1000 ? `${(v / 1000).toFixed(2)}ms` : `${Math.round(v)}µs`);
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`);

const server = await startRacelab(['serve', '--variant', 'atomic', '--delay', '0ms', '--max-concurrency', '1000', '--port', '0'], /on (\S+:\d+) /);
const target = server.match[1];
const transport = { target, metadata: [], deadlineMs: 30_000, connectTimeoutMs: 5000 };
const emptyRequest = Buffer.alloc(0);

// --- 1. throughput -------------------------------------------------------------------------------------------
// Every client gets a short warm-up run first (JIT, the server's first connection), then a measured run of the
// same length; client CPU per call is the client process's user+system time over the calls it completed
// (process.cpuUsage for the in-process ones, the reaped child's times in /proc/self/stat for h2load). On a
// loaded machine the server and the client compete for the same cores, so compare ratios within one run.
const durationMs = quick ? 1500 : 4000;
const warmupMs = quick ? 300 : 1000;
const inFlight = 100;
const getValue = (index, client) => ({ index, client, path: '/Counter/GetValue', request: emptyRequest, offsetMicros: 0 });
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
async function measured(run) {
  await run(warmupMs);
  const c0 = cpuMicros();
  const r = await run(durationMs);
  return { ...r, cpuPerCallMicros: (cpuMicros() - c0) / Math.max(1, r.completed) };
}
/** The sample with the median calls/s. */
const median = (samples) => [...samples].sort((a, b) => a.callsPerSecond - b.callsPerSecond)[Math.floor(samples.length / 2)];
const floodRun = (ms) => runFlood({ transport, rate: 'max', durationMs: ms, connections: 1, concurrency: inFlight, makeCall: getValue });
/** `inFlight` loops each making one call after another for `ms`: the reference clients' closed loop. */
async function closedLoop(ms, call) {
  let done = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await call();
        done++;
      }
    }),
  );
  return { completed: done, callsPerSecond: done / ((performance.now() - t0) / 1000) };
}
// grpc-js alone, the same load without racelab around it.
async function grpcJsLoop(ms) {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  await new Promise((resolve, reject) => client.waitForReady(Date.now() + 5000, (e) => (e ? reject(e) : resolve())));
  const id = (b) => b;
  const md = new grpc.Metadata();
  const r = await closedLoop(ms, () => new Promise((resolve) => client.makeUnaryRequest('/Counter/GetValue', id, id, emptyRequest, md, { deadline: Date.now() + 30_000 }, () => resolve())));
  client.close();
  return r;
}
// Node's http2 with nothing on top (no status parsing, no deadline, no bookkeeping): the ceiling for any
// client written in Node, so the gap between it and h2load is Node's, not racelab's.
async function bareHttp2Loop(ms) {
  const session = http2.connect(`http://${target}`);
  await new Promise((resolve, reject) => {
    session.once('remoteSettings', resolve);
    session.once('error', reject);
  });
  const frame = Buffer.alloc(5);
  const headers = { ':method': 'POST', ':path': '/Counter/GetValue', 'content-type': 'application/grpc', te: 'trailers' };
  const r = await closedLoop(
    ms,
    () =>
      new Promise((resolve) => {
        const s = session.request(headers);
        s.on('data', () => {});
        s.on('close', resolve);
        s.end(frame);
      }),
  );
  await new Promise((resolve) => session.close(resolve));
  return r;
}
/** CPU seconds of the children this process has reaped (utime + stime, fields 16 and 17 of /proc/self/stat). */
function reapedChildCpuMicros() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[13]) + Number(fields[14])) / 100) * 1e6; // clock ticks (USER_HZ = 100) after the ")"
  } catch {
    return undefined;
  }
}
const bodyDir = mkdtempSync(join(tmpdir(), 'racelab-bench-'));
// The folder goes with the process, however the bench ends (it was left in /tmp after every run).
process.on('exit', () => rmSync(bodyDir, { recursive: true, force: true }));
const body = join(bodyDir, 'get-value.bin');
writeFileSync(body, Buffer.alloc(5)); // a gRPC frame: not compressed, length 0 (an empty GetValueRequest)
const h2loadMissing = spawnSync('h2load', ['--version'], { encoding: 'utf8' }).error
  ? 'h2load not found (Debian: apt-get install -y nghttp2-client); row skipped'
  : undefined;
// The headers the flood sends (src/burst/h2-call.ts requestHeaderPairs), the deadline among them: grpc-js arms a
// timer per call for grpc-timeout, so a request without it costs the server less, and the ratio would compare
// two different requests.
const floodHeaders = ['content-type: application/grpc', 'te: trailers', `grpc-timeout: ${transport.deadlineMs}m`, 'user-agent: racelab-flood'];
const runH2load = (n) =>
  spawnSync('h2load', ['-n', String(n), '-c', '1', '-m', String(inFlight), '-d', body, ...floodHeaders.flatMap((h) => ['-H', h]), `http://${target}/Counter/GetValue`], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
const h2loadRate = (r) => Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(r.stdout)?.[1] ?? 0);
/**
 * h2load takes a call count, not a duration: its warm-up run's rate says how many calls fill `durationMs`, so
 * that it is measured over as long as the others.
 */
function h2loadSample() {
  const warm = runH2load(2000);
  const n = Math.max(2000, Math.round((h2loadRate(warm) * durationMs) / 1000));
  const c0 = reapedChildCpuMicros();
  const r = runH2load(n);
  const c1 = reapedChildCpuMicros();
  const ok = Number(/(\d+) succeeded/.exec(r.stdout)?.[1] ?? 0);
  if (!h2loadRate(r)) return { note: `h2load printed no result: ${(r.stderr || r.stdout).trim().split('\n').pop()}` };
  return { callsPerSecond: h2loadRate(r), calls: n, succeeded: ok, cpuPerCallMicros: c0 === undefined ? undefined : (c1 - c0) / Math.max(1, ok), note: '' };
}
// Several rounds, each client once per round, one after another: on a loaded machine the load drifts, and the
// median of alternating samples is steadier than one sample each.
const samples = quick ? 3 : 5;
const all = { ours: [], bare: [], raw: [], h2: [] };
for (let i = 0; i < samples; i++) {
  all.ours.push(await measured(floodRun));
  all.bare.push(await measured(grpcJsLoop));
  all.raw.push(await measured(bareHttp2Loop));
  if (!h2loadMissing) all.h2.push(h2loadSample());
}
const ours = median(all.ours);
const bare = median(all.bare);
const raw = median(all.raw);
const h2ok = all.h2.filter((x) => x.callsPerSecond);
const h2 = h2loadMissing ? { note: h2loadMissing } : h2ok.length ? median(h2ok) : (all.h2[0] ?? { note: 'h2load did not run' });
const cpu = (v) => (v === undefined ? '-' : `${v.toFixed(1)}µs`);
console.log(`\nThroughput: unary GetValue on ${target} (racelab serve, atomic), one HTTP/2 connection, ${inFlight} calls in flight; median of ${samples} rounds of ${durationMs}ms, each after a ${warmupMs}ms warm-up`);
console.log(
  renderTable(
    ['client', 'calls', 'calls/s', 'client CPU/call', 'ratio to h2load'],
    [
      ['racelab attack --sync parallel --flood --rate max', String(ours.completed), ours.callsPerSecond.toFixed(0), cpu(ours.cpuPerCallMicros), ratio(ours.callsPerSecond, h2.callsPerSecond)],
      ['grpc-js makeUnaryRequest loop (no racelab)', String(bare.completed), bare.callsPerSecond.toFixed(0), cpu(bare.cpuPerCallMicros), ratio(bare.callsPerSecond, h2.callsPerSecond)],
      ['bare node:http2 loop (no racelab, no gRPC parsing)', String(raw.completed), raw.callsPerSecond.toFixed(0), cpu(raw.cpuPerCallMicros), ratio(raw.callsPerSecond, h2.callsPerSecond)],
      h2.callsPerSecond ? ['h2load -c 1 -m 100', `${h2.succeeded}/${h2.calls}`, h2.callsPerSecond.toFixed(0), cpu(h2.cpuPerCallMicros), '1.00x'] : ['h2load', '-', '-', '-', h2.note],
    ],
  ),
);
console.log(`racelab's flood reaches ${ratio(ours.callsPerSecond, raw.callsPerSecond)} of the bare node:http2 loop; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores (the server and every client share them)`);
if (ours.failed + ours.unknown > 0) console.log(`(racelab: ${ours.failed + ours.unknown} calls did not succeed)`);

// --- 2. burst spread -----------------------------------------------------------------------------------------
const proxy = await startRacelab(['proxy', '--listen', ':0', '--target', target, '--delay', '20ms', '--jitter', '5ms', '--mss', '1460', '--seed', '1'], /Proxying (\S+:\d+) /);
const proxied = proxy.match[1];
const modes = ['parallel', 'connections', 'processes', 'last-frame'];
const settings = [
  { name: 'loopback', target, rounds: quick ? 3 : 20 },
  { name: 'jitter proxy 20ms+5ms', target: proxied, rounds: quick ? 2 : 10 },
];
/** (N-1) × median gap between consecutive handler starts of one-read bursts on loopback. */
async function dispatchFloor(n) {
  const policy = createSyncPolicy({ mode: 'parallel', transport, count: n });
  await policy.open();
  const gaps = [];
  try {
    for (let r = 0; r < 20; r++) {
      const calls = Array.from({ length: n }, (_, index) => ({ index, client: 0, path: '/Counter/GetValue', request: emptyRequest, offsetMicros: 0 }));
      const starts = (await policy.fire(calls)).outcomes.map((o) => o.handlerStartMicros).sort((a, b) => a - b);
      for (let i = 1; i < starts.length; i++) gaps.push(starts[i] - starts[i - 1]);
    }
  } finally {
    await policy.close();
  }
  gaps.sort((a, b) => a - b);
  return (n - 1) * gaps[Math.floor(gaps.length / 2)];
}

for (const n of [20, 100]) {
  const floor = await dispatchFloor(n);
  for (const s of settings) {
    const rows = [];
    const results = {};
    for (const sync of modes) {
      const report = await runAttack({ target: s.target, endpoints: [{ method: 'Counter/Increment', count: n }], sync, rounds: s.rounds, pauseMs: 50 });
      results[sync] = report;
    }
    const base = results.parallel.serverSpread?.medianMicros;
    for (const sync of modes) {
      const r = results[sync];
      rows.push([
        sync,
        String(r.clients),
        fmtUs(r.serverSpread?.bestMicros),
        fmtUs(r.serverSpread?.medianMicros),
        fmtUs(r.serverSpread?.stddevMicros),
        fmtUs(r.serverSpread?.worstMicros),
        ratio(r.serverSpread?.medianMicros, base),
        fmtUs(r.sendSpread?.medianMicros),
        r.rounds.every((x) => x.release)
          ? r.rounds.every((x) => x.release.releaseWrites === 1)
            ? '1 every round'
            : r.rounds.map((x) => x.release.releaseWrites).join(',')
          : '-',
      ]);
    }
    rows.push(['floor: (N-1) x median start gap', '-', '-', fmtUs(floor), '-', '-', ratio(floor, base), '-', '-']);
    console.log(`\nBurst spread, N = ${n}, ${s.name}, ${s.rounds} rounds (server handler start, first to last)`);
    console.log(renderTable(['sync', 'conns/procs', 'best', 'median', 'stddev', 'worst', 'median vs parallel', 'client send median', 'release writes'], rows));
    const warnings = [...new Set(modes.flatMap((m) => results[m].warnings.filter((w) => !w.startsWith('no invariant'))))];
    for (const w of warnings) console.log(`  note: ${w}`);
  }
}

// --- 3. bodies that span segments -----------------------------------------------------------------------------
// With 1 KB request bodies a one-channel burst of 20 calls is ~20 KB: 14 segments through the proxy, each held
// for its own jitter. last-frame pre-sends the bodies and releases 20 final frames in one segment.
{
  const size = 1024;
  // An unknown field (number 15, length-delimited) of `size` bytes: the server skips it, the wire carries it.
  const body = Buffer.concat([Buffer.from([0x7a, (size & 0x7f) | 0x80, size >> 7]), Buffer.alloc(size, 0x41)]);
  const rounds = quick ? 2 : 10;
  const rows = [];
  const medians = {};
  for (const sync of modes) {
    const policy = createSyncPolicy({ mode: sync, transport: { ...transport, target: proxied }, count: 20 });
    await policy.open();
    const spreads = [];
    try {
      for (let r = 0; r < rounds; r++) {
        const calls = Array.from({ length: 20 }, (_, index) => ({ index, client: policy.clientOf(index), path: '/Counter/GetValue', request: body, offsetMicros: 0 }));
        const fired = await policy.fire(calls);
        const starts = fired.outcomes.map((o) => o.handlerStartMicros).filter((x) => x !== undefined);
        if (starts.length === 20) spreads.push(Math.max(...starts) - Math.min(...starts));
        await new Promise((res) => setTimeout(res, 50));
      }
    } finally {
      await policy.close();
    }
    spreads.sort((a, b) => a - b);
    medians[sync] = spreads[Math.ceil(spreads.length / 2) - 1];
    rows.push([sync, String(policy.clients), fmtUs(spreads[0]), fmtUs(medians[sync]), fmtUs(spreads[spreads.length - 1])]);
  }
  for (const row of rows) row.push(ratio(medians[row[0]], medians.parallel));
  console.log(`\nBurst spread, N = 20 calls with ${size}-byte request bodies, jitter proxy 20ms+5ms, ${rounds} rounds (server handler start)`);
  console.log(renderTable(['sync', 'conns/procs', 'best', 'median', 'worst', 'median vs parallel'], rows));
}

await stop(proxy);
await stop(server);
