import type { Store, StoreTransaction, Versioned } from '../store/store.js';
import { nowMicros } from '../core/clock.js';
import type { MonitoredRequest, RaceMonitor } from './monitor.js';

/**
 * A Store that tells the monitor what the current request read and wrote. `get` reads through `read` so the
 * version is known (the same single statement on every adapter). A successful compare-and-set is a write based
 * on the version it expected; `increment` is a write based on no read (an atomic update cannot lose another).
 * A transaction is the store's own serializable unit: its reads and writes are not paired, since the store
 * already refuses the interleaving the signature looks for. With `request`, the store reports for that request
 * (one store per request: `monitoredStore(store, monitor, monitor.requestOf(call))`), not the current one.
 */
export function monitoredStore(store: Store, monitor: RaceMonitor, request?: MonitoredRequest): Store {
  return new MonitoredStore(store, monitor, request);
}

/*
 * A class, not an object of closures: a handler that names its request makes one of these per call, and on the
 * hot path (`npm run bench -- monitor`) one small object is what that should cost.
 */
class MonitoredStore implements Store {
  readonly kind: string;
  readonly description: string;

  constructor(
    private readonly store: Store,
    private readonly monitor: RaceMonitor,
    private readonly request: MonitoredRequest | undefined,
  ) {
    this.kind = store.kind;
    this.description = store.description;
  }

  private current(): MonitoredRequest | undefined {
    return this.request ?? this.monitor.current();
  }

  async get(key: string): Promise<number> {
    return (await this.read(key)).value;
  }

  async read(key: string): Promise<Versioned> {
    const cell = await this.store.read(key);
    const request = this.current();
    this.monitor.read(key, cell.version, request);
    const online = this.monitor.online;
    if (key === online?.key) online.read(request, cell.value, cell.version, nowMicros());
    return cell;
  }

  async set(key: string, value: number): Promise<void> {
    await this.store.set(key, value);
    const request = this.current();
    this.monitor.write(key, undefined, request);
    const online = this.monitor.online;
    if (key === online?.key) online.write(request, value, 'last-read', nowMicros());
  }

  async compareAndSet(key: string, expectedVersion: number, value: number): Promise<boolean> {
    const ok = await this.store.compareAndSet(key, expectedVersion, value);
    if (ok) {
      const request = this.current();
      // Normally the request read that version just before; say so only if it did not (a blind CAS).
      if (request?.reads.get(key)?.version !== expectedVersion) this.monitor.read(key, expectedVersion, request);
      this.monitor.write(key, undefined, request);
      const online = this.monitor.online;
      if (key === online?.key) online.write(request, value, { version: expectedVersion }, nowMicros());
    }
    return ok;
  }

  async increment(key: string, by?: number): Promise<number> {
    const value = await this.store.increment(key, by);
    const request = this.current();
    this.monitor.write(key, undefined, request);
    const online = this.monitor.online;
    if (key === online?.key) online.write(request, value, { value: value - (by ?? 1) }, nowMicros());
    return value;
  }

  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.store.transaction(fn);
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
