import { afterEach, describe, expect, it } from 'vitest';
import { startCounterServer, type CounterServer } from '../../src/index.js';
import { exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';

/** `racelab client`'s runtime failures exit 4 (CALL_FAILED), apart from bad input (2). */
describe('racelab client: a call that fails exits 4, bad input 2', () => {
  let server: CounterServer | undefined;
  afterEach(async () => {
    await server?.close(0);
    server = undefined;
  });

  it('increments past their deadline: the value is printed, then one line naming the statuses, exit 4', async () => {
    // Each increment outlives its deadline by far; the GetValue calls (no mutex, same deadline) need only a second
    // on a loaded machine (with 50ms they once timed out, and the run printed no value).
    server = await startCounterServer({ variant: 'mutex', delayMs: 3000 });
    const run = await runCli(['client', '--target', server.target, '--increments', '3', '--deadline', '1s']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toMatch(/^Current value: \d+\n$/);
    expect(run.stderr).toBe('racelab: 3 of 3 increments did not succeed: DeadlineExceeded 3 (3 may have taken effect)\n');
  });

  it('a server that stops mid-run: the final read fails, one line with the status and what was sent, exit 4', async () => {
    server = await startCounterServer({ variant: 'mutex', delayMs: 50 });
    const target = server.target;
    const { child } = await startCli(['client', '--target', target, '--increments', '40', '--connect-timeout', '300ms', '--wait-for-go'], /ready/);
    const done = new Promise<string>((resolve) => {
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.once('close', () => resolve(err));
    });
    child.stdin?.end('go\n');
    await new Promise((r) => setTimeout(r, 300));
    await server.close(0);
    server = undefined;
    const [{ code }, stderr] = await Promise.all([exited(child), done]);
    expect(code).toBe(4);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^racelab: GetValue on ${target} failed after 40 increments \\(\\d+ acknowledged, .*\\): Unavailable \\(`));
  });

  it('a bad --deadline is usage (2), not a call failure', async () => {
    expect(expectOneLineError(await runCli(['client', '--deadline', '0ms']))).toMatch(/--deadline: 0ms leaves no time for a call/);
  });
});
