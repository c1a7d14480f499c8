#!/usr/bin/env node
// Hashes the history pages `racelab check --html` draws, for a fixed set of histories: the sample histories in
// data/histories (each with its model, drawn whole, cut to 20 operations, titled, and with a search budget too
// small for a verdict) and seeded simulated ones (register, counter and kv, half with a bug; drawn whole and cut to
// 10 operations). The search time is the only figure of a page that is not the history's: it is set to 0 first.
// A refactor of the page that keeps the hash draws every page byte for byte. Reads the build (dist/): run
// `npm run build` first.
//   node scripts/hash-history-pages.mjs [--verbose]
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkVerbose } from '../dist/check/checker.js';
import { readHistoryFile } from '../dist/history/read.js';
import { renderHistoryHtml } from '../dist/report/history-html.js';
import { simulate } from '../data/histories/simulate.mjs';

const data = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'histories');
const verbose = process.argv.includes('--verbose');
const total = createHash('sha256');
let pages = 0;

function page(name, events, model, checkOptions, htmlOptions) {
  const report = { ...checkVerbose(events, model, checkOptions), searchMs: 0 };
  const html = renderHistoryHtml(report, htmlOptions);
  const digest = createHash('sha256').update(html).digest('hex');
  total.update(`${name} ${digest}\n`);
  pages++;
  if (verbose) console.log(`${name}: ${report.verdict}, ${html.length} bytes ${digest.slice(0, 12)}`);
}

const SAMPLES = [
  ['cas-register-ok.log', 'register'],
  ['register-history.edn', 'register'],
  ['kv-lost-append.jsonl', 'kv'],
  ['counter-grpc.vulnerable.jsonl', 'counter'],
  ['counter-grpc.mutex.jsonl', 'counter'],
];
for (const [file, model] of SAMPLES) {
  const { events } = await readHistoryFile(join(data, file));
  page(`${file} whole`, events, model, {}, {});
  page(`${file} 20 ops`, events, model, {}, { maxOperations: 20 });
  page(`${file} titled`, events, model, {}, { title: `sample <${file}>`, source: `data/histories/${file} & "more"` });
  page(`${file} 3 steps`, events, model, { maxSteps: 3 }, {});
}

const SIMULATED = {
  register: {
    plan: (rng) => (rng.next() < 0.5 ? { f: 'read', in: null } : rng.next() < 0.7 ? { f: 'write', in: rng.int(4) } : { f: 'cas', in: [rng.int(4), rng.int(4)] }),
    make: (buggy) => {
      let value = null;
      return (p, rng) => {
        if (p.f === 'read') p.out = buggy && rng.next() < 0.1 ? rng.int(4) : value;
        else if (p.f === 'write') {
          if (p.happened) value = p.in;
        } else {
          p.failed = value !== p.in[0];
          if (!p.failed && p.happened) value = p.in[1];
        }
      };
    },
  },
  counter: {
    plan: (rng) => (rng.next() < 0.6 ? { f: 'increment', in: null } : { f: 'read', in: null }),
    make: (buggy) => {
      let n = 0;
      return (p, rng) => {
        if (p.f === 'read') p.out = n;
        else if (p.happened && !(buggy && rng.next() < 0.15)) n++;
      };
    },
  },
  kv: {
    plan: (rng, i) => {
      const key = `k${rng.int(2)}`;
      const r = rng.next();
      return r < 0.5 ? { f: 'get', in: [key, null] } : r < 0.7 ? { f: 'put', in: [key, `p${i}.`] } : { f: 'append', in: [key, `a${i}.`] };
    },
    make: (buggy) => {
      const store = new Map();
      return (p, rng) => {
        const [key, v] = p.in;
        const current = store.get(key) ?? null;
        if (p.f === 'get') p.out = [key, current];
        else if (p.f === 'put') {
          if (p.happened) store.set(key, v);
        } else if (p.happened && !(buggy && rng.next() < 0.1)) store.set(key, (current ?? '') + v);
      };
    },
  },
};
for (const [model, { plan, make }] of Object.entries(SIMULATED)) {
  for (let seed = 1; seed <= 8; seed++) {
    const buggy = seed % 2 === 0;
    const events = simulate({ seed, clients: 2 + (seed % 3), ops: 12 + seed * 6, plan, apply: make(buggy), infoRate: 0.05 }).map((e) => ({ ...e, time: e.time * 1000 }));
    page(`${model} seed ${seed} whole`, events, model, {}, {});
    page(`${model} seed ${seed} 10 ops`, events, model, {}, { maxOperations: 10 });
  }
}
console.log(`${pages} pages`);
console.log(`sha256 ${total.digest('hex')}`);
