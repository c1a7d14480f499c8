import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RacelabError } from './errors.js';

/** racelab's own executable, for hosts that run clients or servers as real OS processes. */
export function racelabBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'bin', 'racelab.js');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('racelab installation is incomplete: bin/racelab.js not found');
}

const live = new Set<ChildProcess>();
let hooked = false;

/** Kills every child still running. Called on every exit path: normal exit, an error, Ctrl+C, SIGTERM. */
export function killAllChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
  live.clear();
}

/**
 * Kills every child still running and waits, at most `timeoutMs`, until each has exited: what runs next (the
 * removal of a run's namespaces) must not race a child still writing to them.
 */
export async function killAllChildrenAndWait(timeoutMs = 3000): Promise<void> {
  const running = [...live].filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
  killAllChildren();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exited), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => killAllChildren());
}

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningChild {
  readonly child: ChildProcess;
  readonly done: Promise<ChildResult>;
}

/** Tracks a child racelab did not start through spawnRacelab (a private broker), so no exit path leaves it running. */
export function trackChild(child: ChildProcess): void {
  hookExit();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Starts `racelab <args>` as a child process, tracked so that no exit path leaves it running. */
export function spawnRacelab(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: boolean } = {}): RunningChild {
  hookExit();
  const child = spawn(process.execPath, [racelabBin(), ...args], {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.once('error', (e) => {
      live.delete(child);
      reject(new RacelabError('CHILD_FAILED', `could not start a racelab process: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}
