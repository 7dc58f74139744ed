import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';
import { objectStoreContract } from './object-store-contract.ts';

objectStoreContract('memory', async () => ({ store: new MemoryObjectStore() }), { parts: true });
