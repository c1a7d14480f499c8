import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { endsAtAwait } from '../../src/explore/glue-tail.js';
import { explore } from '../../src/index.js';
import '../../src/instrument/runtime.js';
import { instrument } from '../../src/instrument/transform.js';

describe('endsAtAwait: a task function whose last await is the last thing it runs', () => {
  it.each([
    ['void (await x)', async () => void (await Promise.resolve())],
    ['await x; as the last statement', async () => { await Promise.resolve(); }],
    ['return; after an await', async () => { await Promise.resolve(1); return; }],
    ['an arrow returning await x', async () => await Promise.resolve()],
    ['return await x', async () => { return await Promise.resolve(); }],
    ['no await of its own', async () => { Math.max(1, await0()); }],
    ['a named function expression', async function named() { await null; }],
  ])('%s: yes', (_what, fn) => expect(endsAtAwait(fn)).toBe(true));

  it.each([
    ['a write after the await', async () => { const b = await Promise.resolve(1); Math.max(b); }],
    ['if (await x) paid += 70', async () => { let paid = 0; if (await Promise.resolve(true)) paid += 70; Math.max(paid); }],
    ['an await in a loop', async () => { for (let i = 0; i < 2; i++) await null; }],
    ['an await in try/catch', async () => { try { await null; } catch { /* */ } }],
    ['(await x) && write', async () => { const seen: number[] = []; void ((await Promise.resolve(1)) && seen.push(1)); }],
  ])('%s: no', (_what, fn) => expect(endsAtAwait(fn)).toBe(false));
});

function await0(): number {
  return 0;
}

// A fake whose get awaits (a point inside it), and a task function, written in this file (not instrumented), that
// writes what it read after its last await. Run as written with Promise.all, both tasks read 100 before either
// writes: a lost update. Before, that last stretch of the task function was exempt as "the workload's glue", it
// ran glued to the step get returned in, and dfs proved the lost update absent.
const KV = `export class Kv {
  constructor() { this.m = new Map([['x', 100]]); }
  async get(k) { await null; return this.m.get(k); }
}
export function tasks(kv) { const t = async () => { const b = await kv.get('x'); kv.m.set('x', b - 30); }; return [['a', t], ['b', t]]; }
`;

describe('a task function that runs code of its own after its last await', () => {
  const dir = mkdtempSync(join(tmpdir(), 'racelab-glue-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  type Kv = { m: Map<string, number>; get(k: string): Promise<number> };
  const load = async (): Promise<{ Kv: new () => Kv; tasks: (kv: Kv) => [string, () => Promise<void>][] }> => {
    const file = join(dir, 'kv.mjs');
    writeFileSync(file, instrument(KV, file)!.code);
    return (await import(pathToFileURL(file).href)) as never;
  };
  const invariant = (kv: Kv) => () => kv.m.get('x') === 40 || `x is ${kv.m.get('x')}, after two withdrawals of 30 from 100`;

  it('the race is real: run as written, both read 100', async () => {
    const { Kv } = await load();
    const kv = new Kv();
    const t = async (): Promise<void> => { const b = await kv.get('x'); kv.m.set('x', b - 30); };
    await Promise.all([t(), t()]);
    expect(kv.m.get('x')).toBe(70);
  });

  it('not instrumented: inconclusive, naming the task function; never proved', async () => {
    const { Kv } = await load();
    const r = await explore(
      {
        name: 'glue',
        setup() {
          const kv = new Kv();
          const t = async (): Promise<void> => { const b = await kv.get('x'); kv.m.set('x', b - 30); };
          return { tasks: [['a', t], ['b', t]], invariant: invariant(kv) };
        },
      },
      { strategy: 'dfs', ambient: true, seed: 1 },
    );
    expect(r.firstFailure).toBeUndefined();
    expect(r.verdict).toBe('inconclusive');
    expect(r.inconclusive?.first).toMatch(/^the workload's own code \(test\/explore\/glue-tail\.test\.ts, the file of its task functions, not instrumented\) resumed in the step of task "[ab]" after kv\.mjs:3 null returns after an await of a call that returned in that step \(1 time; the function of task "a", which runs code of its own after its last await\): .* instrument that file too/);
  });

  it('instrumented (its file included, as the README says): the lost update is found, the trace naming both reads', async () => {
    const { Kv, tasks } = await load();
    const r = await explore({ name: 'glue', setup: () => { const kv = new Kv(); return { tasks: tasks(kv), invariant: invariant(kv) }; } }, { strategy: 'dfs', ambient: true, seed: 1 });
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.message).toBe('x is 70, after two withdrawals of 30 from 100');
    expect(r.firstFailure?.shrunk.trace.match(/get\("x"\) returns -> 100/g)).toHaveLength(2);
  });
});
