import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTransactions, readTxnHistoryFile, RacelabError, type HistoryEvent } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-txn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('reading transactional histories', () => {
  it('reads racelab JSON Lines and Jepsen EDN into the same transactions', async () => {
    const jsonl = file('h.jsonl', [
      '{"process":0,"type":"invoke","f":"txn","value":[["append","x",1],["r","y",null]]}',
      '{"process":0,"type":"ok","f":"txn","value":[["append","x",1],["r","y",[1,2]]]}',
    ].join('\n'));
    const edn = file('h.edn', '{:process 0, :type :invoke, :f :txn, :value [[:append "x" 1] [:r "y" nil]]}\n{:process 0, :type :ok, :f :txn, :value [[:append "x" 1] [:r "y" [1 2]]]}\n');
    const a = await readTxnHistoryFile(jsonl, 'list-append');
    const b = await readTxnHistoryFile(edn, 'list-append');
    expect(a.txns[0]!.ops).toEqual([{ f: 'append', key: 'x', value: 1 }, { f: 'r', key: 'y', value: [1, 2] }]);
    expect(b.txns[0]!.ops).toEqual(a.txns[0]!.ops);
    expect(b.txns[0]!.completeLine).toBe(2);
  });

  it('names the line of a malformed event or micro-op', async () => {
    const bad = file('bad.jsonl', '{"process":0,"type":"invoke","f":"txn","value":[["append","x",1]]}\n{"process":0,"type":"ok","f":"txn","value":[["append","x",1]\n');
    await expect(readTxnHistoryFile(bad, 'list-append')).rejects.toThrow(/bad\.jsonl line 2: not valid JSON/);
    const wrongOp = file('w.jsonl', '{"process":0,"type":"invoke","f":"txn","value":[["w","x",1]]}\n{"process":0,"type":"ok","f":"txn","value":[["w","x",1]]}\n');
    await expect(readTxnHistoryFile(wrongOp, 'list-append')).rejects.toThrow(/line 1: micro-op 1 is "w", not one of the workload's micro-ops \(append, r\)/);
    const listRead = file('r.jsonl', '{"process":0,"type":"invoke","f":"txn","value":[["r","x",null]]}\n{"process":0,"type":"ok","f":"txn","value":[["r","x",[1]]]}\n');
    await expect(readTxnHistoryFile(listRead, 'rw-register')).rejects.toThrow(/line 2: micro-op 1 reads \[1\]; a register read is one number or string/);
    const edn = file('bad.edn', '{:process 0, :type :invoke, :value [[:append 1 2]]}\n{:process 0, :type :ok, :value [[:append 1 2]\n');
    await expect(readTxnHistoryFile(edn, 'list-append')).rejects.toThrow(/bad\.edn line \d+: malformed EDN: vector opened on line 2/);
    await expect(readTxnHistoryFile(edn, 'list-append')).rejects.toBeInstanceOf(RacelabError);
  });

  it('checks that an ok completion repeats its invocation\'s micro-ops', () => {
    const h: HistoryEvent[] = [
      { process: 0, type: 'invoke', f: 'txn', value: [['append', 'x', 1]], line: 1 },
      { process: 0, type: 'ok', f: 'txn', value: [['append', 'x', 2]], line: 2 },
    ];
    expect(() => checkTransactions(h, 'list-append')).not.toThrow();
    const h2: HistoryEvent[] = [h[0]!, { process: 0, type: 'ok', f: 'txn', value: [['r', 'x', [1]]], line: 2 }];
    expect(() => checkTransactions(h2, 'list-append')).toThrow(/line 2: the completion's micro-ops do not match/);
  });
});

describe('budget', () => {
  it('a history cut short with nothing found is unknown, never ok', () => {
    const events: HistoryEvent[] = [];
    for (let i = 0; i < 20_000; i++) {
      events.push({ process: i % 10, type: 'invoke', f: 'txn', value: [['append', i % 50, i]] });
      events.push({ process: i % 10, type: 'ok', f: 'txn', value: [['append', i % 50, i]] });
    }
    const cut = checkTransactions(events, 'list-append', { maxSteps: 5000 });
    expect(cut.verdict).toBe('unknown');
    expect(cut.stoppedBecause).toBe('budget');
    expect(cut.models.serializable).toBe('unknown');
    const whole = checkTransactions(events, 'list-append');
    expect(whole.verdict).toBe('ok');
    expect(whole.models.serializable).toBe('not-ruled-out');
  });
});
