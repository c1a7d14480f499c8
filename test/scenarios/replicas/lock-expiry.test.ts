import { afterAll, describe, expect, it, vi } from 'vitest';
import { counterVariant, type CounterService } from '../../../src/scenarios/counter/index.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { runNamespace, withNamespace } from '../../../src/store/specs.js';
import { REDIS_URL, serviceAvailable } from '../../helpers/services.js';

const available = await serviceAvailable('Redis', REDIS_URL);
const opened: Store[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});

/**
 * Two "replicas" of a lock variant, each with its own Redis connection and its own handlers, in this process
 * so the timeline is exact: replica A takes the lock, reads 0 and stalls 800 ms under a 150 ms TTL; replica B
 * waits for the lock to expire, then increments twice (30 ms each) while A is still stalled; then A wakes.
 */
async function pausedHolderTimeline(variant: string): Promise<{ final: number; a: CounterService; b: CounterService }> {
  const url = withNamespace(REDIS_URL, runNamespace(`lock-expiry-${variant}`));
  const [storeA, storeB] = await Promise.all([openStore(url), openStore(url)]);
  opened.push(storeA!, storeB!);
  const a = counterVariant(variant).make({ store: storeA!, delayMs: 30, lock: { ttlMs: 150, holderPauseMs: 800, holderPauseEvery: 1 } });
  const b = counterVariant(variant).make({ store: storeB!, delayMs: 30, lock: { ttlMs: 150 } });
  try {
    const holder = a.increment();
    // A holds the lock and is inside its stall (it counts the pause as it enters it), however long a loaded
    // machine takes to get it there: B starts only then.
    await vi.waitFor(() => expect(a.stats.holderPauses).toBe(1), { timeout: 10_000, interval: 5 });
    await b.increment();
    await b.increment();
    expect(await storeB!.get('counter')).toBe(2); // B's increments landed while A was stalled
    await holder;
    return { final: await storeA!.get('counter'), a, b };
  } finally {
    await storeA!.reset();
  }
}

describe.skipIf(!available)('a lock with a TTL, and a holder paused past it', () => {
  it('without fencing the paused holder still writes: 3 increments acknowledged, the counter says 1', async () => {
    const { final, a, b } = await pausedHolderTimeline('redis-lock');
    expect(final).toBe(1); // A wrote 0 + 1 over B's 2
    expect(a.stats.holderPauses).toBe(1);
    expect(a.stats.lockExpiries).toBe(1); // A found at release that its lock had expired
    expect(b.stats.lockWaits).toBe(1);
  });

  it('with fencing tokens the store refuses the paused holder, which starts again: the counter says 3', async () => {
    const { final, a, b } = await pausedHolderTimeline('redis-lock-fencing');
    expect(final).toBe(3);
    expect(a.stats.fencedRejections).toBe(1);
    expect(a.stats.retries).toBe(1);
    // A pauses on every holding, so its second one expired too; but no newer token touched the key in
    // between, so the store rightly accepted that write.
    expect(a.stats.holderPauses).toBe(2);
    expect(a.stats.lockExpiries).toBe(2);
    expect(b.stats.fencedRejections).toBe(0);
  });
});
