import { afterAll, describe, expect, it } from 'vitest';
import { isRacelabError } from '../../src/core/index.js';
import { openStore, type Store } from '../../src/store/index.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What every Store adapter promises, run against each one (memory, PostgreSQL, Redis). `open(namespace)`
 * returns an empty store; two namespaces must not see each other's keys.
 */
export function storeContract(name: string, kind: string, open: (namespace: string) => Promise<Store>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip ?? false)(`${name}: the Store port`, () => {
    it('missing keys read 0, every write bumps the version, CAS checks it', async () => {
      const s = await open('port');
      expect(s.kind).toBe(kind);
      expect(await s.get('a')).toBe(0);
      expect(await s.read('a')).toEqual({ value: 0, version: 0 });
      await s.set('a', 5);
      expect(await s.read('a')).toEqual({ value: 5, version: 1 });
      expect(await s.compareAndSet('a', 1, 7)).toBe(true);
      expect(await s.compareAndSet('a', 1, 9)).toBe(false);
      expect(await s.read('a')).toEqual({ value: 7, version: 2 });
      expect(await s.compareAndSet('fresh', 0, 3)).toBe(true);
      expect(await s.compareAndSet('fresh', 0, 4)).toBe(false);
      expect(await s.increment('a')).toBe(8);
      expect(await s.increment('b', 3)).toBe(3);
      expect(await s.read('b')).toEqual({ value: 3, version: 1 });
    });

    it('keeps namespaces apart: reset clears only its own', async () => {
      const a = await open('ns-a');
      const b = await open('ns-b');
      await a.set('k', 1);
      await b.set('k', 2);
      await a.reset();
      expect(await a.get('k')).toBe(0);
      expect(await b.get('k')).toBe(2);
    });

    it('increment is atomic across concurrent callers and first writers', async () => {
      const s = await open('incr');
      await Promise.all(Array.from({ length: 40 }, () => s.increment('n')));
      expect(await s.get('n')).toBe(40);
    });

    it('a transaction that throws leaves nothing behind', async () => {
      const s = await open('rollback');
      await s.set('k', 1);
      await expect(
        s.transaction(async (tx) => {
          await tx.set('k', 99);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await s.get('k')).toBe(1);
    });

    it('overlapping read-wait-write transactions lose no update', async () => {
      const s = await open('txn');
      const rmw = () =>
        s.transaction(async (tx) => {
          const v = await tx.get('k');
          await pause(30);
          await tx.set('k', v + 1);
        });
      await Promise.all([rmw(), rmw(), rmw()]);
      expect(await s.get('k')).toBe(3);
    });
  });
}

/** `base` with query parameters set (`namespace`, `table`, …). */
export function urlWith(base: string, params: Record<string, string>): string {
  const u = new URL(base);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

/**
 * Opens stores of one real server, each in a namespace of its own for this test file (pid and time in the
 * name, so concurrent runs never share keys), emptied on open and cleaned up after the file.
 */
export function namespacedStores<T extends Store>(baseUrl: string): { suffix: string; open: (namespace: string) => Promise<T> } {
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const opened: Store[] = [];
  afterAll(async () => {
    for (const s of opened) {
      await s.reset().catch(() => undefined);
      await s.close();
    }
  });
  return {
    suffix,
    async open(namespace) {
      const store = (await openStore(urlWith(baseUrl, { namespace: `test-${namespace}-${suffix}` }))) as T;
      opened.push(store);
      await store.reset();
      return store;
    },
  };
}

/**
 * Each URL fails to open with a RacelabError of the given code and message, on one line, and never shows the
 * password `hunter2` that the failing URLs carry.
 */
export async function expectOpenFailures(cases: ReadonlyArray<readonly [url: string, code: string, message: RegExp]>): Promise<void> {
  for (const [url, code, message] of cases) {
    const e: unknown = await openStore(url).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isRacelabError(e), url).toBe(true);
    if (!isRacelabError(e)) continue;
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('hunter2');
    expect(e.message).not.toContain('\n');
  }
}
