import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/racelab.js', import.meta.url));

/**
 * Every CLI child the helpers started that has not exited yet. A test that times out or throws before its
 * `finally` would leave its child running (a proxy or server, long after the run); test/setup.ts kills what is
 * left here when the file is done.
 */
const live = new Set<ChildProcess>();
function tracked<C extends ChildProcess>(child: C): C {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Kills (SIGKILL) every CLI child still running; returns how many there were. */
export function killLeftoverChildren(): number {
  const left = [...live].filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of left) c.kill('SIGKILL');
  live.clear();
  return left.length;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The CLI process's pid: store namespaces and tables a run creates carry it (src/core/cleanup.ts). */
  pid?: number | undefined;
}

/** The environment that makes a piped run print its progress lines on stderr (RACELAB_TRACE=progress), to wait on. */
export const PROGRESS_LINES: NodeJS.ProcessEnv = { RACELAB_TRACE: 'progress' };

/** Runs the built CLI (`npm test` builds first) and collects its output; killed after `timeoutMs`. */
export function runCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = tracked(spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid });
    });
  });
}

/** Starts the CLI and resolves once its output matches `ready` (a progress line: see PROGRESS_LINES); the caller stops it. */
export function startCli(args: string[], ready: RegExp, timeoutMs = 15_000, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = tracked(spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not print ${ready} within ${timeoutMs}ms; it printed: ${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`CLI exited before printing ${ready}: ${out}`));
    });
  });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * exited(), bounded: a CLI that does not exit within `timeoutMs` of being asked to is a failure that says what it
 * printed (a hang would otherwise show only as the test's own timeout), and it is SIGKILLed.
 */
export async function exitedWithin(child: ChildProcess, timeoutMs: number, output: () => string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  const r = await Promise.race([exited(child), late]);
  clearTimeout(timer);
  if (r !== 'late') return r;
  child.kill('SIGKILL');
  throw new Error(`the CLI had not exited ${timeoutMs}ms after it was asked to; it printed: ${output()}`);
}

/** A bad-input run: exit 2, one line on stderr starting `racelab:`, no stack trace. */
export function expectOneLineError(run: CliRun): string {
  const lines = run.stderr.trim().split('\n');
  if (run.code !== 2 || lines.length !== 1 || !lines[0]!.startsWith('racelab: ') || /\n\s+at /.test(run.stderr)) {
    throw new Error(`expected exit 2 and one 'racelab: …' line, got exit ${run.code} and stderr:\n${run.stderr}`);
  }
  return lines[0]!;
}

/**
 * Starts the CLI and sends `signal` once `ready` shows on stderr (or after `ready` ms, for a command that prints
 * nothing while it runs); resolves with what it printed and its exit code. Piped, a run prints no progress: a
 * `ready` that waits for a progress line (`round 2/1000`) needs `PROGRESS_LINES` in `env`.
 */
export function interrupted(
  args: string[],
  ready: RegExp | number,
  signal: NodeJS.Signals = 'SIGINT',
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string; pid: number | undefined }> {
  return new Promise((resolve, reject) => {
    const child = tracked(spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    let sent = false;
    const kill = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!sent && typeof ready !== 'number' && ready.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    if (typeof ready === 'number') {
      setTimeout(() => {
        sent = true;
        child.kill(signal);
      }, ready);
    }
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr, pid: child.pid });
    });
  });
}
