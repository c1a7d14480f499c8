import { describe, expect, it } from 'vitest';
import { checkVerbose, parseHistory, parseJepsenEdn, parseJepsenLog } from '../../src/index.js';

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

const OPS = ['INFO  jepsen.util - 0\t:invoke\t:write\t1', 'INFO  jepsen.util - 0\t:ok\t:write\t1', 'INFO  jepsen.util - 1\t:invoke\t:read\tnil', 'INFO  jepsen.util - 1\t:ok\t:read\t1'];

describe('Jepsen input that is not what it seems', () => {
  it('a text log with a garbage line or a damaged op line is refused with the line number', () => {
    expect(messageOf(() => parseJepsenLog([OPS[0], OPS[1], 'hello there, not a log line', OPS[2], OPS[3]].join('\n')))).toMatch(/^line 3: "hello there, not a log line" is not a line of a Jepsen log/);
    expect(messageOf(() => parseJepsenLog([OPS[0], 'INFO  jepsen.util - 0\t:ok', ...OPS.slice(2)].join('\n')))).toMatch(/^line 2: a damaged operation line/);
    // What real logs hold between op lines stays accepted: other loggers, stack traces, printed maps.
    const real = ['2017-05-21 19:03:36,011{GMT}\tINFO\t[main] jepsen.core: Running test', '{:concurrency 5,', ' :nodes ["n1"]}', OPS[0], 'WARN  jepsen.core - oops', 'java.lang.Exception: boom', '\tat clojure.core$eval.invoke(core.clj:1)', 'Caused by: x', '... 12 more', OPS[1], '', OPS[2], OPS[3]];
    expect(parseJepsenLog(real.join('\n'))).toHaveLength(4);
  });

  it('maps with the key apart from the value read as the kv model input, and are checked per key', () => {
    const edn = [
      '{:process 0, :type :invoke, :f :append, :key "x", :value "a"}',
      '{:process 0, :type :ok, :f :append, :key "x", :value "a"}',
      '{:process 1, :type :invoke, :f :append, :key "y", :value "b"}',
      '{:process 1, :type :ok, :f :append, :key "y", :value "b"}',
      '{:process 2, :type :invoke, :f :get, :key "x", :value nil}',
      '{:process 2, :type :ok, :f :get, :key "x", :value "a"}',
    ];
    const events = parseJepsenEdn(edn.join('\n'));
    expect(events[0]!.value).toEqual(['x', 'a']);
    const ok = checkVerbose(events, 'kv');
    expect(ok.verdict).toBe('ok');
    expect(ok.partitions).toBe(2);
    const lost = checkVerbose(parseJepsenEdn(edn.join('\n').replace(':f :get, :key "x", :value "a"', ':f :get, :key "x", :value ""')), 'kv');
    expect(lost.verdict).toBe('illegal');
    // The same in racelab's JSON Lines.
    const jsonl = parseHistory('{"process":0,"type":"invoke","f":"append","key":"x","value":"a"}\n{"process":0,"type":"ok","f":"append","key":"x","value":"a"}');
    expect(jsonl.events[0]!.value).toEqual(['x', 'a']);
  });
});
