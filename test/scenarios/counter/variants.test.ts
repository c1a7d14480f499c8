import { describe, expect, it } from 'vitest';
import { COUNTER_KEY, counterVariant, counterVariants } from '../../../src/scenarios/counter/index.js';
import { MemoryStore } from '../../../src/store/index.js';

/** Runs `callers` concurrent increments against one variant in this process; returns the final value. */
async function concurrentIncrements(variant: string, callers: number, delayMs: number) {
  const store = new MemoryStore();
  const service = counterVariant(variant).make({ store, delayMs });
  await Promise.all(Array.from({ length: callers }, () => service.increment()));
  return { value: await store.get(COUNTER_KEY), stats: service.stats };
}

describe('counter variants (written once against the ports)', () => {
  it('vulnerable: concurrent increments that overlap their read-wait-write lose updates', async () => {
    // All 20 read 0 before any writes: the 5 ms await is the window.
    const { value } = await concurrentIncrements('vulnerable', 20, 5);
    expect(value).toBe(1);
  });

  it('vulnerable: increments that do not overlap lose nothing (the race needs concurrency)', async () => {
    const store = new MemoryStore();
    const service = counterVariant('vulnerable').make({ store, delayMs: 1 });
    for (let i = 0; i < 10; i++) await service.increment();
    expect(await service.getValue()).toBe(10);
  });

  for (const name of ['mutex', 'atomic', 'cas', 'txn']) {
    it(`${name}: 50 concurrent increments, none lost`, async () => {
      const { value } = await concurrentIncrements(name, 50, 1);
      expect(value).toBe(50);
    });
  }

  it('cas counts the conflicts its retries resolved', async () => {
    const { value, stats } = await concurrentIncrements('cas', 10, 2);
    expect(value).toBe(10);
    // All 10 read version 0 in the first round; 9 must have retried at least once.
    expect(stats.conflicts).toBeGreaterThanOrEqual(9);
  });

  it('every variant says whether it is safe, and an unknown name is a one-line error naming the choices', () => {
    expect(counterVariants.vulnerable?.safe).toBe(false);
    expect(counterVariants.mutex?.safe).toBe(true);
    expect(() => counterVariant('lock-free-magic')).toThrow(/^variant: "lock-free-magic" is not a counter variant; use one of vulnerable, mutex/);
  });
});
