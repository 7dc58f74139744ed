// An ObjectStore over MemoryObjectStore that can be taken down (every call
// fails with the retryable VTL_STORE_UNAVAILABLE, as an unreachable S3 does)
// or made to fail its next N puts, for upload-buffer and outage tests.

import { StoreError, StoreErrorCode } from '../../tapes/errors.ts';
import type { ByteRange, GetOptions, ListOptions, ObjectBody, ObjectInfo, ObjectPage, ObjectStore, PutOptions } from '../../tapes/object-store.ts';
import { MemoryObjectStore } from '../../tapes/stores/memory-store.ts';

export class OutageStore implements ObjectStore {
  readonly kind = 'outage';
  readonly inner = new MemoryObjectStore();
  /** While true every call fails. */
  down = false;
  /** Upcoming puts that fail (then they work again). */
  failPuts = 0;
  /** Upcoming manifest puts that fail (segment puts are not affected). */
  failManifestPuts = 0;
  /** Upcoming puts that store the object and then fail anyway (the response lost in an outage). */
  loseResponses = 0;
  /** Puts refused so far (down or failPuts). */
  refused = 0;

  #check(op: string, key: string): void {
    if (this.down) {
      this.refused += op === 'put' ? 1 : 0;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `store down: ${op} ${key}`, { key });
    }
    if (op === 'put' && this.failManifestPuts > 0 && key.includes('/manifest/')) {
      this.failManifestPuts--;
      this.refused++;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `injected failure: put ${key}`, { key });
    }
    if (op === 'put' && this.failPuts > 0) {
      this.failPuts--;
      this.refused++;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `injected failure: put ${key}`, { key });
    }
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo> {
    this.#check('put', key);
    const info = await this.inner.put(key, body, options);
    if (this.loseResponses > 0) {
      this.loseResponses--;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `injected lost response: put ${key}`, { key });
    }
    return info;
  }

  async get(key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    this.#check('get', key);
    return this.inner.get(key, range, options);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.#check('head', key);
    return this.inner.head(key);
  }

  async list(prefix: string, options?: ListOptions): Promise<ObjectPage> {
    this.#check('list', prefix);
    return this.inner.list(prefix, options);
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.#check('delete', keys[0] ?? '');
    return this.inner.delete(keys);
  }

  /** Keys of segment objects in the store. */
  segments(): string[] {
    return this.inner.keys().filter((k) => k.endsWith('.seg'));
  }
}
