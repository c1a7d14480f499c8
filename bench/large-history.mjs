// Shared by bench/check-memory.bench.mjs and test/hardening (signals, --html on a large history).
/**
 * Large counter histories for the budget, signal and memory tests: `clients` processes increment in
 * overlapping calls, and every `readEvery`th operation is a read of the exact count at that instant (so the
 * history is linearizable), except the last read when `lostUpdate` is set, which misses one increment.
 */
export function counterHistoryJsonl(options) {
  const clients = options.clients ?? 8;
  const readEvery = options.readEvery ?? 50;
  const lines = [];
  let count = 0;
  let t = 0;
  for (let i = 0; i < options.operations; i++) {
    const p = i % clients;
    if (i % readEvery === readEvery - 1) {
      const last = i + readEvery >= options.operations;
      const seen = options.lostUpdate && last ? count - 2 : count; // the last increment may still be in flight
      lines.push(`{"process":${p},"type":"invoke","f":"get","value":null,"time":${t}}`, `{"process":${p},"type":"ok","f":"get","value":${seen},"time":${t + 1}}`);
      t += 2;
    } else {
      // Increments overlap their neighbours: each ends after the next one starts.
      lines.push(`{"process":${p},"type":"invoke","f":"increment","value":null,"time":${t}}`, `{"process":${p},"type":"ok","f":"increment","value":null,"time":${t + 3}}`);
      count++;
      t += 2;
    }
  }
  // The events of overlapping operations interleave: sort by time (stable: invokes keep their order).
  return `{"initial":0}\n${lines
    .map((l, k) => ({ l, k, time: Number(/"time":(\d+)/.exec(l)[1]) }))
    .sort((a, b) => a.time - b.time || a.k - b.k)
    .map((x) => x.l)
    .join('\n')}\n`;
}
