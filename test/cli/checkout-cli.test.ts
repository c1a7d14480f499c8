import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';

// Bad input to the checkout scenario: one line naming the fix, exit 2 (expectOneLineError checks both).
describe('racelab --scenario checkout: bad input, and the double charge through the CLI', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child) {
      child.kill('SIGTERM');
      await exited(child);
      child = undefined;
    }
  });

  it('a variant the scenario does not have, one its store cannot run, and too many clients', async () => {
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'checkout', '--variant', 'cas']))).toMatch(/"cas" is not a checkout variant; use one of vulnerable, mutex, txn, pg-unique, redis-lua/);
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'checkout', '--variant', 'pg-unique']))).toMatch(/pg-unique of checkout needs a PostgreSQL store, but --store is memory/);
    expect(expectOneLineError(await runCli(['explore', '--scenario', 'checkout', '--variant', 'redis-lua']))).toMatch(/"redis-lua" needs a real redis server, which the explorer cannot schedule; explore one of vulnerable, mutex, txn/);
    expect(expectOneLineError(await runCli(['explore', '--scenario', 'checkout', '--clients', '4']))).toMatch(/--clients: "4" must be a whole number from 1 to 3 for --scenario checkout/);
  });

  it('a --scenario checkout against a target that does not offer the Orders service (reflection)', async () => {
    const inventory = await startCli(['serve', '--scenario', 'inventory', '--port', '0', '--delay', '0ms'], /on (localhost:\d+)/);
    child = inventory.child;
    const line = expectOneLineError(await runCli(['attack', '--target', inventory.match[1]!, '--scenario', 'checkout', '--rounds', '1']));
    expect(line).toMatch(/--scenario checkout: .* does not offer racelab\.checkout\.v1\.Orders; it offers .*Inventory/);
  }, 60_000);

  it('explore names the double charge in business words (exit 1)', async () => {
    const run = await runCli(['explore', '--scenario', 'checkout', '--variant', 'vulnerable', '--strategy', 'dfs']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/order-1 charged 2 times under one idempotency key/);
    // Both calls find the key unused before either records it, and the second charge makes 2.
    const trace = /^trace: (.*)$/m.exec(run.stdout)?.[1] ?? '';
    const firstRecord = trace.indexOf('set idempotency(chk-1)=1');
    for (const t of ['t1', 't2']) expect(trace.indexOf(`${t} get idempotency(chk-1)->0`)).toBeGreaterThanOrEqual(0);
    for (const t of ['t1', 't2']) expect(trace.indexOf(`${t} get idempotency(chk-1)->0`)).toBeLessThan(firstRecord);
    expect(run.stdout).toMatch(/incr charges\(order-1\)->2/);
  }, 60_000);
});
