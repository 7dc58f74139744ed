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
  type PartUpload,
  type PutOptions,
  MIN_PART_BYTES,
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
  /** Number of upcoming part uploads that fail with VTL_STORE_UNAVAILABLE. */
  failParts = 0;
  /** Counts of calls, for tests that assert request economy. */
  readonly calls = { put: 0, get: 0, head: 0, list: 0, delete: 0, beginUpload: 0, part: 0, complete: 0, abort: 0 };

  /** Uploads in parts: parts are read from the file when sent, as S3 would; complete() is create-only like S3's with If-None-Match. */
  async beginUpload(key: string): Promise<PartUpload> {
    assertValidKey(key);
    this.calls.beginUpload++;
    const parts = new Map<number, Buffer>();
    let done = false;
    return {
      key,
      part: async (n, body) => {
        this.calls.part++;
        if (done) throw new StoreError(StoreErrorCode.NOT_FOUND, `no such upload: ${key}`, { key });
        if (this.failParts > 0) {
          this.failParts--;
          throw new StoreError(StoreErrorCode.UNAVAILABLE, `injected failure: part ${n} of ${key}`, { key });
        }
        parts.set(n, await readBody(body));
      },
      complete: async (count, size, options) => {
        this.calls.complete++;
        if (done) throw new StoreError(StoreErrorCode.NOT_FOUND, `no such upload: ${key}`, { key });
        const bodies: Buffer[] = [];
        for (let n = 1; n <= count; n++) {
          const b = parts.get(n);
          if (b === undefined) throw new RangeError(`${key}: part ${n} of ${count} was never uploaded`);
          if (n < count && b.length < MIN_PART_BYTES) throw new StoreError(StoreErrorCode.UNAVAILABLE, `${key}: part ${n} is ${b.length} bytes, under the ${MIN_PART_BYTES} minimum`, { key });
          bodies.push(b);
        }
        const whole = Buffer.concat(bodies);
        if (whole.length !== size) throw new RangeError(`${key}: parts hold ${whole.length} bytes, expected ${size}`);
        done = true;
        return this.#store(key, whole, { ifNoneMatch: '*', ...(options?.lock !== undefined && { lock: options.lock }) });
      },
      abort: async () => {
        this.calls.abort++;
        done = true;
        parts.clear();
      },
    };
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo> {
    assertValidKey(key);
    this.calls.put++;
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `injected failure: put ${key}`, { key });
    }
    return this.#store(key, Buffer.isBuffer(body) ? copyOf(body) : await readBody(body), options);
  }

  #store(key: string, bytes: Buffer, options?: PutOptions): ObjectInfo {
    const lock = options?.lock;
    if (lock !== undefined && !this.#lockable) throw new StoreError(StoreErrorCode.UNAVAILABLE, `memory store cannot lock objects (put ${key} asked for ${lock.mode} Object Lock)`, { key });
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
