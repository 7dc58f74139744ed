// A Map-backed ObjectStore for unit tests. Bodies are copied in and out so a
// caller mutating a buffer cannot change a stored object. `faults` lets a
// test make the next operations fail (uploader retry tests).
//
// Object Lock: refused (the put fails, nothing is stored) unless the store is
// built with `objectLock: true`, which records each put's lock in `locks`
// (kept after a delete, as a locked S3 version outlives a delete marker) so
// tests can check what the tapes layer asked for.

import { open } from 'node:fs/promises';
import { StoreError, StoreErrorCode } from '../errors.ts';
import {
  assertValidKey,
  assertValidPrefix,
  clipRange,
  type ByteRange,
  type GetOptions,
  type ListOptions,
  type ObjectBody,
  type ObjectInfo,
  type ObjectLock,
  type ObjectPage,
  type ObjectStore,
  type PutOptions,
} from '../object-store.ts';

interface Stored {
  readonly body: Buffer;
  readonly info: ObjectInfo;
}

export class MemoryObjectStore implements ObjectStore {
  readonly kind = 'memory';
  readonly #objects = new Map<string, Stored>();
  readonly #lockable: boolean;
  #counter = 0;
  /** With `objectLock`: the lock of every locked put, by key, in put order per key. */
  readonly locks = new Map<string, ObjectLock[]>();

  constructor(options: { readonly objectLock?: boolean } = {}) {
    this.#lockable = options.objectLock === true;
  }

  /** Number of upcoming put() calls that fail with VTL_STORE_UNAVAILABLE. */
  failPuts = 0;
  /** Counts of calls, for tests that assert request economy. */
  readonly calls = { put: 0, get: 0, head: 0, list: 0, delete: 0 };

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo> {
    assertValidKey(key);
    this.calls.put++;
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `injected failure: put ${key}`, { key });
    }
    const lock = options?.lock;
    if (lock !== undefined && !this.#lockable) throw new StoreError(StoreErrorCode.UNAVAILABLE, `memory store cannot lock objects (put ${key} asked for ${lock.mode} Object Lock)`, { key });
    const bytes = Buffer.isBuffer(body) ? copyOf(body) : await readBody(body);
    if (options?.ifNoneMatch === '*' && this.#objects.has(key)) {
      throw new StoreError(StoreErrorCode.EXISTS, `object exists: ${key}`, { key });
    }
    if (lock !== undefined) this.locks.set(key, [...(this.locks.get(key) ?? []), { ...lock }]);
    const info: ObjectInfo = { key, size: bytes.length, etag: `m${++this.#counter}`, lastModified: new Date() };
    this.#objects.set(key, { body: bytes, info });
    return info;
  }

  async get(key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    assertValidKey(key);
    this.calls.get++;
    const o = this.#objects.get(key);
    if (o === undefined) throw new StoreError(StoreErrorCode.NOT_FOUND, `no such object: ${key}`, { key });
    const { start, end } = clipRange(o.body.length, range);
    const into = options?.into;
    if (into !== undefined && into.length >= end - start) {
      o.body.copy(into, 0, start, end);
      return into.subarray(0, end - start);
    }
    return copyOf(o.body.subarray(start, end));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    this.calls.head++;
    return this.#objects.get(key)?.info;
  }

  async list(prefix: string, options?: ListOptions): Promise<ObjectPage> {
    assertValidPrefix(prefix);
    this.calls.list++;
    const limit = Math.max(1, options?.limit ?? 1000);
    const after = options?.startAfter ?? '';
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, limit);
    const objects = page.map((k) => this.#objects.get(k)!.info);
    const last = page[page.length - 1];
    return keys.length > limit && last !== undefined ? { objects, next: last } : { objects };
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.calls.delete++;
    for (const key of keys) {
      assertValidKey(key);
      this.#objects.delete(key);
    }
  }

  /** Test hook: replace an object's bytes in place (bit-rot simulation). */
  corrupt(key: string, mutate: (body: Buffer) => void): void {
    const o = this.#objects.get(key);
    if (o === undefined) throw new Error(`no such object: ${key}`);
    mutate(o.body);
  }

  keys(): string[] {
    return [...this.#objects.keys()].sort();
  }
}

async function readBody(body: { path: string; offset?: number; length?: number }): Promise<Buffer> {
  const fh = await open(body.path, 'r');
  try {
    const start = body.offset ?? 0;
    const length = body.length ?? (await fh.stat()).size - start;
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(out, done, length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return out.subarray(0, done);
  } finally {
    await fh.close();
  }
}

function copyOf(b: Buffer): Buffer {
  const c = Buffer.allocUnsafe(b.length);
  b.copy(c);
  return c;
}
