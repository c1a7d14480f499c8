import { describe, expect, it } from 'vitest';
import { check, checkVerbose, counterModel, kvModel, registerModel, type Model } from '../../src/check/index.js';
import { hist } from './histories.js';

describe('check: register', () => {
  it('accepts a sequential history and rejects a stale read', () => {
    const good = hist(`
      0 invoke write 1
      0 ok write 1
      1 invoke read
      1 ok read 1`);
    expect(check(good, 'register').verdict).toBe('ok');
    const stale = hist(`
      0 invoke write 1
      0 ok write 1
      1 invoke write 2
      1 ok write 2
      2 invoke read
      2 ok read 1`);
    expect(check(stale, 'register').verdict).toBe('illegal');
  });

  it('lets concurrent operations take effect in either order', () => {
    // Porcupine's README example: put 100 overlaps both gets, so get → 100 then get → 0 is fine
    // only if the 0 is linearized before the put.
    const h = hist(`
      0 invoke write 100
      1 invoke read
      2 invoke read
      2 ok read nil
      1 ok read 100
      0 ok write 100`);
    expect(check(h, 'register').verdict).toBe('ok');
    const bad = hist(`
      0 invoke write 200
      1 invoke read
      1 ok read 200
      2 invoke read
      2 ok read nil
      0 ok write 200`);
    expect(check(bad, 'register').verdict).toBe('illegal');
  });

  it('treats an info operation as maybe-happened: anywhere after its invoke, or never', () => {
    const base = `
      0 invoke write 1
      0 info write 1
    `;
    expect(check(hist(`${base} 1 invoke read\n 1 ok read nil`), 'register').verdict).toBe('ok'); // never (yet)
    expect(check(hist(`${base} 1 invoke read\n 1 ok read 1`), 'register').verdict).toBe('ok'); // took effect
    // Once seen, it cannot be undone.
    expect(check(hist(`${base} 1 invoke read\n 1 ok read 1\n 1 invoke read\n 1 ok read nil`), 'register').verdict).toBe('illegal');
    // It can take effect long after its process moved on (return time is unbounded) ...
    const late = hist(`
      0 invoke write 1
      0 info write 1
      0 invoke write 2
      0 ok write 2
      1 invoke read
      1 ok read 1`);
    expect(check(late, 'register').verdict).toBe('ok');
    // ... but never before it was invoked.
    const early = hist(`
      1 invoke read
      1 ok read 1
      0 invoke write 1
      0 info write 1`);
    expect(check(early, 'register').verdict).toBe('illegal');
  });

  it('drops failed operations: a failed write never took effect', () => {
    const h = hist(`
      0 invoke write 1
      0 fail write 1
      1 invoke read
      1 ok read 1`);
    expect(check(h, 'register').verdict).toBe('illegal');
    const cas = hist(`
      0 invoke write 1
      0 ok write 1
      1 invoke cas [1 2]
      1 ok cas [1 2]
      2 invoke cas [1 3]
      2 fail cas [1 3]
      0 invoke read
      0 ok read 2`);
    expect(check(cas, 'register').verdict).toBe('ok');
  });

  it('explains the smallest failing window of a stale read in words', () => {
    const h = hist(`
      5 invoke write 9
      5 ok write 9
      6 invoke read
      6 ok read 9
      0 invoke write 1
      0 ok write 1
      1 invoke write 2
      1 ok write 2
      3 invoke read
      3 ok read 2
      2 invoke read
      2 ok read 1
      4 invoke read
      4 ok read 2`);
    const r = checkVerbose(h, 'register');
    expect(r.verdict).toBe('illegal');
    const w = r.window!;
    // Two reads suffice: read → 2 returned before read → 1 was invoked, and every write of 1 had returned
    // before read → 2 was invoked, so nothing can put 1 back in between.
    expect(w.operations.map((id) => r.timeline[id]!.description)).toEqual(['read → 2', 'read → 1']);
    expect(w.from).toBe('unknown');
    expect(r.timeline[w.breakOperation]!.description).toBe('read → 1');
    const text = r.explanation.join('\n');
    expect(text).toContain('whatever state the object was in');
    expect(text).toContain('[2] process 2: read → 1');
    expect(text).toContain('invoked after [1] returned');
    expect(text).toContain('The 4 earlier operations returned before [1] was invoked');
    expect(text).toMatch(/read → 1 is impossible when the register holds 2/);
    // Without the later reads, the essential pair is the overwriting write and the stale read.
    const r2 = checkVerbose(hist(`
      0 invoke write 1
      0 ok write 1
      1 invoke write 2
      1 ok write 2
      2 invoke read
      2 ok read 1`), 'register');
    expect(r2.window!.operations.map((id) => r2.timeline[id]!.description)).toEqual(['write 2', 'read → 1']);
  });
});

describe('check: counter', () => {
  it('finds a lost update: a get that misses an increment that finished before it started', () => {
    const h = hist(`
      0 invoke increment
      1 invoke increment
      0 ok increment
      1 ok increment
      2 invoke get
      2 ok get 1`);
    const r = checkVerbose(h, 'counter');
    expect(r.verdict).toBe('illegal');
    expect(r.explanation.join('\n')).toMatch(/get → 1 is impossible when the counter is 2/);
    expect(check(hist(`
      0 invoke increment
      1 invoke increment
      2 invoke get
      2 ok get 1
      0 ok increment
      1 ok increment`), 'counter').verdict).toBe('ok');
  });

  it('add takes its amount; info increments may count or not', () => {
    const h = hist(`
      0 invoke add 5
      0 ok add 5
      1 invoke increment
      1 info increment
      2 invoke get
      2 ok get 5
      2 invoke get
      2 ok get 6`);
    expect(check(h, counterModel() as unknown as Model).verdict).toBe('ok');
  });
});

describe('check: kv, partitioned per key', () => {
  it('checks each key on its own and names the key that fails', () => {
    const h = hist(`
      0 invoke put ["x" "a"]
      0 ok put ["x" "a"]
      1 invoke append ["y" "1"]
      1 ok append ["y" "1"]
      1 invoke append ["y" "2"]
      1 ok append ["y" "2"]
      0 invoke get ["x" nil]
      0 ok get ["x" "a"]
      2 invoke get ["y" nil]
      2 ok get ["y" "2"]`);
    const r = checkVerbose(h, kvModel() as Model);
    expect(r.verdict).toBe('illegal');
    expect(r.partitions).toBe(2);
    expect(r.partitionReports.find((p) => p.key === 'x')?.verdict).toBe('ok');
    expect(r.partitionReports.find((p) => p.key === 'y')?.verdict).toBe('illegal');
    expect(r.window?.partition).toBe('y');
    expect(r.explanation.join('\n')).toContain('on key y');
  });
});

describe('budget', () => {
  it('says unknown, not a guess, when the budget runs out', () => {
    // Many concurrent writes and a read nobody can explain: the search must try many orders.
    const lines: string[] = [];
    for (let p = 0; p < 14; p++) lines.push(`${p} invoke write ${p}`);
    for (let p = 0; p < 14; p++) lines.push(`${p} ok write ${p}`);
    lines.push('20 invoke read', '20 ok read 99');
    const r = check(hist(lines.join('\n')), registerModel() as Model, { maxSteps: 2000 });
    expect(r.verdict).toBe('unknown');
    expect(check(hist(lines.join('\n')), 'register').verdict).toBe('illegal');
  });
});

describe('models are plain records of pure functions', () => {
  it('a new model needs only name, init and step; the rest is filled in', () => {
    // A FIFO queue: enqueue v, dequeue → v (or null when empty). States are arrays, never mutated.
    const queue: Model<readonly number[], { f: string; value: unknown }, unknown> = {
      name: 'queue',
      init: () => [],
      step: (state, input, output) => {
        if (input.f === 'enqueue') return [true, [...state, input.value as number]];
        if (output === undefined) return [true, state.slice(1)];
        return [output === (state[0] ?? null), state.slice(1)];
      },
    };
    const fifo = hist(`
      0 invoke enqueue 1
      0 ok enqueue 1
      0 invoke enqueue 2
      0 ok enqueue 2
      1 invoke dequeue
      1 ok dequeue 1`);
    expect(check(fifo, queue as Model).verdict).toBe('ok');
    const lifo = checkVerbose(hist(`
      0 invoke enqueue 1
      0 ok enqueue 1
      0 invoke enqueue 2
      0 ok enqueue 2
      1 invoke dequeue
      1 ok dequeue 2`), queue as Model);
    expect(lifo.verdict).toBe('illegal');
    // Default descriptions read the history's own words.
    expect(lifo.timeline.map((o) => o.description)).toEqual(['enqueue 1', 'enqueue 2', 'dequeue → 2']);
  });

  it('an invalid model fails before any checking, saying what is missing', () => {
    const h = hist('0 invoke read\n0 ok read nil');
    expect(() => check(h, { name: 'broken', init: () => 0 } as unknown as Model)).toThrow('model "broken": "step" must be a function (state, input, output) => [legal, nextState]');
    expect(() => check(h, { name: 'broken', init: () => undefined, step: () => [true, 0] } as unknown as Model)).toThrow(/"init" returned undefined/);
    expect(() => check(h, { name: '', init: () => 0, step: () => [true, 0] } as unknown as Model)).toThrow(/"name" must be a non-empty string/);
    expect(() => check(h, { name: 'm', init: () => 0, step: () => [true, 0], hash: 3 } as unknown as Model)).toThrow(/"hash" must be a function when given/);
  });

  it('names the line of an operation the model does not know, and of a response of the wrong shape', () => {
    const events = [
      { process: 0, type: 'invoke' as const, f: 'get', value: null, line: 4 },
      { process: 0, type: 'ok' as const, f: 'get', value: 'many', line: 9 },
    ];
    expect(() => check(events, 'counter')).toThrow('line 9: get returned "many"; a counter reads as a number');
    expect(() => check([{ ...events[0]!, f: 'pop' }], 'counter')).toThrow('line 4: the counter model has no operation "pop"; it knows increment, add and get (or read)');
    expect(() => check(hist('0 invoke put "x"\n0 ok put "x"'), 'kv')).toThrow(/put takes a \[key, value\] pair, not "x"/);
  });
});
