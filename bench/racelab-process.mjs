// The benches' way to start `racelab <command>` as a process of its own (a server, a proxy) and wait for the
// line that says it is ready. Every process started here is killed when the bench exits, however it exits.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/racelab.js', import.meta.url));
export const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** Starts `racelab <args>` and resolves with the first match of `pattern` in its output. */
export function startRacelab(args, pattern) {
  return startNode([BIN, ...args], pattern);
}

/** Starts `node <args>` (a script of the bench's own) the same way. */
export function startNode(args, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const onData = (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve({ child, match: m });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${out}`)));
  });
}
