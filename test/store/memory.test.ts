import { MemoryStore } from '../../src/index.js';
import { storeContract } from './store-contract.js';

storeContract('MemoryStore', 'memory', async () => new MemoryStore());
