// An ObjectStore that counts the requests it passes on, by S3 request type.
// A delete of n keys is ceil(n / 1000) requests (S3 DeleteObjects takes 1000
// keys); a part upload is one UploadPart and its completion one PUT.
import type { ByteRange, GetOptions, ListOptions, ObjectBody, ObjectInfo, ObjectPage, ObjectStore, PutOptions } from '../tapes/object-store.ts';

export type RequestType = 'LIST' | 'GET' | 'HEAD' | 'PUT' | 'DELETE';
export const REQUEST_TYPES: readonly RequestType[] = ['LIST', 'GET', 'HEAD', 'PUT', 'DELETE'];

export class CountingStore implements ObjectStore {
  readonly kind: string;
  readonly #inner: ObjectStore;
  #counts: Record<RequestType, number> = { LIST: 0, GET: 0, HEAD: 0, PUT: 0, DELETE: 0 };
  /** Prefixes of every LIST request, to show what was listed. */
  readonly listed: string[] = [];

  constructor(inner: ObjectStore) {
    this.#inner = inner;
    this.kind = inner.kind;
  }

  /** The counts so far, and reset to zero. */
  take(): Record<RequestType, number> {
    const c = this.#counts;
    this.#counts = { LIST: 0, GET: 0, HEAD: 0, PUT: 0, DELETE: 0 };
    this.listed.length = 0;
    return c;
  }

  put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo> {
    this.#counts.PUT++;
    return this.#inner.put(key, body, options);
  }
  get(key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    this.#counts.GET++;
    return this.#inner.get(key, range, options);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    this.#counts.HEAD++;
    return this.#inner.head(key);
  }
  list(prefix: string, options?: ListOptions): Promise<ObjectPage> {
    this.#counts.LIST++;
    this.listed.push(prefix);
    return this.#inner.list(prefix, options);
  }
  delete(keys: readonly string[]): Promise<void> {
    this.#counts.DELETE += Math.ceil(keys.length / 1000);
    return this.#inner.delete(keys);
  }
}

export const formatCounts = (c: Record<RequestType, number>): string => REQUEST_TYPES.map((t) => `${t} ${c[t]}`).join(', ');
