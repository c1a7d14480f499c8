import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/check/index.js';
import { HistoryRecorder, type HistoryEvent, pairOperations, type HistoryOperation } from '../../src/history/index.js';

/**
 * Real linearizable objects (each operation's effect is one synchronous step) driven by concurrent async
 * clients under fast-check's scheduler, which picks a random interleaving of every await. Every recorded
 * history must check ok; the same history with an injected lost update or stale read must check illegal.
 */

type Step =
  | { f: 'read' }
  | { f: 'write'; v: number }
  | { f: 'cas'; from: number; to: number }
  | { f: 'increment' }
  | { f: 'get'; key?: string }
  | { f: 'put'; key: string; v: string }
  | { f: 'append'; key: string; v: string };

interface Planned {
  step: Step;
  /** The client gives up waiting (its outcome is unknown); `applied` says whether it took effect anyway. */
  timesOut: boolean;
  applied: boolean;
}

/** One atomic step on the object; returns [history f, invoke value, ok value | 'fail']. */
type Apply = (step: Step) => { invoke: unknown; result: unknown; failed?: boolean };

function registerObject(): Apply {
  let value: number | null = null;
  return (step) => {
    if (step.f === 'read') return { invoke: null, result: value };
    if (step.f === 'write') {
      value = step.v;
      return { invoke: step.v, result: step.v };
    }
    if (step.f === 'cas') {
      if (value !== step.from) return { invoke: [step.from, step.to], result: null, failed: true };
      value = step.to;
      return { invoke: [step.from, step.to], result: [step.from, step.to] };
    }
    throw new Error(`register has no ${step.f}`);
  };
}

function counterObject(): Apply {
  let value = 0;
  return (step) => {
    if (step.f === 'increment') {
      value += 1;
      return { invoke: null, result: null };
    }
    if (step.f === 'get') return { invoke: null, result: value };
    throw new Error(`counter has no ${step.f}`);
  };
}

function kvObject(): Apply {
  const map = new Map<string, string>();
  return (step) => {
    if (step.f === 'get') return { invoke: [step.key, null], result: [step.key, map.get(step.key!) ?? null] };
    if (step.f === 'put') {
      map.set(step.key, step.v);
      return { invoke: [step.key, step.v], result: [step.key, step.v] };
    }
    if (step.f === 'append') {
      map.set(step.key, (map.get(step.key) ?? '') + step.v);
      return { invoke: [step.key, step.v], result: [step.key, step.v] };
    }
    throw new Error(`kv has no ${step.f}`);
  };
}

/** Runs every client's plan concurrently under the scheduler, recording with a strictly increasing clock. */
async function record(s: fc.Scheduler, object: Apply, plans: Planned[][]): Promise<HistoryEvent[]> {
  let tick = 0;
  const recorder = new HistoryRecorder({ now: () => ++tick });
  const client = async (process: number, plan: Planned[]): Promise<void> => {
    for (const { step, timesOut, applied } of plan) {
      const op = recorder.invoke(process, step.f, invokeValue(step));
      await s.schedule(Promise.resolve(), `p${process} ${step.f} sent`);
      if (timesOut && !applied) {
        op.info('timed out before it took effect');
        continue;
      }
      const out = object(step);
      await s.schedule(Promise.resolve(), `p${process} ${step.f} answered`);
      if (timesOut) op.info('timed out after it took effect');
      else if (out.failed) op.fail('precondition');
      else op.ok(out.result);
    }
  };
  await s.waitFor(Promise.all(plans.map((plan, p) => client(p, plan))));
  return [...recorder.events];
}

function invokeValue(step: Step): unknown {
  switch (step.f) {
    case 'write':
      return step.v;
    case 'cas':
      return [step.from, step.to];
    case 'get':
      return step.key !== undefined ? [step.key, null] : null;
    case 'put':
    case 'append':
      return [step.key, step.v];
    default:
      return null;
  }
}

/** Written values are unique (the index of the op), so an injected stale read is a provable violation. */
const uniqueValues = <T extends Step>(plans: Array<Array<{ step: T } & Omit<Planned, 'step'>>>): Planned[][] => {
  let next = 1;
  return plans.map((plan) =>
    plan.map((p) => {
      const step = { ...p.step } as Step;
      if (step.f === 'write') step.v = next++;
      if (step.f === 'cas') step.to = next++;
      if (step.f === 'put') step.v = `p${next++}`;
      if (step.f === 'append') step.v = `a${next++}`;
      return { ...p, step };
    }),
  );
};

const registerStep: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ f: 'read' }),
  fc.constant<Step>({ f: 'read' }),
  fc.constant<Step>({ f: 'write', v: 0 }),
  fc.integer({ min: 1, max: 12 }).map<Step>((from) => ({ f: 'cas', from, to: 0 })),
);
const counterStep: fc.Arbitrary<Step> = fc.oneof(fc.constant<Step>({ f: 'increment' }), fc.constant<Step>({ f: 'increment' }), fc.constant<Step>({ f: 'get' }));
const kvStep: fc.Arbitrary<Step> = fc.constantFrom('x', 'y').chain((key) =>
  fc.oneof(fc.constant<Step>({ f: 'get', key }), fc.constant<Step>({ f: 'put', key, v: '' }), fc.constant<Step>({ f: 'append', key, v: '' })),
);

const plansOf = (step: fc.Arbitrary<Step>) =>
  fc.array(fc.array(fc.record({ step, timesOut: fc.integer({ min: 0, max: 99 }).map((n) => n < 12), applied: fc.boolean() }), { minLength: 1, maxLength: 7 }), {
    minLength: 2,
    maxLength: 4,
  });

const ok = (o: HistoryOperation): boolean => o.status === 'ok';

/** A read that returns a value overwritten before it started: write W1 ends, write W2 starts and ends, then R starts. */
function injectStaleRead(events: HistoryEvent[], isWrite: (o: HistoryOperation) => boolean, isRead: (o: HistoryOperation) => boolean, sameKey: (a: HistoryOperation, b: HistoryOperation) => boolean, readValue: (w1: HistoryOperation, r: HistoryOperation) => unknown): HistoryEvent[] | undefined {
  const ops = pairOperations(events).operations.filter(ok);
  for (const r of ops.filter(isRead)) {
    for (const w2 of ops.filter((o) => isWrite(o) && sameKey(o, r) && o.return < r.call)) {
      const w1 = ops.find((o) => o.f !== 'append' && isWrite(o) && sameKey(o, r) && o.return < w2.call);
      if (!w1) continue;
      const at = events.findIndex((e) => e.type === 'ok' && e.process === r.process && e.time === r.return);
      return events.map((e, i) => (i === at ? { ...e, value: readValue(w1, r) } : e));
    }
  }
  return undefined;
}

describe('property: histories of real linearizable objects', () => {
  it('register: always ok; with an injected stale read, illegal', async () => {
    let injected = 0;
    let overlapping = 0;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), plansOf(registerStep), async (s, raw) => {
        const events = await record(s, registerObject(), uniqueValues(raw));
        expect(check(events, 'register').verdict).toBe('ok');
        const stale = injectStaleRead(
          events,
          (o) => o.f === 'write' || o.f === 'cas',
          (o) => o.f === 'read',
          () => true,
          (w1) => (w1.f === 'cas' ? (w1.invokeValue as number[])[1] : w1.invokeValue),
        );
        const ops = pairOperations(events).operations;
        if (ops.some((a) => ops.some((b) => a !== b && a.call < b.call && b.call < a.return))) overlapping++;
        if (!stale) return;
        injected++;
        expect(check(stale, 'register').verdict).toBe('illegal');
      }),
      { numRuns: 200 },
    );
    // The scheduler really interleaves the clients, and most runs have a stale read to inject.
    expect(overlapping).toBeGreaterThan(100);
    expect(injected).toBeGreaterThan(50);
  });

  it('counter: always ok; with an injected lost update (a get missing an increment that finished before it), illegal', async () => {
    let injected = 0;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), plansOf(counterStep), async (s, plans) => {
        const events = await record(s, counterObject(), plans as Planned[][]);
        expect(check(events, 'counter').verdict).toBe('ok');
        const ops = pairOperations(events).operations;
        const get = ops.find((g) => g.f === 'get' && ok(g) && ops.some((i) => i.f === 'increment' && ok(i) && i.return < g.call));
        if (!get) return;
        const surelyBefore = ops.filter((i) => i.f === 'increment' && ok(i) && i.return < get.call).length;
        const at = events.findIndex((e) => e.type === 'ok' && e.process === get.process && e.time === get.return);
        const lost = events.map((e, i) => (i === at ? { ...e, value: surelyBefore - 1 } : e));
        injected++;
        expect(check(lost, 'counter').verdict).toBe('illegal');
      }),
      { numRuns: 200 },
    );
    expect(injected).toBeGreaterThan(50);
  });

  it('kv: always ok, per key; with an injected stale read on one key, illegal', async () => {
    let injected = 0;
    const key = (o: HistoryOperation): unknown => (o.invokeValue as unknown[])[0];
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), plansOf(kvStep), async (s, raw) => {
        const events = await record(s, kvObject(), uniqueValues(raw));
        expect(check(events, 'kv').verdict).toBe('ok');
        const stale = injectStaleRead(
          events,
          (o) => o.f === 'put' || o.f === 'append',
          (o) => o.f === 'get',
          (a, b) => key(a) === key(b),
          (w1, r) => [key(r), (w1.invokeValue as unknown[])[1]],
        );
        if (!stale) return;
        injected++;
        expect(check(stale, 'kv').verdict).toBe('illegal');
      }),
      { numRuns: 200 },
    );
    expect(injected).toBeGreaterThan(20);
  });
});
