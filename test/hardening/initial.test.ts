import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkVerbose, HistoryRecorder, parseHistory, runCounterClient, startCounterServer, type CheckReport, type CounterServer } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-initial-'));
const servers: CounterServer[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const s of servers) await s.close(100);
});

/** A history whose counter started at 5: two increments, then a read of 7. */
const FROM_FIVE = [
  '{"process":0,"type":"invoke","f":"increment","value":null,"time":0}',
  '{"process":0,"type":"ok","f":"increment","value":null,"time":10}',
  '{"process":1,"type":"invoke","f":"increment","value":null,"time":20}',
  '{"process":1,"type":"ok","f":"increment","value":null,"time":30}',
  '{"process":0,"type":"invoke","f":"get","value":null,"time":40}',
  '{"process":0,"type":"ok","f":"get","value":7,"time":50}',
].join('\n');

describe('where a history started', () => {
  it('a second recorded client run against one server starts from the value it read first, and is linearizable', async () => {
    const server = await startCounterServer({ variant: 'mutex' });
    servers.push(server);
    await runCounterClient({ target: server.target, increments: 3 });
    const recorder = new HistoryRecorder();
    await runCounterClient({ target: server.target, increments: 4, recorder, process: 0 });
    expect(recorder.initial).toBe(3);
    const text = recorder.toJsonl();
    expect(text.split('\n')[0]).toBe('{"initial":3}');
    const parsed = parseHistory(text, 'auto');
    expect(parsed.format).toBe('jsonl');
    expect(parsed.header.initial).toBe(3);
    expect(checkVerbose(parsed.events, 'counter', { initial: { value: parsed.header.initial } }).verdict).toBe('ok');
    // The verdict the issue reported: from the model's 0 a correct server looks broken.
    expect(checkVerbose(parsed.events, 'counter').verdict).toBe('illegal');
    const unknown = checkVerbose(parsed.events, 'counter', { initial: 'unknown' });
    expect(unknown.verdict).toBe('ok');
    expect(unknown.start.from).toBe('unknown');
  });

  it('an unknown start still proves a history illegal when no start explains it', () => {
    const lost = FROM_FIVE.replace('"value":7', '"value":5').replace('"time":40', '"time":35') + '\n{"process":1,"type":"invoke","f":"get","value":null,"time":60}\n{"process":1,"type":"ok","f":"get","value":9,"time":70}';
    // get → 5 after two finished increments, then get → 9 with nothing between: no start explains both.
    expect(checkVerbose(parseHistory(lost).events, 'counter', { initial: 'unknown' }).verdict).toBe('illegal');
  });

  it('racelab check: the header decides, else --initial, else unknown; a bad --initial is bad input', async () => {
    const plain = join(dir, 'from-five.jsonl');
    writeFileSync(plain, FROM_FIVE);
    const headed = join(dir, 'headed.jsonl');
    writeFileSync(headed, `{"initial":0}\n${FROM_FIVE}`);
    const unknown = await runCli(['check', plain, '--model', 'counter', '--json']);
    expect(unknown.code, unknown.stderr).toBe(0);
    expect((JSON.parse(unknown.stdout) as CheckReport).start.from).toBe('unknown');
    const given = await runCli(['check', plain, '--model', 'counter', '--initial', '5']);
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout).toContain('start: the counter is 5 (as the history or --initial says)');
    const wrong = await runCli(['check', plain, '--model', 'counter', '--initial', '0']);
    expect(wrong.code, wrong.stderr).toBe(1);
    const header = await runCli(['check', headed, '--model', 'counter']);
    expect(header.code, header.stderr).toBe(1);
    for (const bad of ['abc', '"five"']) {
      const run = await runCli(['check', plain, '--model', 'counter', '--initial', bad]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/initial/);
    }
  });
});
