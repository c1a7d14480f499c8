import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { exited, expectOneLineError, runCli, startCli } from '../helpers/cli.js';

// Bad input to the impact scenarios: one line, exit 2, nothing left running.
describe('racelab --scenario bank: bad input', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child) {
      child.kill('SIGTERM');
      await exited(child);
      child = undefined;
    }
  });

  it('an unknown scenario, in serve, explore, attack and demo impacts', async () => {
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'bnk']))).toMatch(/"bnk" is not a scenario; use one of counter, bank/);
    expect(expectOneLineError(await runCli(['explore', '--scenario', 'bnk']))).toMatch(/"bnk" is not an explore scenario; use one of .*bank/);
    expect(expectOneLineError(await runCli(['attack', '--target', 'localhost:1', '--scenario', 'bnk']))).toMatch(/"bnk" has no built-in attack check; use one of counter, bank/);
    expect(expectOneLineError(await runCli(['demo', 'impacts', '--scenario', 'bnk']))).toMatch(/"bnk" is not a scenario/);
  });

  it('a variant the scenario does not have', async () => {
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'bank', '--variant', 'mutex']))).toMatch(/"mutex" is not a bank variant; use one of vulnerable, mutex-unordered, mutex-ordered/);
    expect(expectOneLineError(await runCli(['explore', '--scenario', 'bank', '--variant', 'atomic']))).toMatch(/"atomic" is not a bank variant/);
  });

  it('a variant its store cannot run', async () => {
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'bank', '--variant', 'pg-for-update']))).toMatch(/pg-for-update of bank needs a PostgreSQL store, but --store is memory/);
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'bank', '--variant', 'redis-lua', '--store', 'postgres://postgres@127.0.0.1:5432/test']))).toMatch(/redis-lua of bank needs a Redis store, but --store is postgres/);
    expect(expectOneLineError(await runCli(['explore', '--scenario', 'bank', '--variant', 'pg-conditional']))).toMatch(/needs a real postgres server, which the explorer cannot schedule/);
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'bank', '--variant', 'vulnerable', '--replicas', '3']))).toMatch(/--replicas: replicas share state through --store/);
    expect(expectOneLineError(await runCli(['serve', '--scenario', 'privilege', '--variant', 'redis-lua', '--replicas', '3', '--store', 'redis://127.0.0.1:6379']))).toMatch(/"redis-lua" is not a privilege variant; use one of vulnerable, mutex, epoch, txn/);
  });

  it('a --scenario that does not match the methods the target offers (reflection)', async () => {
    const counter = await startCli(['serve', '--port', '0', '--delay', '0ms'], /on (localhost:\d+)/);
    child = counter.child;
    const line = expectOneLineError(await runCli(['attack', '--target', counter.match[1]!, '--scenario', 'bank', '--rounds', '1']));
    expect(line).toMatch(/--scenario bank: .* does not offer racelab\.bank\.v1\.Bank; it offers .*Counter/);
  });

  it('serves bank and the attack finds the double spend (exit 1), through the CLI', async () => {
    const bank = await startCli(['serve', '--scenario', 'bank', '--port', '0', '--delay', '60ms'], /on (localhost:\d+)/);
    child = bank.child;
    const run = await runCli(['attack', '--target', bank.match[1]!, '--scenario', 'bank', '--count', '4', '--rounds', '1']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/race/i);
  }, 60_000);
});
