export type { Store, StoreTransaction, Versioned } from './store.js';
export { MemoryStore } from './memory.js';
export { openStore, storeKind, type OpenStoreOptions } from './open.js';
export { maskStoreUrl, parseStoreUrl, DEFAULT_NAMESPACE, type StoreUrl } from './store-url.js';
// Types only: the adapters (and `pg` / `ioredis`) load when openStore meets their URL.
export type { PostgresStore, PgTransaction, PgSession, PgTransactionOptions, PgIsolation } from './postgres.js';
export type { RedisStore, RedisLock, AcquireLockOptions, RedisTransactionOptions } from './redis.js';
