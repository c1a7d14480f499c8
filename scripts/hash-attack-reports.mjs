#!/usr/bin/env node
// Hashes what `racelab attack` reports for fixed inputs: attacks on racelab's own Counter servers (loopback, in this
// process) whose outcome does not depend on timing (the mutex server under every in-process sync mode, the
// vulnerable one called sequentially, a user invariant over two endpoints, a recorded history), and the one-line
// errors of bad input. Each report's timings (wall times, send and handler instants, spreads, latencies, the
// release's frames) are set to 0, then it is rendered as text, JSON and HTML, and everything goes into one
// sha256. A refactor of the attack that keeps the hash keeps every verdict, count, message and rendering.
// Reads the build (dist/): run `npm run build` first.
//   node scripts/hash-attack-reports.mjs [--verbose]
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAttack } from '../dist/attack/run.js';
import { parseSyncMode } from '../dist/burst/create-policy.js';
import { cliMessage } from '../dist/cli/errors.js';
import { attackPage } from '../dist/report/attack-page.js';
import { renderAttackReport } from '../dist/report/attack-text.js';
import { renderReportPage } from '../dist/report/page.js';
import { startCounterServer } from '../dist/scenarios/counter/server.js';

const verbose = process.argv.includes('--verbose');
const TIMING = new Set(['wallMs', 'sentMicros', 'doneMicros', 'handlerStartMicros', 'sendSpread', 'serverSpread', 'latency', 'release', 'agents', 'callsPerSecond']);

/** The report with every timing figure 0 (the shape kept, so the renderers still draw those parts). */
function untimed(value, timing = false) {
  if (Array.isArray(value)) return value.map((v) => untimed(v, timing));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, untimed(v, timing || TIMING.has(k))]));
  return timing && typeof value === 'number' ? 0 : value;
}

const total = createHash('sha256');
let reports = 0;
let badInputs;
const targets = [];
/** The servers' ports are the system's choice: a text names them as <mutex> and <vulnerable>. */
function add(name, raw) {
  let text = raw;
  for (const [target, as] of targets) text = text.replaceAll(target, as);
  const digest = createHash('sha256').update(text).digest('hex');
  total.update(`${name} ${digest}\n`);
  if (verbose) console.log(`${name}: ${digest.slice(0, 12)} ${text.length > 120 ? `${text.length} chars` : text}`);
}

const dir = await mkdtemp(join(tmpdir(), 'racelab-hash-attack-'));
const mutex = await startCounterServer({ variant: 'mutex', delayMs: 5, maxConcurrency: 100 });
const vulnerable = await startCounterServer({ variant: 'vulnerable', delayMs: 5, maxConcurrency: 100 });
targets.push([mutex.target, '<mutex>'], [vulnerable.target, '<vulnerable>'], [dir, '<dir>']);
try {
  const cases = [
    ...['sequential', 'parallel', 'connections', 'last-frame'].map((sync) => [`mutex ${sync}`, { target: mutex.target, scenario: 'counter', sync, count: 4, rounds: 2, pauseMs: 0, seed: 1 }]),
    ['mutex connections 3 of 6, kept calls', { target: mutex.target, scenario: 'counter', sync: 'connections', connections: 3, count: 6, rounds: 1, pauseMs: 0, seed: 1, keepCalls: true }],
    ['vulnerable sequential', { target: vulnerable.target, scenario: 'counter', sync: 'sequential', count: 3, rounds: 3, pauseMs: 0, seed: 2 }],
    [
      'mutex two endpoints and an invariant',
      {
        target: mutex.target,
        proto: ['proto/counter.proto'],
        endpoints: [
          { method: 'Counter/Increment', data: {}, count: 3 },
          { method: 'Counter/Increment', data: {}, count: 2, offsetMs: 1 },
        ],
        before: { method: 'Counter/GetValue', data: {} },
        after: { method: 'Counter/GetValue', data: {} },
        invariant: 'after.value == before.value + ok',
        sync: 'parallel',
        rounds: 2,
        pauseMs: 0,
        seed: 3,
      },
    ],
    ['mutex recorded', { target: mutex.target, scenario: 'counter', sync: 'sequential', count: 2, rounds: 1, pauseMs: 0, seed: 4, record: join(dir, 'h.jsonl') }],
  ];
  for (const [name, options] of cases) {
    let report;
    try {
      report = untimed(await runAttack(options));
    } catch (e) {
      add(`${name} error`, `${e.code} ${e.message}`);
      continue;
    }
    if (report.record) report.record.path = 'h.jsonl';
    reports++;
    add(`${name} json`, JSON.stringify(report));
    add(`${name} text`, renderAttackReport(report));
    add(`${name} html`, renderReportPage(attackPage(report, `racelab attack ${name}`)));
    if (options.record) {
      const events = (await readFile(options.record, 'utf8')).trim().split('\n').map((l) => untimed(JSON.parse(l)));
      add(`${name} history`, JSON.stringify(events.map((e) => ({ ...e, time: 0 }))));
    }
  }
  const bad = [
    ['no target', {}],
    ['rounds 0', { target: mutex.target, scenario: 'counter', rounds: 0 }],
    ['pause too long', { target: mutex.target, scenario: 'counter', pauseMs: 10_000_000 }],
    ['flood over last-frame', { target: mutex.target, scenario: 'counter', sync: 'last-frame', flood: { rate: 10, durationMs: 100 } }],
    ['flood rate 0', { target: mutex.target, scenario: 'counter', sync: 'parallel', flood: { rate: 0, durationMs: 100 } }],
    ['unknown scenario', { target: mutex.target, scenario: 'nope' }],
    ['record into a missing folder', { target: mutex.target, scenario: 'counter', record: join(dir, 'missing', 'h.jsonl') }],
    ['mss 10', { target: mutex.target, scenario: 'counter', mss: 10 }],
    ['settle too long', { target: mutex.target, scenario: 'counter', settleMs: 61_000 }],
    ['flood duration 0', { target: mutex.target, scenario: 'counter', sync: 'parallel', flood: { rate: 10, durationMs: 0 } }],
    ['flood concurrency 0', { target: mutex.target, scenario: 'counter', sync: 'parallel', flood: { rate: 10, durationMs: 100, concurrency: 0 } }],
    ['deadline 0', { target: mutex.target, scenario: 'counter', deadlineMs: 0 }],
    ['count 0', { target: mutex.target, scenario: 'counter', count: 0 }],
  ];
  badInputs = bad.length + 1;
  for (const [name, options] of bad) {
    try {
      await runAttack(options);
      add(`bad ${name}`, 'no error');
    } catch (e) {
      // The one line the CLI prints, exactly; and the library's message, whose subject may name the parameter
      // (`rounds: …`) where it used to name the flag (`--rounds: …`): the leading dashes are not hashed.
      add(`bad ${name}`, `${e.code} ${e.message}`.replace(/^(\S+) --/, '$1 '));
      add(`bad ${name} cli`, e.code ? cliMessage(e) : String(e));
    }
  }
  try {
    parseSyncMode('bogus');
  } catch (e) {
    add('bad sync mode cli', cliMessage(e));
  }
} finally {
  await mutex.close(200);
  await vulnerable.close(200);
  await rm(dir, { recursive: true, force: true });
}
console.log(`${reports} attack reports (text, JSON, HTML) and ${badInputs} bad inputs`);
console.log(`sha256 ${total.digest('hex')}`);
