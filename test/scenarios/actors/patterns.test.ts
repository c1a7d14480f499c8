import { describe, expect, it } from 'vitest';
import { actorPattern, actorPatterns, type PatternOutcome } from '../../../src/scenarios/actors/index.js';
import { ControlledScheduler } from '../../actor/helpers/controlled-scheduler.js';

/** Runs a pattern variant under the test's controlled scheduler (random interleavings, virtual time). */
async function controlled(pattern: string, variant: string, seed: number): Promise<PatternOutcome> {
  const sched = new ControlledScheduler(seed);
  const outcome = await sched.drive(() => actorPattern(pattern).run(variant, { scheduler: sched, seed }));
  // Everything the run started has finished (timers left behind have fired as no-ops).
  expect(sched.unfinished()).toEqual([]);
  return outcome;
}

function consistent(o: PatternOutcome, pattern: string, variant: string): void {
  expect(o.pattern).toBe(pattern);
  expect(o.variant).toBe(variant);
  expect(o.messagesSent).toBeGreaterThan(0);
  expect(o.lostEffects).toBeGreaterThanOrEqual(0);
  expect(o.duplicatedEffects).toBeGreaterThanOrEqual(0);
  expect(JSON.parse(JSON.stringify(o))).toEqual(o);
}

describe('actor patterns under the real scheduler', () => {
  for (const pattern of actorPatterns) {
    for (const variant of pattern.vulnerable) {
      it(`${pattern.name}/${variant} (vulnerable) breaks its invariant, with numbers that show how`, async () => {
        const o = await pattern.run(variant, { seed: 11 });
        consistent(o, pattern.name, variant);
        expect(o.ok).toBe(false);
        expect(o.lostEffects + o.duplicatedEffects).toBeGreaterThan(0);
        expect(o.observed).not.toEqual(o.expected);
        expect(pattern.explain(o)).toContain(String(o.observed));
      });
    }
    for (const variant of pattern.fixed) {
      it(`${pattern.name}/${variant} (fixed) keeps its invariant`, async () => {
        const o = await pattern.run(variant, { seed: 11 });
        consistent(o, pattern.name, variant);
        expect(o.ok).toBe(true);
        expect(o.lostEffects).toBe(0);
        expect(o.duplicatedEffects).toBe(0);
        expect(o.observed).toEqual(o.expected);
      });
    }
  }

  it('every pattern lists a description for each variant, and the list matches the contract', () => {
    expect(actorPatterns.map((p) => p.name)).toEqual([
      'counter-cast',
      'check-then-act',
      'async-writeback',
      'shared-store',
      'flooding',
      'supervisor-restart',
      'idempotency-key',
      'state-machine',
      'seq-ack',
    ]);
    for (const p of actorPatterns) {
      expect(p.vulnerable.length).toBeGreaterThan(0);
      expect(p.fixed.length).toBeGreaterThan(0);
      expect(Object.keys(p.variants).sort()).toEqual([...p.vulnerable, ...p.fixed].sort());
    }
  });

  it('an unknown pattern or variant is a clear error', async () => {
    expect(() => actorPattern('nope')).toThrow(/pattern: "nope" is not an actor pattern; use one of counter-cast, check-then-act/);
    await expect(actorPattern('check-then-act').run('nope')).rejects.toThrow(/"nope" is not a variant; use one of get-then-set/);
    await expect(actorPattern('check-then-act').run('get-then-set', { senders: 0 })).rejects.toThrow(/senders: 0 must be a whole number/);
  });
});

describe("the seed's Counter, tested (the seed says two handle_cast(:increment) can interleave and lose an update)", () => {
  it('under real concurrency: 16 senders x 200 casts, no update lost, never two increments in flight', async () => {
    const p = actorPattern('counter-cast');
    for (const variant of ['counter', 'safe-counter', 'counter-await']) {
      const o = await p.run(variant, { senders: 16, messages: variant === 'counter-await' ? 10 : 200 });
      expect(o.observed).toBe(o.expected);
      expect(o.details?.maxHandlersInFlight).toBe(1);
    }
  });

  it('under 200 random interleavings of every send and delivery: never an update lost', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const o = await controlled('counter-cast', seed % 2 ? 'counter' : 'counter-await', seed);
      expect(o.ok, `seed ${seed}`).toBe(true);
      expect(o.details?.maxHandlersInFlight).toBe(1);
    }
  });

  it('what does lose updates: the seed\'s raw send (not a cast) and handlers that run concurrently', async () => {
    const raw = await actorPattern('counter-cast').run('seed-send');
    expect(raw.observed).toBe(0);
    expect(raw.details?.unexpectedMessages).toBe(raw.expected);
    const concurrent = await actorPattern('counter-cast').run('task-per-message');
    expect(Number(concurrent.details?.maxHandlersInFlight)).toBeGreaterThan(1);
    expect(concurrent.lostEffects).toBeGreaterThan(0);
  });
});

describe('actor patterns under a controlled scheduler (every delivery a choice, virtual time)', () => {
  for (const pattern of actorPatterns) {
    it(`${pattern.name}: some interleaving breaks each vulnerable variant; none breaks a fixed one`, async () => {
      for (const variant of pattern.vulnerable) {
        let found = 0;
        for (let seed = 1; seed <= 60 && found === 0; seed++) if (!(await controlled(pattern.name, variant, seed)).ok) found = seed;
        expect(found, `${pattern.name}/${variant}: no failing interleaving in 60 seeds`).toBeGreaterThan(0);
      }
      for (const variant of pattern.fixed) {
        for (let seed = 1; seed <= 25; seed++) {
          const o = await controlled(pattern.name, variant, seed);
          expect(o.ok, `${pattern.name}/${variant} seed ${seed}: ${JSON.stringify(o)}`).toBe(true);
        }
      }
    });
  }

  it('the same seed gives the same run', async () => {
    const a = await controlled('check-then-act', 'get-then-set', 5);
    const b = await controlled('check-then-act', 'get-then-set', 5);
    expect(b).toEqual(a);
  });
});
