import { describe, expect, it } from 'vitest';
import { explore, replay, type Workload } from '../../src/index.js';
import { FakeDriver, MemoizedRepository, Repository } from '../fixtures/user-code/lazy-client.js';
import { InMemoryProducts, PriceCache, VersionedPriceCache } from '../fixtures/user-code/cache.js';
import { AtomicTokenBucket, InMemoryKv, TokenBucket } from '../fixtures/user-code/rate-limit.js';
import { FakePayments, InMemoryIdempotencyStore, idempotent, idempotentInFlight, payHandler } from '../fixtures/user-code/idempotency.js';
import { InMemoryStock, LockedOrderService, OrderService } from '../fixtures/user-code/order.js';
import { ChainedPageViews, InMemoryCounters, PageViews } from '../fixtures/user-code/page-views.js';
import { AtomicCallbackHits, CallbackHits, HitService } from '../fixtures/user-code/hit-counter.js';
import { walletWorkload } from '../helpers/wallet-workload.js';
import { AtomicWalletService, LockedWalletService, MutexWalletService, VersionedWalletService, WalletService } from '../fixtures/user-code/wallet.js';

// The user-shaped code of test/fixtures/user-code, as written: plain TypeScript with plain async in-memory fakes,
// none of it importing racelab. vitest.config.ts instruments those files with racelab/vite (as a user's config
// would instrument their src/); this file is the glue a user writes: fresh fakes per run, the concurrent calls,
// and what must hold.

type Shape = {
  /** The source file the shrunk trace must name. */
  readonly file: string;
  readonly failure: RegExp;
  readonly vulnerable: Workload;
  readonly fixes: Record<string, Workload>;
};

const settle = async (p: Promise<unknown>): Promise<boolean> => p.then(() => true, () => false);

const wallet = (name: string, make: Parameters<typeof walletWorkload>[1]): Workload => walletWorkload(`wallet-${name}`, make);

function cache(name: string, Cache: typeof PriceCache): Workload {
  return {
    name: `cache-${name}`,
    setup() {
      const db = new InMemoryProducts({ sku1: 10 });
      const prices = new Cache(db);
      return {
        tasks: [
          ['reader', async () => void (await prices.price('sku1'))],
          ['writer', () => prices.updatePrice('sku1', 12)],
        ],
        invariant: async () => {
          const cached = prices.cached('sku1');
          const stored = await db.getPrice('sku1');
          return cached === undefined || cached === stored || `the cache keeps price ${cached} after the database has ${stored}`;
        },
      };
    },
  };
}

function bucket(name: string, Bucket: typeof TokenBucket): Workload {
  return {
    name: `bucket-${name}`,
    setup() {
      const limiter = new Bucket(new InMemoryKv(), 1);
      // The task ends at its await (this file is not instrumented: code of its own after an await would make the
      // run inconclusive); the invariant counts the calls allowed.
      const calls: Promise<boolean>[] = [];
      const call = async (): Promise<void> => {
        const allowed = limiter.allow('client-7');
        calls.push(allowed);
        await allowed;
      };
      return {
        tasks: [['c1', call], ['c2', call]],
        invariant: async () => {
          const allowed = (await Promise.all(calls)).filter(Boolean).length;
          return allowed <= 1 || `${allowed} calls allowed with a limit of 1`;
        },
      };
    },
  };
}

function payments(name: string, wrap: typeof idempotent): Workload {
  return {
    name: `idempotency-${name}`,
    setup() {
      const provider = new FakePayments();
      const pay = wrap(new InMemoryIdempotencyStore(), payHandler(provider));
      const req = { idempotencyKey: 'key-1', order: 'order-1', amount: 25 };
      return {
        tasks: [
          ['request', async () => void (await pay(req))],
          ['retry', async () => void (await pay(req))],
        ],
        invariant: () => provider.charges.length === 1 || `charged ${provider.charges.length} times for one idempotency key`,
      };
    },
  };
}

function lazy(name: string, Repo: typeof Repository): Workload {
  return {
    name: `lazy-${name}`,
    setup() {
      const driver = new FakeDriver();
      const repo = new Repo(driver);
      return {
        tasks: [
          ['q1', async () => void (await repo.findAll('users'))],
          ['q2', async () => void (await repo.findAll('orders'))],
        ],
        invariant: () => driver.opened === 1 || `${driver.opened} connections opened`,
      };
    },
  };
}

function order(name: string, Service: typeof OrderService): Workload {
  return {
    name: `order-${name}`,
    setup() {
      const stock = new InMemoryStock({ mug: 5 });
      const service = new Service(stock);
      // The task ends at its await on the call itself: a `.then` of this file's own on it (a `settle` helper) would
      // run glued to the step the call returned in (this file is not instrumented), and the run be inconclusive.
      let placing: Promise<void> = Promise.reject(new Error('the order task never ran'));
      placing.catch(() => undefined);
      return {
        tasks: [['order', async () => void (await (placing = service.placeOrder([{ sku: 'mug', quantity: 1 }, { sku: 'mug', quantity: 2 }])))]],
        invariant: async () => ((await settle(placing)) && stock.left('mug') + service.reserved === 5) || `${service.reserved} mugs reserved, ${stock.left('mug')} left of 5`,
      };
    },
  };
}

function views(name: string, Views: typeof PageViews): Workload {
  return {
    name: `views-${name}`,
    setup() {
      const counters = new InMemoryCounters();
      const pages = new Views(counters);
      return {
        tasks: [
          ['v1', async () => void (await pages.view('home'))],
          ['v2', async () => void (await pages.view('home'))],
        ],
        invariant: async () => {
          const n = await counters.get('home');
          return n === 2 || `${n} views counted of 2`;
        },
      };
    },
  };
}

function hits(name: string, Store: typeof CallbackHits, defer: 'nextTick' | 'queueMicrotask'): Workload {
  return {
    name: `hits-${name}`,
    setup() {
      const store = new Store(defer);
      const service = new HitService(store);
      return {
        tasks: [
          ['h1', async () => void (await service.hit('home'))],
          ['h2', async () => void (await service.hit('home'))],
        ],
        invariant: () => store.count('home') === 2 || `${store.count('home')} hits counted of 2`,
      };
    },
  };
}

const shapes: Record<string, Shape> = {
  'check-then-act balance (double spend)': {
    file: 'wallet.ts',
    failure: /paid out 140 from 100/,
    vulnerable: wallet('check-then-act', (a) => new WalletService(a)),
    fixes: {
      'promise-chain per-key lock': wallet('keyed-lock', (a) => new LockedWalletService(a)),
      'async-mutex': wallet('mutex', (a) => new MutexWalletService(a)),
      'version check': wallet('version', (a) => new VersionedWalletService(a)),
      'atomic store operation': wallet('atomic', (a) => new AtomicWalletService(a)),
    },
  },
  'read-through cache (stale value kept after a write)': {
    file: 'cache.ts',
    failure: /the cache keeps price 10 after the database has 12/,
    vulnerable: cache('invalidate', PriceCache),
    fixes: { 'version check': cache('versioned', VersionedPriceCache) },
  },
  'token bucket (over the limit)': {
    file: 'rate-limit.ts',
    failure: /2 calls allowed with a limit of 1/,
    vulnerable: bucket('read-then-write', TokenBucket),
    fixes: { 'atomic store operation': bucket('atomic', AtomicTokenBucket) },
  },
  'idempotency-key middleware (charged twice)': {
    file: 'idempotency.ts',
    failure: /charged 2 times/,
    vulnerable: payments('check-then-charge', idempotent),
    fixes: { 'memoized promise per key': payments('in-flight', idempotentInFlight) },
  },
  'lazy initialisation (two connections)': {
    file: 'lazy-client.ts',
    failure: /2 connections opened/,
    vulnerable: lazy('if-not-client', Repository),
    fixes: { 'memoized promise': lazy('memoized', MemoizedRepository) },
  },
  'Promise.all inside one request (oversold)': {
    file: 'order.ts',
    failure: /mugs reserved/,
    vulnerable: order('promise-all', OrderService),
    fixes: { 'promise-chain per-key lock': order('keyed-lock', LockedOrderService) },
  },
  'callback API deferring with queueMicrotask, promisified (lost count)': {
    file: 'hit-counter.ts',
    failure: /1 hits counted of 2/,
    vulnerable: hits('microtask', CallbackHits, 'queueMicrotask'),
    fixes: { 'read and write in the deferred callback': hits('microtask-atomic', AtomicCallbackHits, 'queueMicrotask') },
  },
  'fire-and-forget write-back (lost count)': {
    file: 'page-views.ts',
    failure: /1 views counted of 2/,
    vulnerable: views('write-back', PageViews),
    fixes: { 'promise chain': views('chained', ChainedPageViews) },
  },
};

describe('unmodified user code: races found with the fakes as written', () => {
  for (const [name, shape] of Object.entries(shapes)) {
    it(`${name}: found; the shrunk trace names ${shape.file} lines; the token replays it`, async () => {
      const r = await explore(shape.vulnerable, { strategy: 'pct', runs: 500, seed: 7, ambient: true });
      expect(r.verdict).toBe('race-found');
      const f = r.firstFailure!;
      expect(f.message).toMatch(shape.failure);
      expect(f.shrunk.trace).toMatch(new RegExp(`${shape.file.replace('.', '\\.')}:\\d+ `));
      const again = await replay(shape.vulnerable, f.replayToken);
      expect(again.status).toBe('failed');
      expect(again.schedule.trace).toBe(f.shrunk.trace);
    });
  }
});

// process.nextTick as queueMicrotask above, apart from the shapes: with `ambient` forgotten or instrumentation off,
// the task's await of a real tick's callback is an escape (UNCONTROLLED_ASYNC), not a verdict, since the heartbeat's
// tick can come first.
describe('unmodified user code: a callback API deferring with process.nextTick, promisified', () => {
  it('the lost count is found with a step for each deferred callback, and the fix is proved', async () => {
    const r = await explore(hits('next-tick', CallbackHits, 'nextTick'), { strategy: 'pct', runs: 500, seed: 7, ambient: true });
    expect(r.verdict).toBe('race-found');
    expect(r.firstFailure?.message).toMatch(/1 hits counted of 2/);
    expect(r.firstFailure?.shrunk.trace).toMatch(/h\d process\.nextTick fires/);
    const fixed = await explore(hits('next-tick-atomic', AtomicCallbackHits, 'nextTick'), { strategy: 'dfs', seed: 1, ambient: true });
    expect(fixed.inconclusive).toBeUndefined();
    expect(fixed.verdict).toBe('proved');
    // Instrumentation off, the tick is real: never a proof (the task's wait on it is an escape, or the run is inconclusive).
    const off = await explore(hits('next-tick-atomic', AtomicCallbackHits, 'nextTick'), { strategy: 'dfs', seed: 1, ambient: true, instrumentation: false }).then(
      (r) => r.verdict,
      (e: { code?: string }) => e.code,
    );
    expect(['inconclusive', 'UNCONTROLLED_ASYNC']).toContain(off);
  });
});

describe('unmodified user code: the trace reads like the code', () => {
  it('each response names the call by the values it was made with, and what it returned', async () => {
    const r = await explore(shapes['check-then-act balance (double spend)']!.vulnerable, { strategy: 'dfs', seed: 1, ambient: true });
    const trace = r.firstFailure!.shrunk.trace;
    // Both withdrawals read 100, both save 30: the double spend, in the values themselves. The task functions
    // (test/helpers/wallet-workload.ts, instrumented as they run code after their await) make their calls first.
    expect(trace).toMatch(/^w\d wallet-workload\.ts:\d+ service\.withdraw\('acc1', 70\) \. /);
    expect(trace.match(/w\d wallet\.ts:\d+ findById\("acc1"\) -> \{id:"acc1",balance:100,version:0\}/g)).toHaveLength(2);
    expect(trace.indexOf('balance:30')).toBeGreaterThan(trace.lastIndexOf('balance:100'));
    expect(trace.match(/wallet\.ts:\d+ save\(\{id:"acc1",balance:30,version:0\}\)/g)).toHaveLength(2);
  });
});

describe('unmodified user code: the usual fixes proved by dfs, with no escape', () => {
  for (const [name, shape] of Object.entries(shapes)) {
    for (const [fix, workload] of Object.entries(shape.fixes)) {
      it(`${name}, fixed with ${fix}: no failing schedule exists`, async () => {
        const r = await explore(workload, { strategy: 'dfs', runs: 200_000, seed: 1, ambient: true });
        expect(r.firstFailure?.message).toBeUndefined();
        expect(r.inconclusive).toBeUndefined();
        expect(r.verdict).toBe('proved');
        // Every fix has a choice to explore: at least where the second request starts (a start is a step).
        expect(r.dfs?.schedulesExplored).toBeGreaterThan(1);
        console.info(`${workload.name}: proved by dfs over ${r.dfs?.schedulesExplored} schedules in ${Math.round(r.elapsedMs)} ms`);
        // The promise-chain lock's tree is about 190,000 schedules (every await is two steps, and partial-order
        // reduction cannot tell what an await touches): about a minute alone, twice that beside other files.
      }, 300_000);
    }
  }
});

describe('unmodified user code: never a false proof', () => {
  for (const [name, shape] of Object.entries(shapes)) {
    // Uninstrumented, a race that shows in the one order the code runs in is still found (a real failing run);
    // anything else is inconclusive. Never a proof.
    it(`${name}: with instrumentation off, never a proof: the fixes are inconclusive`, async () => {
      const bad = await explore(shape.vulnerable, { strategy: 'dfs', seed: 1, ambient: true, instrumentation: false });
      expect(['inconclusive', 'race-found']).toContain(bad.verdict);
      for (const workload of Object.values(shape.fixes)) {
        const r = await explore(workload, { strategy: 'dfs', seed: 1, ambient: true, instrumentation: false });
        expect(r.verdict).toBe('inconclusive');
        expect(r.inconclusive?.first).toContain('reached no scheduling point');
      }
    });

    it(`${name}: with ambient forgotten, never a proof`, async () => {
      for (const workload of [shape.vulnerable, ...Object.values(shape.fixes)]) {
        const r = await explore(workload, { strategy: 'dfs', seed: 1 });
        if (r.verdict === 'race-found') continue;
        expect(r.verdict).toBe('inconclusive');
        expect(r.inconclusive?.first).toContain('ambient: true');
      }
    });
  }

  it('a token names the option it was made with when replayed under another', async () => {
    const r = await explore(shapes['lazy initialisation (two connections)']!.vulnerable, { strategy: 'pct', runs: 500, seed: 7, ambient: true });
    const token = r.firstFailure!.replayToken;
    expect(token).toMatch(/^rl2\/lazy-if-not-client\/-\/pct\/ambient\//);
    await expect(replay(shapes['lazy initialisation (two connections)']!.vulnerable, token, { ambient: false })).rejects.toThrow(
      /made with ambient: true, but this replay has ambient: false/,
    );
    await expect(replay(shapes['lazy initialisation (two connections)']!.vulnerable, token, { instrumentation: false })).rejects.toThrow(/instrumentation/);
  });
});
