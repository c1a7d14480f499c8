#!/usr/bin/env node
// Hashes what the explorer does with every actor pattern: for each pattern variant, seed and strategy it runs an
// exploration and feeds every run's schedule (step keys), status and virtual time, and the result's verdict, stop
// reason and failing schedules, into one sha256. A refactor of the actor runtime or the explorer that keeps the
// hash keeps every schedule and verdict. Reads the build (dist/): run `npm run build` first.
//   node scripts/hash-actor-schedules.mjs [--runs N] [--verbose]
import { createHash } from 'node:crypto';
import { explore } from '../dist/explore/index.js';
import { actorPatternWorkload } from '../dist/workloads/index.js';
import { actorPatterns } from '../dist/scenarios/actors/index.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 20;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs: give a whole number of runs per exploration, e.g. --runs 20');
  process.exit(2);
}
const verbose = args.includes('--verbose');
const SEEDS = [1, 2];
const STRATEGIES = ['random', 'pct', 'pos', 'portfolio'];

const total = createHash('sha256');
let explorations = 0;
const verdicts = {};
for (const pattern of actorPatterns) {
  for (const variant of [...pattern.vulnerable, ...pattern.fixed]) {
    const cases = [...SEEDS.flatMap((seed) => STRATEGIES.map((strategy) => ({ strategy, seed }))), { strategy: 'dfs', seed: 1 }];
    for (const { strategy, seed } of cases) {
      const one = createHash('sha256');
      const result = await explore(actorPatternWorkload(pattern, variant), {
        strategy,
        seed,
        runs,
        shrinkRuns: runs,
        onRun: (run, record) => {
          one.update(`${run} ${record.status} ${record.virtualMs} ${record.failure?.kind ?? ''} ${record.steps.map((s) => s.key).join(',')}\n`);
        },
      });
      const f = result.firstFailure;
      one.update(JSON.stringify([result.verdict, result.stopReason, result.runs, result.failures, result.maxStepsInRun, result.inconclusive ?? null,
        f ? [f.run, f.kind, f.message, f.found.schedule, f.shrunk.schedule, f.shrinkRuns, f.replayToken] : null]));
      const digest = one.digest('hex');
      total.update(`${pattern.name}/${variant}/${strategy}/${seed} ${digest}\n`);
      verdicts[result.verdict] = (verdicts[result.verdict] ?? 0) + 1;
      explorations++;
      if (verbose) console.log(`${pattern.name}/${variant} ${strategy} seed ${seed}: ${result.verdict} after ${result.runs} runs ${digest.slice(0, 12)}`);
    }
  }
}
console.log(`${explorations} explorations (--runs ${runs}; ${Object.entries(verdicts).map(([v, n]) => `${n} ${v}`).join(', ')})`);
console.log(`sha256 ${total.digest('hex')}`);
