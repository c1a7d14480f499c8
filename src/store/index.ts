export type { Store, StoreTransaction, Versioned } from './store.js';
export { MemoryStore } from './memory.js';
export { openStore } from './open.js';
