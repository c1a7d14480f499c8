// Shared by bench/txn.bench.mjs and test/txn/txn-cli.test.ts (Ctrl+C during a large check).
import { Random } from '../dist/index.js';

/**
 * A list-append history (Elle's workload) from an in-memory list store under simulated concurrency: each
 * transaction takes effect at one random instant between its invocation and completion, so a clean history
 * (`staleRate` 0) is strict serializable; keys rotate as in Elle's generator; 1% of outcomes are unknown. With
 * `staleRate`, that share of reads miss the latest append to the key. Returns racelab history events.
 */
export function listAppendHistory({ txns, clients, seed, staleRate }) {
  const rng = Random.seeded(seed);
  const clientTime = new Array(clients).fill(0);
  const planned = [];
  let nextKey = 0;
  const active = [];
  const appendsTo = new Map();
  const pickKey = () => {
    while (active.length < 10) active.push(nextKey++);
    const i = rng.int(active.length);
    return active[i];
  };
  for (let i = 0; i < txns; i++) {
    const c = rng.int(clients);
    const call = clientTime[c] + 1 + rng.int(10);
    const ret = call + 1 + rng.int(40);
    clientTime[c] = ret;
    const info = rng.next() < 0.01;
    const ops = [];
    const n = 1 + rng.int(4);
    for (let j = 0; j < n; j++) {
      const k = pickKey();
      if (rng.next() < 0.5) ops.push(['r', k, null]);
      else {
        const count = (appendsTo.get(k) ?? 0) + 1;
        appendsTo.set(k, count);
        ops.push(['append', k, count]);
        if (count >= 32) active.splice(active.indexOf(k), 1);
      }
    }
    planned.push({ c, call, ret, point: call + rng.next() * (ret - call), info, happened: !info || rng.next() < 0.5, ops, stale: rng.next() < staleRate });
  }
  const store = new Map();
  for (const p of [...planned].sort((a, b) => a.point - b.point)) {
    const writes = [];
    p.out = p.ops.map(([f, k, v]) => {
      if (f === 'append') {
        writes.push([k, v]);
        return [f, k, v];
      }
      // A stale read misses the latest append to the key: the state before its last commit.
      const current = store.get(k) ?? [];
      const base = p.stale ? current.slice(0, Math.max(0, current.length - 1)) : current;
      return ['r', k, [...base, ...writes.filter(([wk]) => wk === k).map(([, wv]) => wv)]];
    });
    if (p.happened) for (const [k, v] of writes) store.set(k, [...(store.get(k) ?? []), v]);
  }
  const events = [];
  for (const p of planned) {
    events.push({ at: p.call, e: { process: p.c, type: 'invoke', f: 'txn', value: p.ops } });
    events.push({ at: p.ret + 0.5, e: { process: p.c, type: p.info ? 'info' : 'ok', f: 'txn', value: p.info ? p.ops : p.out } });
  }
  return events.sort((a, b) => a.at - b.at).map((x) => x.e);
}

/** The same history as racelab JSON Lines. */
export function listAppendJsonl(options) {
  return `${listAppendHistory(options).map((e) => JSON.stringify(e)).join('\n')}\n`;
}
