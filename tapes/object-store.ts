// ObjectStore: the one storage interface the tapes layer (and later CDP) needs,
// declared where it is consumed. Modelled on Litestream's ReplicaClient: few
// verbs, each documented with its failure modes; one shared key scheme
// (tapes/keys.ts) so every backend lays objects out the same way.
//
// Keys are '/'-separated segments of [A-Za-z0-9._-], no segment empty or
// starting with '.', at most 1024 bytes: safe as S3 keys and as relative paths.

import { StoreError, StoreErrorCode } from './errors.ts';

export interface ObjectInfo {
  readonly key: string;
  /** Bytes. */
  readonly size: number;
  /** Opaque entity tag (S3 ETag, or a hash/mtime token for other stores). */
  readonly etag?: string;
  readonly lastModified?: Date;
}

/** A byte range: `length` bytes from `offset`. A range past the end is clipped. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * An object body: bytes in memory, or (part of) a local file streamed from
 * disk so a staging segment is never held in memory.
 */
export type ObjectBody =
  | Buffer
  | {
      readonly path: string;
      readonly offset?: number;
      readonly length?: number;
      /**
       * The caller promises the file is durable and never changes again (a
       * sealed staging segment), so a store on the same filesystem may
       * hard-link it instead of copying.
       */
      readonly immutable?: boolean;
    };

/**
 * S3 Object Lock retention on one object version: until `retainUntil` nobody
 * can delete or overwrite that version (GOVERNANCE: except with the bypass
 * permission; COMPLIANCE: nobody, not even the account root). A plain delete
 * of the key still succeeds on a versioned bucket: it only adds a delete
 * marker, and the locked version stays.
 */
export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';
export interface ObjectLock {
  readonly mode: ObjectLockMode;
  readonly retainUntil: Date;
  /** Also place a legal hold (no expiry; removed only by someone with s3:PutObjectLegalHold). */
  readonly legalHold?: boolean;
}

/** What a pool (or a WORM cartridge) asks for: a mode and a retention counted from each upload. */
export interface LockPolicy {
  readonly mode: ObjectLockMode;
  readonly days: number;
}

/** The lock for an object uploaded at `now` under `policy`. */
export function lockFor(policy: LockPolicy, now: Date = new Date()): ObjectLock {
  return { mode: policy.mode, retainUntil: new Date(now.getTime() + policy.days * 86_400_000) };
}

export interface PutOptions {
  /** '*' = create only: fail with VTL_STORE_EXISTS if the key exists (S3 If-None-Match). */
  readonly ifNoneMatch?: '*';
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /**
   * Lock the new object version (S3 Object Lock). A store that cannot lock
   * refuses the put rather than store an unlocked object; the S3 store checks
   * that the lock took and fails the put otherwise.
   */
  readonly lock?: ObjectLock;
}

/** `length` bytes of a local file from `offset` (one part of a PartUpload). */
export interface FileRange {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** S3's smallest part: every part of a multipart upload but the last must be at least this long. */
export const MIN_PART_BYTES = 5 << 20;

/**
 * An object written in parts while its source is still growing (an S3
 * multipart upload): a staging segment's first parts go up while the drive
 * is still writing the rest, so sealing it leaves only the tail to send.
 * Nothing is visible under the key until complete().
 */
export interface PartUpload {
  readonly key: string;
  /**
   * Upload part `n` (1-based) from a file range. Every part but the last
   * must be at least MIN_PART_BYTES. Sending a part again replaces it. Fails
   * with StoreError like put() (UNAVAILABLE is worth retrying).
   */
  part(n: number, body: FileRange, signal?: AbortSignal): Promise<void>;
  /**
   * Join parts 1..`count` (`size` bytes in all) into the object. Create-only:
   * VTL_STORE_EXISTS when the key already exists. With `lock`, the new
   * version is locked (and checked) as put() would.
   */
  complete(count: number, size: number, options?: { readonly lock?: ObjectLock; readonly signal?: AbortSignal }): Promise<ObjectInfo>;
  /** Discard the parts; nothing is left behind (best effort: errors are swallowed). */
  abort(): Promise<void>;
}

export interface GetOptions {
  readonly signal?: AbortSignal;
  /**
   * A buffer the store may read into (to reuse memory); when it is used the
   * result is a subarray of it. Always use the returned buffer.
   */
  readonly into?: Buffer;
}

export interface ListOptions {
  /** List keys strictly greater than this (S3 StartAfter); need not be a valid key. */
  readonly startAfter?: string;
  /** Page size; stores may return fewer. Default 1000. */
  readonly limit?: number;
}

export interface ObjectPage {
  /** Keys in ascending byte order, all starting with the prefix. */
  readonly objects: readonly ObjectInfo[];
  /** Pass as `startAfter` for the next page; absent on the last page. */
  readonly next?: string;
}

export interface ObjectStore {
  /** Short backend name for logs: 'dir', 'memory', 's3'. */
  readonly kind: string;
  /**
   * Store an object atomically: readers see the old object or the whole new one.
   * Throws StoreError VTL_STORE_EXISTS under ifNoneMatch when the key exists.
   */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo>;
  /** Read an object or a range of it. Throws StoreError VTL_STORE_NOT_FOUND. */
  get(key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer>;
  /** Metadata, or undefined when the key does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** One page of keys starting with `prefix`, in ascending key order. */
  list(prefix: string, options?: ListOptions): Promise<ObjectPage>;
  /** Delete keys; missing keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /**
   * Start an object uploaded in parts (stores where that saves time: S3).
   * Stores without it take the whole object with put() once it is complete.
   */
  beginUpload?(key: string, options?: { readonly contentType?: string; readonly signal?: AbortSignal }): Promise<PartUpload>;
}

/** Every object under `prefix`, across pages, in key order. */
export async function* listAll(store: ObjectStore, prefix: string, startAfter?: string): AsyncGenerator<ObjectInfo> {
  let after = startAfter;
  for (;;) {
    const page = await store.list(prefix, after === undefined ? {} : { startAfter: after });
    yield* page.objects;
    if (page.next === undefined) return;
    after = page.next;
  }
}

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Throws StoreError VTL_STORE_INVALID_KEY unless `key` follows the key rules above. */
export function assertValidKey(key: string): void {
  const bad = (why: string): never => {
    throw new StoreError(StoreErrorCode.INVALID_KEY, `invalid object key ${JSON.stringify(key)}: ${why}`, { key });
  };
  if (key.length === 0 || key.length > 1024) bad('length must be 1..1024');
  for (const part of key.split('/')) {
    if (!SEGMENT.test(part)) bad(`segment ${JSON.stringify(part)} is empty, starts with '.' or has characters outside [A-Za-z0-9._-]`);
  }
}

/** A prefix is a key, or a key followed by '/', or a partial segment; '' lists all. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (trimmed.length > 0 && !/^[A-Za-z0-9._/-]*$/.test(trimmed)) {
    throw new StoreError(StoreErrorCode.INVALID_KEY, `invalid prefix ${JSON.stringify(prefix)}`, { key: prefix });
  }
  if (trimmed.split('/').some((p) => p === '..' || p === '.')) {
    throw new StoreError(StoreErrorCode.INVALID_KEY, `invalid prefix ${JSON.stringify(prefix)}`, { key: prefix });
  }
}

/** Clip a range against an object size: [start, end). */
export function clipRange(size: number, range?: ByteRange): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size };
  if (!Number.isSafeInteger(range.offset) || !Number.isSafeInteger(range.length) || range.offset < 0 || range.length < 0) {
    throw new RangeError(`invalid byte range ${range.offset}+${range.length}`);
  }
  const start = Math.min(range.offset, size);
  return { start, end: Math.min(size, start + range.length) };
}
