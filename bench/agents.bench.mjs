// Bursts from many hosts (issue 19): the server-side spread of one last-frame burst released by three agents in
// three network namespaces, with offset correction against without it, in this one run. The hosts are those of
// test/agents/many-hosts.test.ts (a bridge, 198.18.0.0/24, no route out; a private nats-server, `racelab serve`
// and three agents whose clocks are skewed -30 ms, 0 and +45 ms): this runs its first test, which makes 10 rounds
// of 12 calls each way and prints both spreads, and reads them off its output. The lab is created and removed by
// that test's own code, so what is measured is exactly what the test checks.
// Needs root (ip netns) and /usr/sbin/nats-server; without them it says so and measures nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const missing = [process.getuid?.() !== 0 ? 'root (ip netns)' : '', existsSync('/usr/sbin/nats-server') ? '' : '/usr/sbin/nats-server'].filter(Boolean);
if (missing.length) {
  console.log(`agents: skipped, this needs ${missing.join(' and ')}`);
  process.exit(0);
}

const load = os.loadavg()[0].toFixed(1);
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/agents/many-hosts.test.ts', '-t', 'offsets match the skews'], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  maxBuffer: 1 << 26,
});
const out = `${r.stdout}\n${r.stderr}`;
const line = /server-side spread over (\d+) rounds, (\d+) calls from (\d+) agents \(skews ([^)]+)\): corrected median ([\d.]+)ms \(([^)]*)\); uncorrected median ([\d.]+)ms \(([^)]*)\)/.exec(out);
if (r.status !== 0 || !line) {
  console.error(`agents: the many-hosts test did not pass (exit ${r.status}); its output:\n${out.slice(-4000)}`);
  process.exit(1);
}
const [, rounds, calls, agents, skews, corrected, correctedRounds, uncorrected, uncorrectedRounds] = line;
const ratio = Number(corrected) / Number(uncorrected);
console.log(`\nserver-side spread of one last-frame burst from ${agents} agents in ${agents} network namespaces (clock skews ${skews}), ${calls} calls per round, ${rounds} rounds each way, median over the rounds (${os.cpus().length} cores, load average ${load} at start)`);
console.log(`  with offset correction    ${Number(corrected).toFixed(2)} ms   (rounds: ${correctedRounds})`);
console.log(`  without (the baseline)    ${Number(uncorrected).toFixed(2)} ms   (rounds: ${uncorrectedRounds})`);
console.log(`  ratio with / without      ${ratio.toFixed(3)}x (smaller is better: the correction pays when this is well below 1)`);
