import { describe, expect, it } from 'vitest';
import { exitStatusFor } from '../../src/cli/errors.js';
import { RacelabError } from '../../src/core/index.js';
import { formatHistoryJsonl, pairOperations, parseHistoryJsonl, type HistoryEvent } from '../../src/history/index.js';

function errorOf(f: () => unknown): RacelabError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RacelabError);
    const err = e as RacelabError;
    expect(exitStatusFor(err)).toBe(2);
    expect(err.message).not.toContain('\n');
    return err;
  }
  throw new Error('expected an error');
}

describe('JSON Lines histories', () => {
  it('round-trips events, skipping blank lines and keeping line numbers for errors', () => {
    const events: HistoryEvent[] = [
      { process: 0, type: 'invoke', f: 'write', value: 3, time: 10 },
      { process: 0, type: 'ok', f: 'write', value: 3, time: 12.5 },
      { process: 'c1', type: 'invoke', f: 'read', value: null, time: 13 },
      { process: 'c1', type: 'info', f: 'read', value: null, time: 40, error: 'deadline exceeded' },
    ];
    const text = formatHistoryJsonl(events);
    expect(text.split('\n')[0]).toBe('{"process":0,"type":"invoke","f":"write","value":3,"time":10}');
    const back = parseHistoryJsonl(`\n${text}`);
    expect(back.map(({ line: _line, ...e }) => e)).toEqual(events);
    expect(back.map((e) => e.line)).toEqual([2, 3, 4, 5]);
  });

  it('names the line of a malformed event', () => {
    expect(errorOf(() => parseHistoryJsonl('{"process":0,"type":"invoke","f":"read"}\n{"process":0,"type":"ok",')).message).toMatch(
      /^line 2: not valid JSON \(.*\); each line is one event like \{"process":0/,
    );
    expect(errorOf(() => parseHistoryJsonl('[1,2]')).message).toMatch(/^line 1: expected a JSON object like/);
    expect(errorOf(() => parseHistoryJsonl('{"process":0,"type":"done","f":"read"}')).message).toBe(
      'line 1: "type" is "done"; it must be one of invoke, ok, fail, info',
    );
    expect(errorOf(() => parseHistoryJsonl('\n\n{"process":0,"type":"ok"}')).message).toMatch(/^line 3: "f" \(the operation's name/);
    expect(errorOf(() => parseHistoryJsonl('{"process":1.5,"type":"ok","f":"read"}')).message).toMatch(/^line 1: "process" must be/);
    expect(errorOf(() => parseHistoryJsonl('{"process":1,"type":"ok","f":"read","time":"soon"}')).message).toMatch(/^line 1: "time" must be a number/);
  });
});

describe('pairing invokes with completions', () => {
  const parse = (lines: string[]) => pairOperations(parseHistoryJsonl(lines.join('\n')));

  it('pairs per process, keeps ids in call order and leaves a missing completion as info', () => {
    const p = parse([
      '{"process":0,"type":"invoke","f":"write","value":1}',
      '{"process":1,"type":"invoke","f":"read","value":null}',
      '{"process":1,"type":"ok","f":"read","value":1}',
      '{"process":0,"type":"ok","f":"write","value":1}',
      '{"process":2,"type":"invoke","f":"write","value":2}',
    ]);
    expect(p.timeUnit).toBe('event');
    expect(p.processes).toEqual([0, 1, 2]);
    expect(p.operations.map((o) => [o.id, o.process, o.f, o.status, o.call, o.return])).toEqual([
      [0, 0, 'write', 'ok', 0, 3],
      [1, 1, 'read', 'ok', 1, 2],
      [2, 2, 'write', 'info', 4, Infinity],
    ]);
    expect(p.operations[1]!.completeValue).toBe(1);
    expect(p.operations[2]!.error).toBe('no completion before the history ends');
  });

  it('rejects an operation that returns twice, with both lines', () => {
    const e = errorOf(() =>
      parse([
        '{"process":3,"type":"invoke","f":"write","value":1}',
        '{"process":3,"type":"ok","f":"write","value":1}',
        '{"process":3,"type":"ok","f":"write","value":1}',
      ]),
    );
    expect(e.message).toBe("line 3: process 3's write returns twice: it was invoked on line 1 and already completed on line 2");
  });

  it('rejects a return without an invoke', () => {
    expect(errorOf(() => parse(['{"process":0,"type":"invoke","f":"read"}', '{"process":7,"type":"fail","f":"cas","value":[1,2]}'])).message).toBe(
      'line 2: process 7 completes cas (fail) without an invoke before it',
    );
  });

  it('rejects a second invoke while one is pending, and a completion of another operation', () => {
    expect(errorOf(() => parse(['{"process":0,"type":"invoke","f":"read"}', '{"process":0,"type":"invoke","f":"write","value":1}'])).message).toMatch(
      /^line 2: process 0 invokes write while its read from line 1 has not completed; a process runs one operation at a time/,
    );
    expect(errorOf(() => parse(['{"process":0,"type":"invoke","f":"read"}', '{"process":0,"type":"ok","f":"write","value":1}'])).message).toBe(
      'line 2: process 0 completes write but invoked read on line 1',
    );
  });

  it('uses times when every event has one, and rejects mixed or backwards times', () => {
    const p = parse(['{"process":0,"type":"invoke","f":"read","time":100}', '{"process":0,"type":"ok","f":"read","value":null,"time":250}']);
    expect(p.timeUnit).toBe('us');
    expect([p.operations[0]!.call, p.operations[0]!.return]).toEqual([100, 250]);
    expect(errorOf(() => parse(['{"process":0,"type":"invoke","f":"read","time":100}', '{"process":0,"type":"ok","f":"read"}'])).message).toBe(
      'line 2: has no "time" but earlier events do; give every event a time or none',
    );
    expect(errorOf(() => parse(['{"process":0,"type":"invoke","f":"read","time":100}', '{"process":0,"type":"ok","f":"read","time":90}'])).message).toMatch(
      /^line 2: process 0's time goes backwards \(90 after 100 on line 1\)/,
    );
  });

  it('names the event position for histories built in code', () => {
    expect(errorOf(() => pairOperations([{ process: 0, type: 'ok', f: 'read' }])).message).toBe('event 1: process 0 completes read (ok) without an invoke before it');
  });
});
