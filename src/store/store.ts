/**
 * The Store port: the shared state behind every scenario. Values are integers (counters, balances, stock,
 * flags); a missing key reads as 0 with version 0. Adapters: memory (the embedded default), PostgreSQL and
 * Redis. Every operation is a scheduling point, so the explorer can interleave tasks at each one.
 */
export interface Versioned {
  readonly value: number;
  /** Bumped by every write; compare-and-set checks it. */
  readonly version: number;
}

export interface StoreTransaction {
  get(key: string): Promise<number>;
  set(key: string, value: number): Promise<void>;
}

export interface Store {
  /** `memory`, `postgres` or `redis`. */
  readonly kind: string;
  /** A description safe to print (no password). */
  readonly description: string;
  get(key: string): Promise<number>;
  set(key: string, value: number): Promise<void>;
  read(key: string): Promise<Versioned>;
  /** Writes `value` only if the key is still at `expectedVersion`; says whether it did. */
  compareAndSet(key: string, expectedVersion: number, value: number): Promise<boolean>;
  /** Atomic add; returns the new value. */
  increment(key: string, by?: number): Promise<number>;
  /** Runs `fn` as one serializable transaction. */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  /** Removes every key this store holds for racelab (between runs). */
  reset(): Promise<void>;
  close(): Promise<void>;
  /**
   * One of this store's failures said as what fixes it, when the store can tell (a Redis right removed in the
   * middle of a run: the `ACL SETUSER` rule that gives it back); otherwise the failure as it was.
   */
  explainFailure?(e: unknown): Promise<unknown>;
}

/** A store on a server shared by runs (PostgreSQL, Redis), whose namespaces can be listed and removed. */
export interface NamespacedStore extends Store {
  readonly namespace: string;
  listNamespaces(): Promise<string[]>;
  /** Removes every key of the namespace; returns how many there were. */
  removeNamespace(namespace: string): Promise<number>;
}

export function isNamespacedStore(store: Store): store is NamespacedStore {
  return typeof (store as Partial<NamespacedStore>).listNamespaces === 'function';
}
