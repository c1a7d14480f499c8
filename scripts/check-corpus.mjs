#!/usr/bin/env node
// The linearizability checker's behaviour-preservation oracle: checks every history the repository has (the
// sample files in data/histories, the benchmark's large append-heavy kv history, and a few thousand small
// histories generated with a fixed seed, linearizable or broken on purpose) and prints the count per verdict
// and one sha256 over (name, verdict, explanation) of all of them. A refactoring of the search must leave the
// hash as it was; a change that prunes more may change steps and unknowns, and the per-history lines
// (`--list`) say which.
//
//   npm run build && node scripts/check-corpus.mjs [--list] [--count N] [--show NAME (print one explanation)]
//
// Every budget is counted in steps, never in time, so the output does not depend on the machine's load.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendHeavyKvHistory, counterHistoryJsonl } from '../bench/large-history.mjs';
import { checkVerbose } from '../dist/check/checker.js';
import { Random } from '../dist/core/random.js';
import { parseHistory } from '../dist/history/read.js';

const args = process.argv.slice(2);
const list = args.includes('--list');
const showAt = args.indexOf('--show');
const show = showAt >= 0 ? args[showAt + 1] : undefined;
const countAt = args.indexOf('--count');
const generatedCount = countAt >= 0 ? Number(args[countAt + 1]) : 4700;
if (!Number.isInteger(generatedCount) || generatedCount < 0) {
  console.error('check-corpus: --count takes a whole number of generated histories, like --count 4700');
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));
/** Steps for one history's verdict: small enough that the one history that needs more stays quick. */
const MAX_STEPS = 1_000_000;

/** @type {Array<{ name: string, model: string, events: unknown[], initial?: { value: unknown } }>} */
const corpus = [];

// The sample files, with the model their README names.
const modelOfFile = { 'cas-register-ok.log': 'register', 'register-history.edn': 'register', 'kv-lost-append.jsonl': 'kv', 'counter-grpc.mutex.jsonl': 'counter', 'counter-grpc.vulnerable.jsonl': 'counter' };
const dataDir = join(root, 'data', 'histories');
for (const file of readdirSync(dataDir).sort()) {
  const model = modelOfFile[file];
  if (model === undefined) continue;
  const parsed = parseHistory(readFileSync(join(dataDir, file), 'utf8'), 'auto', file);
  corpus.push({ name: `data/histories/${file}`, model, events: parsed.events, ...('initial' in parsed.header ? { initial: { value: parsed.header.initial } } : {}) });
}

// The benchmark's histories (bench/large-history.mjs), at sizes that stay quick.
corpus.push({ name: 'bench:append-heavy-kv-50-clients-2000', model: 'kv', events: appendHeavyKvHistory({ operations: 2000, clients: 50 }) });
for (const lostUpdate of [false, true]) {
  const parsed = parseHistory(counterHistoryJsonl({ operations: 5000, lostUpdate }), 'jsonl', 'counter');
  corpus.push({ name: `bench:counter-5000${lostUpdate ? '-lost-update' : ''}`, model: 'counter', events: parsed.events, initial: { value: parsed.header.initial } });
}

/**
 * Closed-loop clients against a real sequential object, each operation taking effect at a random instant inside
 * its call; some time out (info, half of them applied anyway, the client going on as a new process). With
 * `broken`, one read reports a value it could not have seen, so the history is (usually) not linearizable.
 */
function generate(seed) {
  const rng = Random.seeded(seed);
  const model = ['register', 'counter', 'kv'][rng.int(3)];
  const clients = 2 + rng.int(5);
  const ops = 4 + rng.int(36);
  const broken = rng.next() < 0.3;
  const clock = new Array(clients).fill(0);
  const processOf = Array.from({ length: clients }, (_, i) => i);
  const planned = [];
  for (let i = 0; i < ops; i++) {
    const c = rng.int(clients);
    const call = clock[c] + 1 + rng.int(6);
    const ret = call + 1 + rng.int(25);
    clock[c] = ret;
    const info = rng.next() < 0.05;
    const p = { process: processOf[c], call, ret, point: call + rng.next() * (ret - call), info, applied: !info || rng.next() < 0.5 };
    if (info) processOf[c] += clients;
    const r = rng.next();
    if (model === 'register') Object.assign(p, r < 0.4 ? { f: 'read' } : r < 0.8 ? { f: 'write', v: rng.int(5) } : { f: 'cas', v: [rng.int(5), rng.int(5)] });
    else if (model === 'counter') Object.assign(p, r < 0.3 ? { f: 'get' } : { f: 'increment' });
    else Object.assign(p, { key: `k${rng.int(3)}` }, r < 0.3 ? { f: 'get' } : r < 0.5 ? { f: 'put', v: String(rng.int(4)) } : { f: 'append', v: String(i % 10) });
    planned.push(p);
  }
  let register = null;
  let counter = 0;
  const kv = new Map();
  for (const p of [...planned].sort((a, b) => a.point - b.point)) {
    if (!p.applied) continue;
    if (p.f === 'read') p.out = register;
    else if (p.f === 'write') register = p.v;
    else if (p.f === 'cas') {
      p.failed = register !== p.v[0];
      if (!p.failed) register = p.v[1];
    } else if (p.f === 'increment') counter++;
    else if (p.f === 'get') p.out = model === 'counter' ? counter : (kv.get(p.key) ?? null);
    else if (p.f === 'put') kv.set(p.key, p.v);
    else kv.set(p.key, (kv.get(p.key) ?? '') + p.v);
  }
  if (broken) {
    const reads = planned.filter((p) => !p.info && (p.f === 'read' || p.f === 'get'));
    if (reads.length > 0) {
      const p = reads[rng.int(reads.length)];
      p.out = model === 'register' ? 5 + rng.int(3) : model === 'counter' ? p.out + 1 + rng.int(2) : `${p.out ?? ''}x`;
    }
  }
  const events = [];
  for (const p of planned) {
    const invoke = model === 'kv' ? [p.key, p.f === 'get' ? null : p.v] : p.f === 'write' || p.f === 'cas' ? p.v : null;
    const out = model === 'kv' ? [p.key, p.f === 'get' ? p.out : p.v] : p.f === 'read' || p.f === 'get' ? p.out : p.f === 'increment' ? null : p.v;
    events.push({ t: p.call, o: 1, e: { process: p.process, type: 'invoke', f: p.f, value: invoke } });
    if (p.info) events.push({ t: p.ret, o: 0, e: { process: p.process, type: 'info', f: p.f, value: invoke } });
    else events.push({ t: p.ret, o: 0, e: { process: p.process, type: p.failed ? 'fail' : 'ok', f: p.f, value: p.failed ? invoke : out } });
  }
  // Returns before calls at one instant: a tie would make them concurrent, which is allowed but less sharp.
  events.sort((a, b) => a.t - b.t || a.o - b.o);
  return { name: `generated:${seed}:${model}${broken ? ':broken' : ''}`, model, events: events.map((x) => ({ ...x.e, time: x.t })) };
}
for (let seed = 1; seed <= generatedCount; seed++) corpus.push(generate(seed));

const hash = createHash('sha256');
const counts = { ok: 0, illegal: 0, unknown: 0 };
const t0 = performance.now();
for (const h of corpus) {
  const report = checkVerbose(h.events, h.model, { maxSteps: MAX_STEPS, ...(h.initial ? { initial: h.initial } : {}) });
  counts[report.verdict]++;
  const explanation = report.explanation.join('\n');
  hash.update(`${h.name}\u0000${report.verdict}\u0000${explanation}\u0000`);
  if (h.name === show) console.log(`${h.name}: ${report.verdict}\n${explanation}\n`);
  if (list) console.log(`${h.name}\t${report.verdict}\t${report.steps}\t${createHash('sha256').update(explanation).digest('hex').slice(0, 12)}`);
}
console.log(`histories ${corpus.length}: ok ${counts.ok}, illegal ${counts.illegal}, unknown ${counts.unknown}`);
console.log(`sha256 ${hash.digest('hex')}`);
console.log(`checked in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
