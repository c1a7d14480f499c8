import { Mutex } from '../sched/mutex.js';
import { currentScheduler, type Operation, type Scheduler } from '../sched/scheduler.js';
import type { Store, StoreTransaction, Versioned } from './store.js';

/**
 * The embedded default: a Map in this process. Each operation is one scheduling point followed by an
 * action that runs to completion, so every operation is atomic by itself and races come only from the
 * gaps between operations, exactly as with a real database.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly description = 'memory (in this process)';
  private readonly data = new Map<string, Versioned>();
  private readonly txLock: Mutex;

  constructor(private readonly scheduler?: Scheduler) {
    this.txLock = new Mutex('store.transaction', scheduler);
  }

  private async at(op: Operation): Promise<void> {
    const p = (this.scheduler ?? currentScheduler()).point(op);
    if (p) await p;
  }

  private cell(key: string): Versioned {
    return this.data.get(key) ?? { value: 0, version: 0 };
  }

  private write(key: string, value: number): void {
    this.data.set(key, { value, version: this.cell(key).version + 1 });
  }

  async get(key: string): Promise<number> {
    await this.at({ kind: 'read', object: key, label: `get ${key}` });
    return this.cell(key).value;
  }

  async read(key: string): Promise<Versioned> {
    await this.at({ kind: 'read', object: key, label: `read ${key}` });
    return this.cell(key);
  }

  async set(key: string, value: number): Promise<void> {
    await this.at({ kind: 'write', object: key, label: `set ${key}=${value}` });
    this.write(key, value);
  }

  async compareAndSet(key: string, expectedVersion: number, value: number): Promise<boolean> {
    await this.at({ kind: 'update', object: key, label: `cas ${key}@${expectedVersion}=${value}` });
    if (this.cell(key).version !== expectedVersion) return false;
    this.write(key, value);
    return true;
  }

  async increment(key: string, by = 1): Promise<number> {
    await this.at({ kind: 'update', object: key, label: `incr ${key}` });
    const value = this.cell(key).value + by;
    this.write(key, value);
    return value;
  }

  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    // One transaction at a time: trivially serializable. Writes are buffered and applied on commit, so a
    // transaction that throws leaves nothing behind.
    return this.txLock.runExclusive(async () => {
      const writes = new Map<string, number>();
      const tx: StoreTransaction = {
        get: async (key) => (writes.has(key) ? (writes.get(key) as number) : this.get(key)),
        set: async (key, value) => {
          writes.set(key, value);
        },
      };
      const result = await fn(tx);
      for (const [key, value] of writes) await this.set(key, value);
      return result;
    });
  }

  async reset(): Promise<void> {
    this.data.clear();
  }

  async close(): Promise<void> {}
}
