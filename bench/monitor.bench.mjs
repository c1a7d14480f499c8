// The race monitor's cost, measured: unary calls/s of the atomic counter (`racelab serve --variant atomic
// --delay 0ms`) with and without the monitor (`--metrics :0`: the grpc-js interceptor, and each call's store
// naming the call's request, src/scenarios/counter/server.ts), in one run. Each server is its own process, flooded by the same one-channel driver at max rate (100 calls in
// flight) with Increment calls, which read nothing and write once through the Store. The two servers take turns,
// several rounds, so drift in the machine's load falls on both; the ratio is of the medians. Target: >= 0.9x.
// On a machine shared with other work the calls/s of a round follow the load more than the server (both
// servers sit mostly idle waiting for a core), so the bench also reads each server's own CPU time from
// /proc/PID/stat around each round: CPU µs per call, and its ratio, is the cost the monitor adds whatever else
// runs (the calls/s a saturated server reaches is the inverse). Then the same on a user's own grpc-js server,
// without the monitor, with it as the README shows (async context) and with the handler naming its request.
// `--quick` runs fewer, shorter rounds.
import { readFileSync } from 'node:fs';
import { raceMonitor } from '../dist/index.js';
import { runFlood } from '../dist/burst/index.js';
import { children, startNode, startRacelab } from './racelab-process.mjs';

const quick = process.argv.includes('--quick');

const common = ['serve', '--variant', 'atomic', '--delay', '0ms', '--max-concurrency', '1000', '--port', '0'];
const plain = await startRacelab(common, /on (\S+:\d+) /);
const watched = await startRacelab([...common, '--metrics', ':0'], /on (\S+:\d+) [\s\S]*metrics at (http\S+\/metrics)/);
const rounds = quick ? 3 : 7;
const durationMs = quick ? 1000 : 2500;
const emptyRequest = Buffer.alloc(0);
const flood = (target) =>
  runFlood({
    transport: { target, metadata: [], deadlineMs: 10_000, connectTimeoutMs: 5000 },
    rate: 'max',
    durationMs,
    connections: 1,
    concurrency: 100,
    makeCall: (index, client) => ({ index, client, path: '/Counter/Increment', request: emptyRequest, offsetMicros: 0 }),
  });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
// utime + stime of a process in µs (fields 14 and 15 of /proc/PID/stat, in clock ticks of 10 ms); undefined
// where there is no /proc.
const cpuMicros = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
};
/** One round on one server: calls/s, and the server's CPU µs per completed call. */
const round = async (server) => {
  const before = cpuMicros(server.child.pid);
  const r = await flood(server.match[1]);
  const after = cpuMicros(server.child.pid);
  return { callsPerSecond: r.callsPerSecond, cpuPerCall: before === undefined || after === undefined ? undefined : (after - before) / r.completed };
};
// A warm-up of each, not counted.
await flood(plain.match[1]);
await flood(watched.match[1]);
const without = [];
const withMonitor = [];
for (let i = 0; i < rounds; i++) {
  without.push(await round(plain));
  withMonitor.push(await round(watched));
}
const metrics = await (await fetch(watched.match[2])).text();
const requests = metrics.split('\n').find((l) => l.startsWith('racelab_monitor_requests_total{method="/Counter/Increment"}'));
const a = median(without.map((r) => r.callsPerSecond));
const b = median(withMonitor.map((r) => r.callsPerSecond));
console.log(`unary Increment calls/s of the atomic counter, median of ${rounds} rounds of ${durationMs}ms, 100 in flight, one channel`);
console.log(`  without the monitor: ${Math.round(a)}  (rounds: ${without.map((r) => Math.round(r.callsPerSecond)).join(', ')})`);
console.log(`  with the monitor:    ${Math.round(b)}  (rounds: ${withMonitor.map((r) => Math.round(r.callsPerSecond)).join(', ')})`);
console.log(`  ratio with/without:  ${(b / a).toFixed(2)}x  (target >= 0.90x)`);
if (without.every((r) => r.cpuPerCall !== undefined) && withMonitor.every((r) => r.cpuPerCall !== undefined)) {
  const ca = median(without.map((r) => r.cpuPerCall));
  const cb = median(withMonitor.map((r) => r.cpuPerCall));
  console.log(`  server CPU per call: ${ca.toFixed(1)}µs without, ${cb.toFixed(1)}µs with (+${(cb - ca).toFixed(1)}µs); calls per CPU-second with/without: ${(ca / cb).toFixed(2)}x  (target >= 0.90x)`);
  console.log(`    rounds without: ${without.map((r) => r.cpuPerCall.toFixed(1)).join(', ')}; with: ${withMonitor.map((r) => r.cpuPerCall.toFixed(1)).join(', ')}`);
} else console.log('  server CPU per call: not measured (no /proc on this system)');
console.log(`  the monitored server counted: ${requests ?? '(no sample)'}`);

// The same on a user's own grpc-js server (bench/monitor-plain-server.mjs), three ways in turn: no monitor; the
// monitor with each handler in its request's async context (the default, as above); and with the handler naming
// its request (asyncContext false: no AsyncLocalStorage at all, whose promise hook runs for every promise).
const script = new URL('./monitor-plain-server.mjs', import.meta.url).pathname;
const modes = ['none', 'async', 'explicit'];
const servers = {};
for (const mode of modes) servers[mode] = await startNode([script, mode], /on (\S+:\d+) /);
for (const mode of modes) await flood(servers[mode].match[1]);
const series = Object.fromEntries(modes.map((m) => [m, []]));
for (let i = 0; i < rounds; i++) for (const mode of modes) series[mode].push(await round(servers[mode]));
const rate = (mode) => median(series[mode].map((r) => r.callsPerSecond));
const cpu = (mode) => (series[mode].every((r) => r.cpuPerCall !== undefined) ? median(series[mode].map((r) => r.cpuPerCall)) : undefined);
console.log(`\nthe same on a plain grpc-js Counter server (bench/monitor-plain-server.mjs), median of ${rounds} rounds each, in turn`);
for (const mode of modes) {
  const label = { none: 'without the monitor', async: 'monitor, async context', explicit: 'monitor, request named' }[mode];
  const c = cpu(mode);
  const ratio = mode === 'none' ? '' : `  ratio ${(rate(mode) / rate('none')).toFixed(2)}x calls/s${c !== undefined && cpu('none') !== undefined ? `, ${(cpu('none') / c).toFixed(2)}x calls per CPU-second` : ''}  (target >= 0.90x)`;
  console.log(`  ${label.padEnd(24)} ${String(Math.round(rate(mode))).padStart(6)} calls/s${c !== undefined ? `, ${c.toFixed(1)}µs server CPU per call` : ''}${ratio}`);
}
for (const c of children) c.kill('SIGTERM');

// The monitor's own work per request, in this process and without gRPC: begin, run, read, write, end, on 1000
// keys (what a handler pays besides the interceptor's grpc-js plumbing).
const monitor = raceMonitor();
const n = quick ? 100_000 : 500_000;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const r = monitor.begin('/Svc/M');
  monitor.run(r, () => {
    monitor.read(`k:${i % 1000}`, i);
    monitor.write(`k:${i % 1000}`);
  });
  monitor.end(r, 0);
}
const perRequestUs = Number(process.hrtime.bigint() - t0) / 1000 / n;
console.log(`  monitor bookkeeping per request (begin, run, read, write, end; no gRPC): ${perRequestUs.toFixed(2)}µs over ${n} requests`);
