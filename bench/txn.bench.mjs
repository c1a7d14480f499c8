// Transactional anomaly check (list-append, Elle's workload) time and memory against history size: 1k, 10k
// and 100k transactions from 10 clients. Histories come from an in-memory list store under simulated
// concurrency: each transaction takes effect at one random instant between its invocation and completion
// (so the clean history is strict serializable and the checker must build and search the whole graph); keys
// rotate as in Elle's generator (at most 32 appends per key, 10 keys active); 1% of transactions end with an
// unknown outcome, half of which took effect. The `stale` rows let 1% of reads miss the latest append to the key (the state before its last
// commit), so the search also has cycles to find and explain.
// Target (issue 15): 100k transactions in under 10 s and under 1 GB; Elle published "hundreds of thousands of
// transactions in tens of seconds". Ratios are against the 1k row of the same run: the scaling curve.
import { checkTransactions } from '../dist/index.js';
import { listAppendHistory as generate } from './txn-history.mjs';

// Warm up the JIT so the 1k row measures the algorithm, not the compiler.
checkTransactions(generate({ txns: 2_000, clients: 10, seed: 1, staleRate: 0.01 }), 'list-append');
const rows = [];
for (const staleRate of [0, 0.01]) {
  let base;
  for (const txns of [1_000, 10_000, 100_000]) {
    const events = generate({ txns, clients: 10, seed: 15, staleRate });
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const report = checkTransactions(events, 'list-append');
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    const rssMb = process.resourceUsage().maxRSS / 1024;
    base ??= cpuMs / txns;
    const found = Object.entries(report.anomalyCounts).map(([k, v]) => `${k}:${v}`).join(' ') || 'none';
    rows.push([staleRate ? 'stale 1%' : 'clean', txns.toLocaleString('en-US'), report.graph.edges.toLocaleString('en-US'), `${ms.toFixed(0)} ms`, `${cpuMs.toFixed(0)} ms`, `${(cpuMs / txns * 1000).toFixed(1)} µs`, `${(cpuMs / txns / base).toFixed(2)}×`, `${heapMb.toFixed(0)} MB`, `${rssMb.toFixed(0)} MB`, found.slice(0, 48)]);
  }
}
const header = ['history', 'txns', 'edges', 'check (wall)', 'cpu', 'cpu per txn', 'cpu per txn vs 1k', 'heap held', 'peak RSS', 'anomalies found'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
console.log(header.map((h, i) => h.padEnd(widths[i])).join('  '));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
console.log('\ncpu: user+system time of this process during the check; on a shared machine the wall time includes waiting for a core.');
console.log('cpu per txn vs 1k: CPU time per transaction relative to the 1k history of the same kind (1.00× = linear).');
console.log('peak RSS is the process maximum so far (includes generating the history); heap held is the heap the check grew by, measured right after it.');
