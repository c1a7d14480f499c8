import type { Store, StoreTransaction, Versioned } from '../store/store.js';

/**
 * A Store that adds what each operation returned to the explorer's trace (`get counter->0`), so a failing
 * trace shows the stale read that caused it. It only observes: every call goes to the wrapped store unchanged,
 * with the same scheduling point. (A class rather than a literal of closures: one is made per run.)
 */
class TracedStore implements Store {
  constructor(
    private readonly store: Store,
    private readonly note: (text: string) => void,
  ) {}

  get kind(): string {
    return this.store.kind;
  }

  get description(): string {
    return this.store.description;
  }

  async get(key: string): Promise<number> {
    const value = await this.store.get(key);
    this.note(`->${value}`);
    return value;
  }

  set(key: string, value: number): Promise<void> {
    return this.store.set(key, value);
  }

  async read(key: string): Promise<Versioned> {
    const cell = await this.store.read(key);
    this.note(`->${cell.value}@v${cell.version}`);
    return cell;
  }

  async compareAndSet(key: string, expectedVersion: number, value: number): Promise<boolean> {
    const ok = await this.store.compareAndSet(key, expectedVersion, value);
    this.note(ok ? '->ok' : '->stale');
    return ok;
  }

  async increment(key: string, by?: number): Promise<number> {
    const value = await this.store.increment(key, by);
    this.note(`->${value}`);
    return value;
  }

  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.store.transaction((tx) =>
      fn({
        get: async (key) => {
          const value = await tx.get(key);
          this.note(`->${value}`);
          return value;
        },
        set: (key, value) => tx.set(key, value),
      }),
    );
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export function tracedStore(store: Store, note: (text: string) => void): Store {
  return new TracedStore(store, note);
}
