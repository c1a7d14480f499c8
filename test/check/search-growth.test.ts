import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Budget, check, checkVerbose, completeModel, kvModel, searchLinearization, type Model, type SearchOp } from '../../src/check/index.js';
import type { HistoryEvent } from '../../src/history/index.js';

/**
 * Growth pruning (`reaches` / `resets`, src/check/search-growth.ts) only gives up configurations that cannot be
 * completed: the pruned search must reach the verdict of the plain one (the same model without the hooks)
 * whenever both decide. Histories are simulated against a real store (each operation takes effect at a random
 * instant inside its call, some time out), so most are linearizable; some have a read corrupted or a put's
 * value swapped, so many are not.
 */

const kv = kvModel();
const { reaches: _reaches, resets: _resets, ...withoutHooks } = kv;
const plainKv: Model = { ...(withoutHooks as Model), name: 'kv-plain' };

interface Planned {
  client: number;
  gap: number;
  length: number;
  at: number;
  key: number;
  kind: 'get' | 'put' | 'append';
  value: number;
  timesOut: boolean;
  applied: boolean;
}

const planned: fc.Arbitrary<Planned> = fc.record({
  client: fc.nat(4),
  gap: fc.nat(4),
  length: fc.integer({ min: 1, max: 20 }),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  key: fc.nat(1),
  kind: fc.constantFrom<Planned['kind']>('get', 'get', 'append', 'append', 'append', 'put'),
  value: fc.nat(3),
  timesOut: fc.boolean(),
  applied: fc.boolean(),
});

/** Runs the plan against a real store and records it; `corrupt` (an index) changes one read's answer. */
function simulate(plan: readonly Planned[], corrupt: number, infoRate: number): HistoryEvent[] {
  const clock = [0, 0, 0, 0, 0];
  const processOf = [0, 1, 2, 3, 4];
  const ops = plan.map((p, i) => {
    const call = clock[p.client]! + 1 + p.gap;
    const ret = call + p.length;
    clock[p.client] = ret;
    const info = p.timesOut && i % infoRate === 0;
    const process = processOf[p.client]!;
    if (info) processOf[p.client]! += 5;
    return { ...p, i, call, ret, point: call + p.at * p.length, info, process, out: null as string | null };
  });
  const store = new Map<number, string>();
  for (const o of [...ops].sort((a, b) => a.point - b.point)) {
    if (o.info && !o.applied) continue;
    if (o.kind === 'get') o.out = store.get(o.key) ?? null;
    else if (o.kind === 'put') store.set(o.key, `p${o.value}`);
    else store.set(o.key, (store.get(o.key) ?? '') + String(o.value));
  }
  const reads = ops.filter((o) => o.kind === 'get' && !o.info);
  if (corrupt >= 0 && reads.length > 0) {
    const r = reads[corrupt % reads.length]!;
    r.out = r.out === null ? '0' : r.out.length > 1 && corrupt % 2 === 0 ? r.out.slice(1) : `${r.out}0`;
  }
  const events: Array<{ t: number; o: number; e: HistoryEvent }> = [];
  for (const o of ops) {
    const key = `k${o.key}`;
    const invoke = o.kind === 'get' ? [key, null] : [key, o.kind === 'put' ? `p${o.value}` : String(o.value)];
    events.push({ t: o.call, o: 1, e: { process: o.process, type: 'invoke', f: o.kind, value: invoke } });
    if (o.info) events.push({ t: o.ret, o: 0, e: { process: o.process, type: 'info', f: o.kind, value: invoke } });
    else events.push({ t: o.ret, o: 0, e: { process: o.process, type: 'ok', f: o.kind, value: o.kind === 'get' ? [key, o.out] : invoke } });
  }
  events.sort((a, b) => a.t - b.t || a.o - b.o);
  return events.map((x) => ({ ...x.e, time: x.t }));
}

describe('growth pruning (kv)', () => {
  it('gives the plain search verdict on ~3,000 generated histories whenever both decide', () => {
    const tally = { ok: 0, illegal: 0, undecided: 0 };
    fc.assert(
      fc.property(fc.array(planned, { minLength: 1, maxLength: 40 }), fc.integer({ min: -3, max: 20 }), fc.integer({ min: 1, max: 4 }), (plan, corrupt, infoRate) => {
        const history = simulate(plan, corrupt, infoRate);
        const pruned = check(history, kv as Model, { maxSteps: 20_000 });
        const plain = check(history, plainKv, { maxSteps: 20_000 });
        if (pruned.verdict === 'unknown' || plain.verdict === 'unknown') {
          tally.undecided++;
          // Pruning never makes a decided search undecided here: it only cuts branches.
          expect(plain.verdict === 'unknown' || pruned.verdict !== 'unknown').toBe(true);
          return;
        }
        tally[pruned.verdict]++;
        expect(pruned.verdict).toBe(plain.verdict);
        expect(pruned.steps).toBeLessThanOrEqual(plain.steps);
      }),
      { numRuns: 3000, seed: 17 },
    );
    // The comparison means something only if both verdicts occur often.
    expect(tally.ok).toBeGreaterThan(500);
    expect(tally.illegal).toBeGreaterThan(500);
  });

  it('from the unknown state too (the window search), through the search itself', () => {
    const m = completeModel(kv as Model);
    const plain = completeModel(plainKv);
    fc.assert(
      fc.property(fc.array(planned, { minLength: 1, maxLength: 16 }), fc.integer({ min: -1, max: 10 }), (plan, corrupt) => {
        const history = simulate(
          plan.map((p) => ({ ...p, key: 0 })),
          corrupt,
          2,
        );
        const ops: Array<SearchOp<unknown, unknown>> = [];
        const open = new Map<unknown, { input: unknown; call: number }>();
        for (const e of history) {
          const d = m.decode({ f: e.f, invokeValue: e.value, completeValue: e.type === 'ok' ? e.value : undefined });
          if (e.type === 'invoke') open.set(e.process, { input: d.input, call: e.time! });
          else {
            const o = open.get(e.process)!;
            if (e.type === 'info' && m.readOnly(o.input)) continue;
            ops.push({ input: o.input, output: e.type === 'ok' ? d.output : undefined, known: e.type === 'ok', call: o.call, ret: e.time! });
          }
        }
        const a = searchLinearization(m, ops, { initial: m.unknownState!(), budget: new Budget(Infinity, 20_000) });
        const b = searchLinearization(plain, ops, { initial: plain.unknownState!(), budget: new Budget(Infinity, 20_000) });
        if (a.verdict !== 'unknown' && b.verdict !== 'unknown') expect(a.verdict).toBe(b.verdict);
      }),
      { numRuns: 500, seed: 18 },
    );
  });

  it('decides an append-heavy history, and an unknown names the key whose search used up the budget', () => {
    const history = simulate(
      Array.from({ length: 600 }, (_, i) => ({ client: i % 5, gap: i % 3, length: 5 + ((i * 7) % 13), at: ((i * 37) % 100) / 100, key: i % 2, kind: i % 5 === 0 ? 'get' : 'append', value: i % 4, timesOut: false, applied: true })),
      -1,
      1,
    );
    expect(check(history, kv as Model, { maxSteps: 200_000 }).verdict).toBe('ok');
    const report = checkVerbose(history, plainKv, { maxSteps: 2_000 });
    expect(report.verdict).toBe('unknown');
    expect(report.explanation.join(' ')).toMatch(/The budget was used up searching key k[01] \(\d+ steps\)/);
  });
});
