import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectHistoryFormat, HistoryRecorder, mergeHistories, pairOperations, readHistoryFile, writeHistoryFile } from '../../src/history/index.js';

const dir = mkdtempSync(join(tmpdir(), 'racelab-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('history files', () => {
  it('detects the format from the content, then the extension', () => {
    expect(detectHistoryFormat('{"process":0,"type":"invoke","f":"read"}')).toBe('jsonl');
    expect(detectHistoryFormat('; knossos\n[{:process 0 :type :invoke}]')).toBe('edn');
    expect(detectHistoryFormat('#jepsen.history.Op{:index 0}')).toBe('edn');
    expect(detectHistoryFormat('INFO  jepsen.util - 0\t:invoke\t:read\tnil')).toBe('jepsen-log');
    expect(detectHistoryFormat('', 'x.edn')).toBe('edn');
    expect(detectHistoryFormat('hello', 'x.txt')).toBeUndefined();
  });

  it('writes and reads back a recorded history; a missing file is a one-line error', async () => {
    let t = 0;
    const rec = new HistoryRecorder({ now: () => (t += 10) });
    const op = rec.invoke(0, 'write', 1);
    op.ok();
    const file = join(dir, 'h.jsonl');
    await writeHistoryFile(file, rec.events);
    const { events, format } = await readHistoryFile(file);
    expect(format).toBe('jsonl');
    expect(events.map(({ line: _line, ...e }) => e)).toEqual([
      { process: 0, type: 'invoke', f: 'write', value: 1, time: 10 },
      { process: 0, type: 'ok', f: 'write', value: null, time: 20 },
    ]);
    await expect(readHistoryFile(join(dir, 'nope.jsonl'))).rejects.toThrow(/nope\.jsonl: no such file; give the path of a history file/);
    writeFileSync(join(dir, 'bad.jsonl'), '{"process":0,"type":"invoke","f":"read"}\nnot json\n');
    await expect(readHistoryFile(join(dir, 'bad.jsonl'))).rejects.toThrow(/bad\.jsonl line 2: not valid JSON/);
    writeFileSync(join(dir, 'empty.jsonl'), '\n');
    await expect(readHistoryFile(join(dir, 'empty.jsonl'))).rejects.toThrow(/empty\.jsonl: no operations in it/);
  });
});

describe('HistoryRecorder', () => {
  it('stamps invoke and completion in order, and record() maps a throw to info unless it surely failed', async () => {
    let t = 0;
    const rec = new HistoryRecorder({ now: () => ++t });
    await rec.record(0, 'read', null, () => Promise.resolve(5));
    await expect(rec.record(1, 'write', 3, () => Promise.reject(new Error('deadline')))).rejects.toThrow('deadline');
    await expect(rec.record(1, 'cas', [1, 2], () => Promise.reject(new Error('precondition')), { failed: () => true })).rejects.toThrow();
    expect(rec.events.map((e) => [e.process, e.type, e.f, e.value, e.time, e.error])).toEqual([
      [0, 'invoke', 'read', null, 1, undefined],
      [0, 'ok', 'read', 5, 2, undefined],
      [1, 'invoke', 'write', 3, 3, undefined],
      [1, 'info', 'write', 3, 4, 'deadline'],
      [1, 'invoke', 'cas', [1, 2], 5, undefined],
      [1, 'fail', 'cas', [1, 2], 6, 'precondition'],
    ]);
    const op = rec.invoke(2, 'read');
    op.ok(1);
    expect(() => op.ok(1)).toThrow(/already completed/);
    expect(pairOperations(rec.events).operations.map((o) => o.status)).toEqual(['ok', 'info', 'fail', 'ok']);
  });

  it('hands concurrent callers distinct process ids and reuses freed ones', () => {
    const rec = new HistoryRecorder();
    const a = rec.acquireProcess();
    const b = rec.acquireProcess();
    rec.releaseProcess(a);
    expect([a, b, rec.acquireProcess(), rec.acquireProcess()]).toEqual([0, 1, 0, 2]);
  });

  it('merges per-process histories by time, renaming their processes apart', () => {
    const a = [
      { process: 0, type: 'invoke' as const, f: 'inc', time: 1 },
      { process: 0, type: 'ok' as const, f: 'inc', time: 5 },
    ];
    const b = [
      { process: 0, type: 'invoke' as const, f: 'inc', time: 2 },
      { process: 0, type: 'ok' as const, f: 'inc', time: 3 },
    ];
    const merged = mergeHistories([
      { events: a, rename: () => 0 },
      { events: b, rename: () => 1 },
    ]);
    expect(merged.map((e) => `${e.process}:${e.type}@${e.time}`)).toEqual(['0:invoke@1', '1:invoke@2', '1:ok@3', '0:ok@5']);
  });
});
