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
  const online = monitor.online;
  const current = request === undefined ? () => monitor.current() : () => request;
  return {
    kind: store.kind,
    description: store.description,
    async get(key: string): Promise<number> {
      const cell = await store.read(key);
      monitor.read(key, cell.version, current());
      if (key === online?.key) online.read(current(), cell.value, cell.version, nowMicros());
      return cell.value;
    },
    async read(key: string): Promise<Versioned> {
      const cell = await store.read(key);
      monitor.read(key, cell.version, current());
      if (key === online?.key) online.read(current(), cell.value, cell.version, nowMicros());
      return cell;
    },
    async set(key: string, value: number): Promise<void> {
      await store.set(key, value);
      monitor.write(key, undefined, current());
      if (key === online?.key) online.write(current(), value, 'last-read', nowMicros());
    },
    async compareAndSet(key: string, expectedVersion: number, value: number): Promise<boolean> {
      const ok = await store.compareAndSet(key, expectedVersion, value);
      if (ok) {
        // Normally the request read that version just before; say so only if it did not (a blind CAS).
        if (current()?.reads.get(key)?.version !== expectedVersion) monitor.read(key, expectedVersion, current());
        monitor.write(key, undefined, current());
        if (key === online?.key) online.write(current(), value, { version: expectedVersion }, nowMicros());
      }
      return ok;
    },
    async increment(key: string, by?: number): Promise<number> {
      const value = await store.increment(key, by);
      monitor.write(key, undefined, current());
      if (key === online?.key) online.write(current(), value, { value: value - (by ?? 1) }, nowMicros());
      return value;
    },
    transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
      return store.transaction(fn);
    },
    reset: () => store.reset(),
    close: () => store.close(),
  };
}
