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

/**
 * An append-heavy key-value history: `clients` closed-loop clients, 80% appends and 20% reads over `keys` keys,
 * each operation taking effect at a random instant inside its call (virtual time), so it is linearizable.
 */
export function appendHeavyKvHistory({ operations, clients = 50, keys = 10, seed = 1 }) {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const clock = new Array(clients).fill(0);
  const planned = [];
  for (let i = 0; i < operations; i++) {
    const c = i % clients;
    const call = clock[c] + 1 + Math.floor(rnd() * 5);
    const ret = call + 1 + Math.floor(rnd() * 40);
    clock[c] = ret;
    planned.push({ c, call, ret, point: call + rnd() * (ret - call), key: `k${Math.floor(rnd() * keys)}`, append: rnd() < 0.8, v: String(i % 10) });
  }
  const store = new Map();
  for (const p of [...planned].sort((a, b) => a.point - b.point)) {
    const current = store.get(p.key) ?? null;
    if (p.append) store.set(p.key, (current ?? '') + p.v);
    else p.out = current;
  }
  const events = [];
  for (const p of planned) {
    const f = p.append ? 'append' : 'get';
    events.push({ t: p.call, o: 0, e: { process: p.c, type: 'invoke', f, value: [p.key, p.append ? p.v : null] } });
    events.push({ t: p.ret, o: 1, e: { process: p.c, type: 'ok', f, value: [p.key, p.append ? p.v : p.out] } });
  }
  events.sort((a, b) => a.t - b.t || a.o - b.o);
  return events.map((x) => ({ ...x.e, time: x.t }));
}
