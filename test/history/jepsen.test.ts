import { describe, expect, it } from 'vitest';
import { RacelabError } from '../../src/core/index.js';
import { EdnKeyword, EdnMap, EdnTagged, ednToJson, parseJepsenEdn, parseJepsenLog, readEdnForms } from '../../src/history/index.js';

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RacelabError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('EDN reader', () => {
  it('reads maps, vectors, lists, sets, keywords, strings, numbers, comments, discards and tags', () => {
    const forms = readEdnForms(`; a comment
      {:a 1, :b [1 2.5 -3 4N], "s" "x\\"y\\n"} (nil true false) #{:k}
      #_ {:ignored 1} #inst "2020-01-01" :ns/kw \\a sym`);
    expect(forms.map((f) => f.line)).toEqual([2, 2, 2, 3, 3, 3, 3]);
    const m = forms[0]!.value as EdnMap;
    expect(m).toBeInstanceOf(EdnMap);
    expect(ednToJson(m)).toEqual({ a: 1, b: [1, 2.5, -3, 4], s: 'x"y\n' });
    expect(ednToJson(forms[1]!.value)).toEqual([null, true, false]);
    expect(ednToJson(forms[2]!.value)).toEqual(['k']);
    expect(forms[3]!.value).toBeInstanceOf(EdnTagged);
    expect((forms[4]!.value as EdnKeyword).name).toBe('ns/kw');
    expect(forms[5]!.value).toBe('a');
  });
});

describe('Jepsen EDN histories', () => {
  it('reads a Knossos-style list of op maps, with comments, and skips the nemesis', () => {
    const events = parseJepsenEdn(`({:type :invoke, :f :write, :value 0, :process 0}
 {:type :ok, :f :write, :value 0, :process 0}
 ; the nemesis is not a client
 {:type :info, :f :start, :value nil, :process :nemesis}
 {:type :invoke, :f :cas, :value [0 4], :process 1}
 {:type :fail, :f :cas, :value [0 4], :process 1, :error {:why :conflict}}
 {:type :invoke, :f :read, :value nil, :process 2}
 {:type :info, :f :read, :value nil, :process 2, :error :timeout})`);
    expect(events.map((e) => [e.line, e.process, e.type, e.f, e.value])).toEqual([
      [1, 0, 'invoke', 'write', 0],
      [2, 0, 'ok', 'write', 0],
      [5, 1, 'invoke', 'cas', [0, 4]],
      [6, 1, 'fail', 'cas', [0, 4]],
      [7, 2, 'invoke', 'read', null],
      [8, 2, 'info', 'read', null],
    ]);
    expect(events[5]!.error).toBe(':timeout');
    expect(events.every((e) => e.time === undefined)).toBe(true);
  });

  it("reads Jepsen's history.edn (one tagged map per line) and converts :time from ns to µs", () => {
    const events = parseJepsenEdn(
      '#jepsen.history.Op{:index 0, :time 1500, :type :invoke, :process 0, :f :read, :value nil}\n' +
        '#jepsen.history.Op{:index 1, :time 4000, :type :ok, :process 0, :f :read, :value 3}\n',
    );
    expect(events.map((e) => [e.line, e.type, e.time, e.value])).toEqual([
      [1, 'invoke', 1.5, null],
      [2, 'ok', 4, 3],
    ]);
  });

  it('names the line of malformed EDN and of a map that is not an operation', () => {
    expect(messageOf(() => parseJepsenEdn('[{:process 0, :type :invoke, :f :read}\n {:process 0, :type :ok, :f :read, :value "x}]'))).toMatch(
      /^line 2: malformed EDN: string opened on line 2 is never closed/,
    );
    expect(messageOf(() => parseJepsenEdn('{:process 0, :type :invoke, :f :read}\n{:process 0, :type :returned, :f :read}'))).toBe(
      'line 2: :type is :returned; it must be one of :invoke, :ok, :fail, :info',
    );
    expect(messageOf(() => parseJepsenEdn('{:process 0, :type :invoke, :f :read}\n\n[1 2]'))).toMatch(/^line 3: expected an operation map like/);
    expect(messageOf(() => parseJepsenEdn('{:process 0 :type}'))).toMatch(/^line 1: malformed EDN: a map needs an even number of forms/);
  });
});

describe('Jepsen text logs', () => {
  const log = [
    '2017-05-21 19:03:36,011{GMT}\tINFO\t[main] jepsen.core: Running test',
    'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
    'INFO  jepsen.util - 2\t:invoke\t:write\t4',
    'INFO  jepsen.util - 0\t:ok\t:read\tnil',
    'INFO  jepsen.util - :nemesis\t:info\t:start\tnil',
    'INFO  jepsen.util - 4\t:invoke\t:cas\t[4 4]',
    'INFO  jepsen.util - 2\t:info\t:write\t:timed-out',
    '2017-05-21 19:03:37,000{GMT}\tINFO\t[jepsen worker 4] jepsen.util: 4\t:fail\t:cas\t[4 4]',
  ].join('\n');

  it('reads operation lines, skips other log lines and the nemesis, and keeps an info reason', () => {
    const events = parseJepsenLog(log);
    expect(events.map((e) => [e.line, e.process, e.type, e.f, e.value])).toEqual([
      [2, 0, 'invoke', 'read', null],
      [3, 2, 'invoke', 'write', 4],
      [4, 0, 'ok', 'read', null],
      [6, 4, 'invoke', 'cas', [4, 4]],
      [7, 2, 'info', 'write', 'timed-out'],
      [8, 4, 'fail', 'cas', [4, 4]],
    ]);
    expect(events[4]!.error).toBe('timed-out');
  });

  it('names the line of a damaged operation line', () => {
    expect(messageOf(() => parseJepsenLog('INFO  jepsen.util - 0\t:invoke\t:write\t[4'))).toMatch(/^line 1: the value "\[4" is not EDN/);
    expect(messageOf(() => parseJepsenLog('\nINFO  jepsen.util - 0\t:returned\t:read\t1'))).toMatch(/^line 2: :returned is not an event type/);
    expect(messageOf(() => parseJepsenLog('INFO  jepsen.util - x\t:ok\t:read\t1'))).toMatch(/^line 1: process "x" is not an integer/);
  });
});
