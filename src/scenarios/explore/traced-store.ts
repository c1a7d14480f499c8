import type { Store, StoreTransaction } from '../../store/store.js';

/**
 * A Store that adds what each operation returned to the explorer's trace (`get counter->0`), so a failing
 * trace shows the stale read that caused it. It only observes: every call goes to the wrapped store unchanged,
 * with the same scheduling point.
 */
export function tracedStore(store: Store, note: (text: string) => void): Store {
  const tracedTx = (tx: StoreTransaction): StoreTransaction => ({
    get: async (key) => {
      const value = await tx.get(key);
      note(`->${value}`);
      return value;
    },
    set: (key, value) => tx.set(key, value),
  });
  return {
    kind: store.kind,
    description: store.description,
    get: async (key) => {
      const value = await store.get(key);
      note(`->${value}`);
      return value;
    },
    set: (key, value) => store.set(key, value),
    read: async (key) => {
      const cell = await store.read(key);
      note(`->${cell.value}@v${cell.version}`);
      return cell;
    },
    compareAndSet: async (key, expectedVersion, value) => {
      const ok = await store.compareAndSet(key, expectedVersion, value);
      note(ok ? '->ok' : '->stale');
      return ok;
    },
    increment: async (key, by) => {
      const value = await store.increment(key, by);
      note(`->${value}`);
      return value;
    },
    transaction: (fn) => store.transaction((tx) => fn(tracedTx(tx))),
    reset: () => store.reset(),
    close: () => store.close(),
  };
}
