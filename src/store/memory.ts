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
  /** Made by the first transaction: most stores (one per explored run) never use one. */
  private txLock: Mutex | undefined;
  private readonly note: ((text: string) => void) | undefined;

  /**
   * `note`, when given, hears what each operation returned, as the explorer's traces show it (`->0`, `->ok`,
   * `->3@v2`): pass the explorer's `ctx.note` and a failing trace reads `c1 get counter->0 . c2 get counter->0 …`.
   * (tracedStore does the same for any Store, at the cost of one more async call per operation.) `initial` holds
   * keys that exist before the first operation.
   */
  constructor(
    private readonly scheduler?: Scheduler,
    options?: { readonly note?: (text: string) => void; readonly initial?: Readonly<Record<string, number>> },
  ) {
    this.note = options?.note;
    // Opening state (a bank's opening balances) as if written once before the run: no scheduling points, no steps.
    for (const [key, value] of Object.entries(options?.initial ?? {})) this.data.set(key, { value, version: 1 });
  }

  /**
   * The operation's scheduling point: undefined when it is free, else the promise to await. Each method awaits it
   * itself (rather than through an async helper) so that an operation costs one async frame, not two: under the
   * explorer every operation is a step, and this is the hot path.
   */
  private at(kind: Operation['kind'], verb: string, key: string, first?: number, second?: number): void | Promise<void> {
    return (this.scheduler ?? currentScheduler()).point(new StoreOperation(kind, verb, key, first, second));
  }

  private cell(key: string): Versioned {
    return this.data.get(key) ?? { value: 0, version: 0 };
  }

  private write(key: string, value: number): void {
    this.data.set(key, { value, version: (this.data.get(key)?.version ?? 0) + 1 });
  }

  async get(key: string): Promise<number> {
    const p = this.at('read', 'get', key);
    if (p) await p;
    const value = this.data.get(key)?.value ?? 0;
    if (this.note) this.note(`->${value}`);
    return value;
  }

  async read(key: string): Promise<Versioned> {
    const p = this.at('read', 'read', key);
    if (p) await p;
    const cell = this.cell(key);
    if (this.note) this.note(`->${cell.value}@v${cell.version}`);
    return cell;
  }

  async set(key: string, value: number): Promise<void> {
    const p = this.at('write', 'set', key, value);
    if (p) await p;
    this.write(key, value);
  }

  async compareAndSet(key: string, expectedVersion: number, value: number): Promise<boolean> {
    const p = this.at('update', 'cas', key, expectedVersion, value);
    if (p) await p;
    const ok = (this.data.get(key)?.version ?? 0) === expectedVersion;
    if (ok) this.write(key, value);
    if (this.note) this.note(ok ? '->ok' : '->stale');
    return ok;
  }

  async increment(key: string, by = 1): Promise<number> {
    const p = this.at('update', 'incr', key);
    if (p) await p;
    const value = this.cell(key).value + by;
    this.write(key, value);
    if (this.note) this.note(`->${value}`);
    return value;
  }

  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    // One transaction at a time: trivially serializable. Writes are buffered and applied on commit, so a
    // transaction that throws leaves nothing behind.
    return (this.txLock ??= new Mutex('store.transaction', this.scheduler)).runExclusive(async () => {
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

/**
 * A store operation as its scheduling point sees it. The label (`set counter=1`) is formatted only when something
 * reads it (a trace, an error message): the explorer runs thousands of operations per failing trace it prints.
 */
class StoreOperation implements Operation {
  constructor(
    readonly kind: Operation['kind'],
    private readonly verb: string,
    readonly object: string,
    private readonly first?: number,
    private readonly second?: number,
  ) {}

  get label(): string {
    const { verb, object: key, first, second } = this;
    if (verb === 'cas') return `cas ${key}@${first}=${second}`;
    return first === undefined ? `${verb} ${key}` : `${verb} ${key}=${first}`;
  }

  toJSON(): Operation {
    return { kind: this.kind, object: this.object, label: this.label };
  }
}
