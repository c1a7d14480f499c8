import { describe, expect, it } from 'vitest';
import { MemoryStore, type Store } from '../../src/store/index.js';
import { tracedStore } from '../../src/workloads/index.js';
import { storeContract } from './store-contract.js';

storeContract('MemoryStore', 'memory', async () => new MemoryStore());

/** Every operation whose result a trace shows, in one fixed sequence. */
async function operations(store: Store): Promise<void> {
  await store.get('k');
  await store.set('k', 4);
  await store.read('k');
  await store.compareAndSet('k', 0, 9);
  await store.compareAndSet('k', 1, 5);
  await store.increment('k');
  await store.transaction(async (tx) => tx.set('k', (await tx.get('k')) + 1));
}

describe('what a store notes for the explorer trace', () => {
  it('MemoryStore notes what each operation returned', async () => {
    const notes: string[] = [];
    await operations(new MemoryStore(undefined, { note: (text) => notes.push(text) }));
    expect(notes).toEqual(['->0', '->4@v1', '->stale', '->ok', '->6', '->6']);
  });

  it('tracedStore notes the same over any store', async () => {
    const notes: string[] = [];
    await operations(tracedStore(new MemoryStore(), (text) => notes.push(text)));
    expect(notes).toEqual(['->0', '->4@v1', '->stale', '->ok', '->6', '->6']);
  });
});
