import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterHistoryJsonl } from '../../bench/large-history.mjs';
import { startCounterServer, type CounterServer } from '../../src/index.js';
import { BIN, PROGRESS_LINES, runCli } from '../helpers/cli.js';

/**
 * The live progress line (src/cli/progress.ts) under a pseudo-terminal: util-linux `script` runs the CLI with its
 * stdout and stderr on one pty, and its own stdout (a pipe here) carries what the terminal would have shown.
 */
function inTerminal(args: string[], options: { redirectStdoutTo?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; screen: string }> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ') + (options.redirectStdoutTo ? ` > ${quote(options.redirectStdoutTo)}` : '');
  return new Promise((resolve, reject) => {
    // TERM set: a CI job's environment may have none, and the line is not drawn for TERM=dumb.
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm', RACELAB_TRACE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

/** What the terminal shows once the line is cleared: everything after cli-progress's last "erase line". */
function afterLastClear(screen: string): string {
  const at = screen.lastIndexOf('\x1b[2K');
  return at < 0 ? screen : screen.slice(at + '\x1b[2K'.length);
}

/** The line was drawn with wrapping off, and left with wrapping back on and cleared before the result. */
function expectDrawnAndCleared(screen: string): void {
  const off = screen.indexOf('\x1b[?7l');
  expect(off, screen).toBeGreaterThanOrEqual(0);
  expect(screen.lastIndexOf('\x1b[?7h')).toBeGreaterThan(off);
  expect(screen.lastIndexOf('\x1b[2K')).toBeGreaterThan(screen.lastIndexOf('\x1b[?7h'));
}

const dir = mkdtempSync(join(tmpdir(), 'racelab-progress-'));
let server: CounterServer;
beforeAll(async () => {
  server = await startCounterServer({ variant: 'vulnerable', delayMs: 5, maxConcurrency: 100 });
});
afterAll(async () => {
  await server?.close(100);
  rmSync(dir, { recursive: true, force: true });
});

describe('progress on a terminal: a live line, cleared before the result', () => {
  const attack = (): string[] => ['attack', '--target', server.target, '--scenario', 'counter', '--count', '5', '--rounds', '3', '--pause', '50ms', '--sync', 'parallel', '--seed', '7'];

  it('attack: a bar of the rounds, then the report alone on the line', async () => {
    const run = await inTerminal(attack());
    expect([0, 1], run.screen).toContain(run.code);
    // The first frame is drawn at the start, whatever the machine's speed: the bar, 0 of 3 rounds, the time.
    expect(run.screen).toMatch(/\[-{20}\] \| 0\/3 rounds \| \d+\.\ds \| connecting to /);
    expectDrawnAndCleared(run.screen);
    expect(afterLastClear(run.screen)).toMatch(/^racelab attack: /);
    // The per-round lines of old are the live line's text now, never lines of their own.
    expect(run.screen).not.toMatch(/\r?\nround \d\/3: /);
  }, 90_000);

  it('attack --flood: a bar of the time against --duration', async () => {
    const run = await inTerminal(['attack', '--target', server.target, '--scenario', 'counter', '--flood', '--rate', '50', '--duration', '1s', '--sync', 'parallel', '--seed', '7']);
    expect([0, 1], run.screen).toContain(run.code);
    expect(run.screen).toMatch(/\] \| \d+\.\ds of 1\.0s \| /);
    expectDrawnAndCleared(run.screen);
    expect(afterLastClear(run.screen)).toMatch(/^racelab attack: /);
  }, 90_000);

  it('explore: the runs done of --runs', async () => {
    const run = await inTerminal(['explore', '--variant', 'mutex', '--strategy', 'random', '--runs', '300', '--seed', '3']);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).toMatch(/\] \| \d+\/300 runs \| \d+\.\ds \| exploring counter mutex \(random\)/);
    expectDrawnAndCleared(run.screen);
    expect(afterLastClear(run.screen)).toMatch(/^explore counter \(variant mutex[^\n]*\r?\nno failing schedule found after 300 runs/);
  }, 90_000);

  it('check of a large history (on its worker thread): the time spent of --budget', async () => {
    const file = join(dir, 'large.jsonl');
    writeFileSync(file, (counterHistoryJsonl as (o: object) => string)({ operations: 5000, lostUpdate: true }));
    const run = await inTerminal(['check', file, '--model', 'counter', '--budget', '30s']);
    expect(run.code, run.screen).toBe(1);
    expect(run.screen).toMatch(/\] \| \d+\.\ds of 30\.0s \| /);
    expectDrawnAndCleared(run.screen);
    expect(afterLastClear(run.screen)).toMatch(/verdict: ILLEGAL/);
  }, 90_000);

  it('a demo: its last progress line live, with a spinner and the time spent', async () => {
    const run = await inTerminal(['demo', 'actors', '--pattern', 'seq-ack', '--seed', '3']);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).toMatch(/[|/\\-] \| \d+\.\ds \| starting/);
    expectDrawnAndCleared(run.screen);
    expect(afterLastClear(run.screen)).toMatch(/^racelab demo actors: /);
  }, 90_000);

  it('an error mid-run: the line is cleared, the one-line error starts on a clean line', async () => {
    // Nothing listens on port 1: the line is drawn, then connecting fails.
    const run = await inTerminal(['attack', '--target', '127.0.0.1:1', '--scenario', 'counter', '--connect-timeout', '500ms']);
    expect(run.code, run.screen).not.toBe(0);
    expectDrawnAndCleared(run.screen);
    expect(afterLastClear(run.screen)).toMatch(/^racelab: /);
    expect(afterLastClear(run.screen).trim().split('\n')).toHaveLength(1);
  }, 60_000);
});

describe('nothing but the result when stdout is not a terminal, or with --json', () => {
  it('stdout redirected to a file, stderr still the terminal: no line drawn', async () => {
    const out = join(dir, 'attack.txt');
    const run = await inTerminal(['attack', '--target', server.target, '--scenario', 'counter', '--count', '5', '--rounds', '2', '--pause', '0ms', '--sync', 'parallel', '--seed', '7'], { redirectStdoutTo: out });
    expect([0, 1], run.screen).toContain(run.code);
    expect(run.screen).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/^racelab attack: /);
  }, 90_000);

  it('--json on a terminal: the JSON report alone', async () => {
    const run = await inTerminal(['explore', '--variant', 'mutex', '--strategy', 'random', '--runs', '50', '--seed', '3', '--json']);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).not.toContain('\x1b');
    expect((JSON.parse(run.screen) as { runs: number }).runs).toBe(50);
  }, 90_000);

  it('piped: attack prints its report on stdout and nothing on stderr (the per-round lines are gone)', async () => {
    const run = await runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '5', '--rounds', '2', '--pause', '0ms', '--sync', 'parallel', '--seed', '7'], { env: { RACELAB_TRACE: '' } });
    expect([0, 1], run.stderr).toContain(run.code);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^racelab attack: /);
    const json = await runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '5', '--rounds', '2', '--pause', '0ms', '--sync', 'parallel', '--seed', '7', '--json'], { env: { RACELAB_TRACE: '' } });
    expect(json.stderr).toBe('');
    expect((JSON.parse(json.stdout) as { roundsRun: number }).roundsRun).toBe(2);
  }, 90_000);

  it('RACELAB_TRACE=progress: the progress lines, one per line on stderr, for a log', async () => {
    const run = await runCli(['attack', '--target', server.target, '--scenario', 'counter', '--count', '5', '--rounds', '2', '--pause', '0ms', '--sync', 'parallel', '--seed', '7'], { env: PROGRESS_LINES });
    expect([0, 1], run.stderr).toContain(run.code);
    expect(run.stderr).toMatch(/^\S+ \| progress \| round 1\/2: /m);
    expect(run.stderr).toMatch(/^\S+ \| progress \| round 2\/2: /m);
    expect(run.stdout).toMatch(/^racelab attack: /);
  }, 90_000);
});
