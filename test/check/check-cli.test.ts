import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/check/index.js';
import { OWNER_HOST } from '../../src/core/cleanup.js';
import { expectOneLineError, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-check-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const STALE = [
  '{"process":0,"type":"invoke","f":"write","value":1,"time":0}',
  '{"process":0,"type":"ok","f":"write","value":1,"time":10}',
  '{"process":1,"type":"invoke","f":"write","value":2,"time":20}',
  '{"process":1,"type":"ok","f":"write","value":2,"time":30}',
  '{"process":2,"type":"invoke","f":"read","value":null,"time":40}',
  '{"process":2,"type":"ok","f":"read","value":1,"time":50}',
].join('\n');

describe('racelab check', () => {
  it('exits 0 for a linearizable history and 1 for an illegal one, explaining the window', async () => {
    const good = await runCli(['check', file('good.jsonl', STALE.replace('"value":1,"time":50', '"value":2,"time":50')), '--model', 'register']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('verdict: ok (linearizable)');
    const bad = await runCli(['check', file('stale.jsonl', STALE), '--model', 'register']);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stdout).toContain('verdict: ILLEGAL (not linearizable)');
    expect(bad.stdout).toContain("The response that cannot be explained is process 2's read → 1");
    expect(bad.stdout).toContain('[2] process 2: read → 1');
  });

  it('exits 3 when the budget runs out, and --json prints the report without the timeline', async () => {
    const lines: string[] = [];
    for (let p = 0; p < 14; p++) lines.push(`{"process":${p},"type":"invoke","f":"write","value":${p}}`);
    for (let p = 0; p < 14; p++) lines.push(`{"process":${p},"type":"ok","f":"write","value":${p}}`);
    lines.push('{"process":20,"type":"invoke","f":"read","value":null}', '{"process":20,"type":"ok","f":"read","value":99}');
    const run = await runCli(['check', file('hard.jsonl', lines.join('\n')), '--model', 'register', '--max-steps', '3000', '--json']);
    expect(run.code, run.stderr).toBe(3);
    const report = JSON.parse(run.stdout) as CheckReport & { file: string };
    expect(report.verdict).toBe('unknown');
    expect(report.stoppedBecause).toBe('budget');
    expect(report.budget.maxSteps).toBe(3000);
    expect(report).not.toHaveProperty('timeline');
    expect(report.explanation[0]).toMatch(/^Unknown: the search ran out of its budget/);
  });

  it('reads Jepsen EDN and text logs, and writes a self-contained --html page', async () => {
    const edn = file('h.edn', '[{:process 0, :type :invoke, :f :write, :value 3}\n {:process 0, :type :ok, :f :write, :value 3}\n {:process 1, :type :invoke, :f :read, :value nil}\n {:process 1, :type :ok, :f :read, :value 4}]');
    const html = join(dir, 'out.html');
    const run = await runCli(['check', edn, '--model', 'register', '--html', html]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain(`timeline: ${html}`);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toMatch(/class="op status-ok[^"]* break" data-op="1"/);
    const log = file('h.log', 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tnil\n');
    expect((await runCli(['check', log, '--model', 'register'])).code).toBe(0);
  });

  it('bad input is one line with the line number and exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['check', file('malformed.jsonl', '{"process":0,"type":"invoke","f":"read"}\n{"process":0,"type":"ok"'), '--model', 'register'], /malformed\.jsonl line 2: not valid JSON/],
      [['check', file('twice.jsonl', '{"process":0,"type":"invoke","f":"read"}\n{"process":0,"type":"ok","f":"read","value":null}\n{"process":0,"type":"ok","f":"read","value":null}'), '--model', 'register'], /line 3: process 0's read returns twice: it was invoked on line 1 and already completed on line 2/],
      [['check', file('orphan.jsonl', '{"process":4,"type":"ok","f":"read","value":null}'), '--model', 'register'], /line 1: process 4 completes read \(ok\) without an invoke before it/],
      [['check', file('op.jsonl', '{"process":0,"type":"invoke","f":"frob","value":1}\n{"process":0,"type":"ok","f":"frob","value":1}'), '--model', 'register'], /line 1: the register model has no operation "frob"; it knows read, write and cas/],
      [['check', file('ok.jsonl', STALE), '--model', 'queue'], /--model: "queue" is not a model; use one of register, counter, kv/],
      [['check', file('ok2.jsonl', STALE)], /required option '--model <name>' not specified/],
      [['check', join(dir, 'missing.jsonl'), '--model', 'register'], /missing\.jsonl: no such file/],
      [['check', file('ok3.jsonl', STALE), '--model', 'register', '--budget', 'soon'], /--budget: "soon" is not a duration/],
      [['check', file('ok4.jsonl', STALE), '--model', 'register', '--format', 'csv'], /--format: "csv" is not a history format/],
      [['check', file('bad.log', 'INFO  jepsen.util - 0\t:invoke\t:write\t[4'), '--model', 'register'], /bad\.log line 1: the value "\[4" is not EDN/],
      [['check', file('ok5.jsonl', STALE), '--model', 'register', '--html', join(dir, 'no', 'such', 'dir.html')], /--html: cannot write .*no such folder/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    runs.forEach((run, i) => expect(expectOneLineError(run)).toMatch(cases[i]![1]));
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('demo grpc --record writes histories: the vulnerable run checks illegal, the mutex run ok', async () => {
    const base = join(dir, 'counter.jsonl');
    // What a demo killed with -9 leaves: its recording folder, named for a process that is gone. This run removes
    // it; a live process's folder stays.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const abandoned = join(tmpdir(), `racelab-record-${OWNER_HOST}-${dead}-${Date.now().toString(36)}-test`);
    const living = join(tmpdir(), `racelab-record-${OWNER_HOST}-${process.pid}-${Date.now().toString(36)}-test`);
    for (const d of [abandoned, living]) mkdirSync(join(d, 'x'), { recursive: true });
    const demo = await runCli(['demo', 'grpc', '--clients', '3', '--increments', '3', '--delay', '40ms', '--record', base, '--json'], { timeoutMs: 60_000 });
    expect(demo.code, demo.stderr).toBe(0);
    const report = JSON.parse(demo.stdout) as { runs: Array<{ variant: string; historyFile?: string; lostUpdates: number }> };
    const vulnerable = report.runs.find((r) => r.variant === 'vulnerable')!;
    expect(vulnerable.historyFile).toBe(join(dir, 'counter.vulnerable.jsonl'));
    expect(vulnerable.lostUpdates).toBeGreaterThan(0);
    const [v, m] = await Promise.all([
      runCli(['check', vulnerable.historyFile!, '--model', 'counter']),
      runCli(['check', join(dir, 'counter.mutex.jsonl'), '--model', 'counter']),
    ]);
    expect(v.code, v.stdout).toBe(1);
    expect(v.stdout).toContain('history: 12 operations from 3 processes (12 ok');
    expect(m.code, m.stdout).toBe(0);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(living)).toBe(true);
    rmSync(living, { recursive: true, force: true });
  });
});
