#!/usr/bin/env node
// Regenerates the simulated sample histories in this folder (see README.md): `npm run build`, then
// `node data/histories/generate.mjs`. Seeded, so the files come out the same every time.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate } from './simulate.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function edn(v) {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return `[${v.map(edn).join(' ')}]`;
  if (typeof v === 'string') return v === 'timed-out' ? ':timed-out' : JSON.stringify(v);
  return String(v);
}

// 1. A cas register (values 0-4, like Jepsen's etcd test), as a Jepsen text log: linearizable.
{
  let value = null;
  const events = simulate({
    seed: 7,
    clients: 5,
    ops: 300,
    plan: (rng) => {
      const r = rng.next();
      if (r < 0.45) return { f: 'read', in: null };
      if (r < 0.75) return { f: 'write', in: rng.int(5) };
      return { f: 'cas', in: [rng.int(5), rng.int(5)] };
    },
    apply: (p) => {
      if (p.f === 'read') p.out = value;
      else if (p.f === 'write') {
        if (p.happened) value = p.in;
      } else {
        p.failed = value !== p.in[0];
        if (!p.failed && p.happened) value = p.in[1];
      }
    },
  });
  const lines = ['INFO  jepsen.core - Running test (simulated register, racelab data/histories/generate.mjs)'];
  for (const e of events) lines.push(`INFO  jepsen.util - ${e.process}\t:${e.type}\t:${e.f}\t${edn(e.value)}`);
  writeFileSync(join(here, 'cas-register-ok.log'), `${lines.join('\n')}\n`);
}

// 2. The same kind of register as Jepsen 0.3's history.edn (one tagged op per line, :time in ns): linearizable.
{
  let value = null;
  const events = simulate({
    seed: 11,
    clients: 4,
    ops: 120,
    plan: (rng) => (rng.next() < 0.5 ? { f: 'read', in: null } : { f: 'write', in: rng.int(5) }),
    apply: (p) => {
      if (p.f === 'read') p.out = value;
      else if (p.happened) value = p.in;
    },
  });
  const lines = events.map(
    (e, index) => `#jepsen.history.Op{:index ${index}, :time ${e.time * 1_000_000}, :type :${e.type}, :process ${e.process}, :f :${e.f}, :value ${edn(e.value)}}`,
  );
  writeFileSync(join(here, 'register-history.edn'), `${lines.join('\n')}\n`);
}

// 3. A key-value store that acknowledges one append and then loses it, as racelab JSON Lines: not linearizable.
{
  const store = new Map();
  let lostOne = false;
  const events = simulate({
    seed: 5,
    clients: 6,
    ops: 240,
    infoRate: 0.02,
    plan: (rng, i) => {
      const key = `k${rng.int(3)}`;
      const r = rng.next();
      if (r < 0.5) return { f: 'get', in: [key, null] };
      if (r < 0.6) return { f: 'put', in: [key, `p${i}.`] };
      return { f: 'append', in: [key, `a${i}.`] };
    },
    apply: (p) => {
      const [key, v] = p.in;
      const current = store.get(key) ?? null;
      if (p.f === 'get') p.out = [key, current];
      else if (p.f === 'put') {
        if (p.happened) store.set(key, v);
      } else if (!lostOne && p.point > 1500 && key === 'k1' && !p.info) {
        lostOne = true; // acknowledged, never applied: the bug this history records
      } else if (p.happened) store.set(key, (current ?? '') + v);
    },
  });
  writeFileSync(join(here, 'kv-lost-append.jsonl'), events.map((e) => `${JSON.stringify({ ...e, time: e.time * 1000 })}\n`).join(''));
}
