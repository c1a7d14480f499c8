import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../../src/check/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('racelab-attack-initial-');
const servers: ChildProcess[] = [];

/** `racelab serve` of one variant on a free port; stopped after the file. */
async function serve(scenario: string, variant: string, delay: string): Promise<string> {
  const { child, match } = await startCli(['serve', '--scenario', scenario, '--variant', variant, '--port', '0', '--delay', delay, '--max-concurrency', '100'], /on (localhost:\d+)/, 60_000);
  servers.push(child);
  return match[1]!;
}

afterAll(() => {
  for (const c of servers) c.kill('SIGTERM');
});

/**
 * Two recorded attacks on one server (the second starts where the first left the object), each checked by
 * `racelab check --model M FILE` with no --initial: the header the attack wrote says where the object started.
 */
async function attackAndCheck(scenario: string, model: string, variant: string, delay: string, expected: 'race' | 'safe', header: RegExp): Promise<void> {
  const target = await serve(scenario, variant, delay);
  for (const run of [1, 2]) {
    const file = join(dir, `${scenario}-${variant}-${run}.jsonl`);
    const attack = await runCli(['attack', '--target', target, '--scenario', scenario, '--count', '6', '--rounds', '1', '--sync', 'last-frame', '--record', file], { timeoutMs: 60_000 });
    // 3: the burst could not race, every call refused; its history still checks.
    expect([0, 1, 3], attack.stderr).toContain(attack.code);
    if (attack.code === 3) expect(attack.stdout).toContain('the target refused every call');
    expect(readFileSync(file, 'utf8').split('\n')[0]).toMatch(header);
    const checked = await runCli(['check', '--model', model, file], { timeoutMs: 60_000 });
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toMatch(/start: .*\(as the history or --initial says\)/);
    if (expected === 'safe') {
      expect([0, 3], attack.stdout).toContain(attack.code);
      expect(checked.code, checked.stdout).toBe(0);
      expect(checked.stdout).toMatch(/verdict: ok \(linearizable\)/);
    } else if (attack.code === 1) {
      // The burst raced (the attack's own invariant saw it): the history must not pass.
      expect(checked.code, checked.stdout).toBe(1);
      expect(checked.stdout).toMatch(/verdict: ILLEGAL/);
    }
    // Without its header the same history still checks, from an unknown start that the report names.
    const bare = join(dir, `${scenario}-${variant}-${run}-bare.jsonl`);
    writeFileSync(bare, readFileSync(file, 'utf8').split('\n').slice(1).join('\n'));
    const unknown = await runCli(['check', '--model', model, bare], { timeoutMs: 60_000 });
    expect(unknown.code, unknown.stdout + unknown.stderr).toBe(checked.code);
    expect(unknown.stdout).toMatch(/start: unknown: the history does not say where it started/);
  }
}

describe('racelab attack --record, then racelab check --model with no --initial (CLI end to end)', () => {
  it('bank vulnerable: a raced burst is ILLEGAL (exit 1)', () => attackAndCheck('bank', 'bank', 'vulnerable', '100ms', 'race', /^\{"initial":\{"total":\d+\}\}$/), 180_000);
  it('bank mutex-ordered: linearizable (exit 0)', () => attackAndCheck('bank', 'bank', 'mutex-ordered', '20ms', 'safe', /^\{"initial":\{"total":\d+\}\}$/), 180_000);
  it('session vulnerable: a raced burst is ILLEGAL (exit 1)', () => attackAndCheck('session', 'session', 'vulnerable', '100ms', 'race', /^\{"initial":\{"free":\d+\}\}$/), 180_000);
  // The second attack opens a session of its own ({{run}}): an earlier run's open session does not make it a race.
  it('session mutex: no race and linearizable (exit 0), also on the second attack of one server', () => attackAndCheck('session', 'session', 'mutex', '20ms', 'safe', /^\{"initial":\{"free":\d+\}\}$/), 180_000);
  it('coupon vulnerable and mutex', async () => {
    // Each run issues a code of its own ({{run}}, {{round}}), good for 5: the header names that code, fresh.
    await attackAndCheck('coupon', 'coupon', 'vulnerable', '100ms', 'race', /^\{"initial":\{"remaining":\{"SPRING-[0-9a-f]{8}-1":5\}\}\}$/);
    await attackAndCheck('coupon', 'coupon', 'mutex', '20ms', 'safe', /^\{"initial":\{"remaining":\{"SPRING-[0-9a-f]{8}-1":5\}\}\}$/);
  }, 360_000);
});

describe('initial states of the scenario models', () => {
  const ev = (process: number | string, type: string, f: string, value: unknown) => ({ process, type, f, value });
  it('session: from the unknown state a session may already be open; a second slot for it is still illegal', () => {
    // Reopening a session an earlier run left open takes no slot.
    const reopen = [ev('c', 'invoke', 'pool', null), ev('c', 'ok', 'pool', 3), ev(0, 'invoke', 'open', { session: 'm' }), ev(0, 'ok', 'open', 3)];
    expect(check(reopen as never, 'session', { initial: 'unknown' }).verdict).toBe('ok');
    expect(check(reopen as never, 'session').verdict).toBe('illegal');
    expect(check(reopen as never, 'session', { initial: { value: { free: 3, open: ['m'] } } }).verdict).toBe('ok');
    const twice = [...reopen, ev(1, 'invoke', 'open', { session: 'm' }), ev(1, 'ok', 'open', 2)];
    expect(check(twice as never, 'session', { initial: 'unknown' }).verdict).toBe('illegal');
  });
  it('bank: a given total pins the start; a wrong one is illegal, a bad one names the shape', () => {
    const h = [ev(0, 'invoke', 'withdraw', { account: 'a', amount: 1 }), ev(0, 'ok', 'withdraw', 4), ev('c', 'invoke', 'audit', null), ev('c', 'ok', 'audit', 9)];
    expect(check(h as never, 'bank', { initial: { value: { total: 10 } } }).verdict).toBe('ok');
    expect(check(h as never, 'bank', { initial: { value: { total: 11 } } }).verdict).toBe('illegal');
    expect(check(h as never, 'bank', { initial: 'unknown' }).verdict).toBe('ok');
    expect(() => check(h as never, 'bank', { initial: { value: 10 } })).toThrow(/\{"total": 200000, "balances": \{"alice": 100000\}\}/);
  });
});
